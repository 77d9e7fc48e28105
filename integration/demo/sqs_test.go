package demo

import (
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/syncbuf"
	"github.com/analytics-bridge/analytics-bridge/integration/verify"
)

// sqsVerdictRE is the verdict line of an exactly-once SQS run.
var sqsVerdictRE = regexp.MustCompile(`(?m)^verdict: Genesys sent (\d+) distinct events in (\d+) messages; read_committed reader: (\d+) distinct events, 0 duplicates, 0 missing; queue drained — exactly once`)

// requireSQSVerdict checks the SQS verdict line and that it counted
// something, as the report did.
func requireSQSVerdict(t *testing.T, text string, rep verify.Report) {
	t.Helper()
	m := sqsVerdictRE.FindStringSubmatch(text)
	if m == nil {
		t.Fatal("no exactly-once verdict in the narration")
	}
	sent, _ := strconv.Atoi(m[1])
	read, _ := strconv.Atoi(m[3])
	if sent == 0 || read != sent || rep.Events != sent || rep.Records != sent {
		t.Fatalf("verdict counts %d events sent and %d read; report %s", sent, read, rep)
	}
}

// Each fault the SQS script injects is narrated with what the bridge did
// about it, measured: every resend and second copy dropped, the messages
// committed but not deleted before the restart dropped when they come back.
func TestDemoSQSNarratesEveryFaultAndEndsExactlyOnce(t *testing.T) {
	t.Parallel()
	var out syncbuf.Buffer
	text := runVerified(t, t.Context(), &out, Options{Source: SourceSQS, Duration: 8 * time.Second, Rate: 300})
	requireNarration(t, text, []narrated{
		{"the stand-in queue", `upstream  Genesys Cloud -> EventBridge -> SQS queue http://127\.0\.0\.1:\d+/\S+/genesys-events \(in-process stand-in`},
		{"the first records", `streaming: \d+ receive loops \(SQS_RECEIVERS\) long-poll the queue; \d+ records in Kafka`},
		{"the failing deletes", `fault: SQS fails the next \d+ DeleteMessageBatch entries`},
		// A delete retried while the fault lasts may be given up (on a loaded
		// machine its retries can all meet the fault): its message then
		// comes back after the visibility timeout and is dropped too.
		{"the retried deletes", `the bridge retries those \d+ deletes in later batches \(given up so far: \d+;`},
		{"the refused deletes", `fault: SQS refuses every DeleteMessageBatch from now`},
		{"the restart", `restart: stopping the bridge`},
		{"the progress display", `received \d+ \(\d+/s\) · in Kafka \d+ \(\d+/s\) of \d+ emitted · deleted \d+ · queue \d+ visible, \d+ in flight`},
		{"the totals", `2 bridge runs; the bridge received \d+ messages, dropped \d+ duplicates`},
	})
	// Each fault's count, and what the bridge dropped of it.
	for _, pair := range []struct{ what, fault, dropped string }{
		{"resends", `Genesys resent (\d+) events through EventBridge: the same detail`, `the bridge dropped (\d+) resends`},
		{"second copies", `SQS delivers the next (\d+) messages twice`, `the bridge dropped (\d+) second copies`},
		{"committed messages back after the restart", `(\d+) messages whose records are committed stay in the queue, undeleted`,
			`its dedup window rebuilt from the topic's read_committed tail, dropped (\d+)`},
	} {
		f, d := regexp.MustCompile(pair.fault).FindStringSubmatch(text), regexp.MustCompile(pair.dropped).FindStringSubmatch(text)
		if f == nil || d == nil {
			t.Errorf("%s: the narration does not show the fault and the drops", pair.what)
			continue
		}
		injected, _ := strconv.Atoi(f[1])
		dropped, _ := strconv.Atoi(d[1])
		if injected == 0 || dropped < injected || dropped > injected+givenUp(text) {
			t.Errorf("%s: %s injected, %s dropped (%d deletes given up)", pair.what, f[1], d[1], givenUp(text))
		}
	}
}

// givenUp is how many deletes the narration says were given up: each such
// message comes back and is dropped beside what a fault counted.
func givenUp(text string) int {
	m := regexp.MustCompile(`given up so far: (\d+);`).FindStringSubmatch(text)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

package demo

import (
	"bytes"
	"regexp"
	"strconv"
	"testing"

	"github.com/analytics-bridge/analytics-bridge/integration/syncbuf"
	"github.com/analytics-bridge/analytics-bridge/integration/verify"
)

// gcVerdictRE is the verdict line of a complete notifications run.
var gcVerdictRE = regexp.MustCompile(`(?m)^verdict: (\d+) conversations? ended; every one covered: (\d+) by all their detail events, (\d+) by a conversation-detail record \(back-filled\); 0 duplicate dedup keys — complete`)

// requireNotificationsVerdict checks the notifications verdict line and
// that it counted something, as the report did.
func requireNotificationsVerdict(t *testing.T, text string, rep verify.Report) {
	t.Helper()
	m := gcVerdictRE.FindStringSubmatch(text)
	if m == nil {
		t.Fatal("no complete verdict in the narration")
	}
	ended, _ := strconv.Atoi(m[1])
	byEvents, _ := strconv.Atoi(m[2])
	byDetails, _ := strconv.Atoi(m[3])
	if ended == 0 || byEvents+byDetails != ended || rep.Events != ended || rep.Lost != 0 || rep.Duplicates != 0 {
		t.Fatalf("verdict: %d conversations ended, %d covered by events and %d by details; report %s", ended, byEvents, byDetails, rep)
	}
}

// The notifications script, short: every fault is narrated with what the
// bridge did about it, measured; the calls that began and ended while no
// bridge ran are covered by the back-fill of its downtime; the verdict
// says every conversation that ended is covered and no dedup key was
// written twice, which is what `analytics-bridge demo` exits 0 on. It
// waits out the analytics API's one-minute rule for real: about 90 s.
func TestDemoNotificationsCoversEveryConversation(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the notifications demo waits out the analytics API's one-minute rule (about 90 s)")
	}
	t.Parallel()
	opts, err := ParseFlags([]string{"-source", "notifications", "-duration", "25s", "-log", ""}, &bytes.Buffer{}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	var out syncbuf.Buffer
	text := runVerified(t, t.Context(), &out, opts)
	requireNarration(t, text, []narrated{
		{"the stand-in", `upstream  Genesys Cloud stand-in \(in-process\): api http://127\.0\.0\.1:\d+, login http://127\.0\.0\.1:\d+, streaming ws://127\.0\.0\.1:\d+`},
		{"the first channel", `connected: \d+ topics subscribed on one channel`},
		{"the conversations followed", `streaming: each call is seen on its queue's topic, and its 7 detail event topics are subscribed then`},
		{"the dropped socket", `fault: the stand-in dropped the socket of the bridge's channel streaming-0-\w+ without a close frame`},
		{"the reconnect", `reconnected \S+ later to the same channel \(the socket ended, the channel lives on\); \d+ notifications published meanwhile were lost to it`},
		{"the socket_closing", `fault: the stand-in sent v2\.system\.socket_closing on channel streaming-0-\w+`},
		{"the handover", `handover: a new socket connected to the same channel \S+ after the announcement`},
		{"the eviction", `fault: another user of the bridge's OAuth client opened a channel \(streaming-0-\w+\)`},
		{"the new channel", `the bridge found its channel gone, opened channel streaming-0-\w+ \(which evicted the unconnected streaming-0-\w+\), subscribed its \d+ topics again and connected`},
		{"the token expiry", `the bridge's next API call was refused with 401 \S+ later; it took a new token from the login host`},
		{"the rate limit", `the bridge waited as told before each retry: 3 requests refused over \S+`},
		{"the restart's checkpoint", `bridge stopped after \S+; its checkpoint: the live stream complete until [\d.]+s, \d+ gaps? still to back-fill, \d+ conversations? awaited by id`},
		{"the resume", `the restarted bridge resumed from its checkpoint and connected \S+ after its start: \d+ gaps? to back-fill`},
		{"a back-fill of gaps", `back-fill: \d+ gaps? more than a minute old fetched from the analytics API`},
		{"the wait for every gap", `every call ended, every gap is back-filled and every conversation covered: Kafka holds \d+ records`},
		{"the progress display", `received \d+ \(\d+/s\) · in Kafka \d+ \(\d+/s\) · calls \d+ started, \d+ ended · 1 channel connected · gaps to back-fill \d+ · awaited \d+`},
	})
	// The calls that began and ended while no bridge ran were never seen
	// live: only the back-fill of the downtime can have written them.
	during := regexp.MustCompile(`calls began meanwhile, and (\d+) of them also ended`).FindStringSubmatch(text)
	reader := regexp.MustCompile(`read_committed reader: \d+ records: \d+ notifications, \d+ conversation-detail \((\d+) for gaps`).FindStringSubmatch(text)
	if during == nil || reader == nil {
		t.Fatal("the narration does not show the calls of the downtime and the reader's conversation-detail records for gaps")
	}
	over, _ := strconv.Atoi(during[1])
	forGaps, _ := strconv.Atoi(reader[1])
	if forGaps < over {
		t.Errorf("%d calls began and ended during the downtime, but only %d conversation-detail records were written for gaps", over, forGaps)
	}
}

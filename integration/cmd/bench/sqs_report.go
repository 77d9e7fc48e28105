package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// sqsRSSTarget and sqsRatioTarget are issue 19's targets for the bridge:
// at most 64 MiB of RSS, at least half the raw loop's rate.
const (
	sqsRSSTarget   = 64 << 10 // KiB
	sqsRatioTarget = 0.5
)

// sqsResult is one run of one side.
type sqsResult struct {
	messages int
	elapsed  time.Duration // first delete seen → queue seen empty
	perSec   float64
	hwmKiB   int64 // VmHWM when the queue was empty
	timeVKiB int64 // /usr/bin/time -v's maximum resident set size (bridge, -time-v)
	cpu      time.Duration
	note     string
	others   float64 // cores other processes kept busy during the run
	// redelivered counts the stand-in's redeliveries during the run: the
	// messages of a ReceiveMessage response the client lost came back
	// after the visibility timeout (-1: not known).
	redelivered int
	err         error
}

func newSQSResult(n int, c drainClock) sqsResult {
	r := sqsResult{messages: n, elapsed: c.last.Sub(c.first)}
	if r.elapsed > 0 {
		r.perSec = float64(n) / r.elapsed.Seconds()
	}
	return r
}

func (r sqsResult) brief() string {
	if r.err != nil {
		return "FAILED: " + firstLine(r.err.Error())
	}
	s := fmt.Sprintf("%s messages/s (%s for %d), peak RSS %s, CPU %.2f µs/message; other processes %.2f cores",
		perSec(r.perSec), r.elapsed.Round(time.Millisecond), r.messages, mib(max(r.hwmKiB, r.timeVKiB)), r.cpuPerMessage(), r.others)
	if r.redelivered > 0 {
		s += fmt.Sprintf("; %d redelivered", r.redelivered)
	}
	return s
}

func (r sqsResult) cpuPerMessage() float64 {
	return float64(r.cpu.Nanoseconds()) / 1e3 / float64(max(r.messages, 1))
}

// sqsReport is what the sqs mode prints.
type sqsReport struct {
	setupInfo
	opts      sqsOptions
	sqs       string
	sizes     sizeStats
	loadStart string
	loadEnd   string
	sides     []sqsSide
	results   [][]sqsResult // per side, per run
}

func (r *sqsReport) failed() bool {
	for _, rs := range r.results {
		for _, res := range rs {
			if res.err != nil {
				return true
			}
		}
	}
	return len(r.results) == 0
}

// ratios are side j's rates over the raw loop's, run by run (runs where
// either failed are left out).
func (r *sqsReport) ratios(j int) []float64 {
	var out []float64
	for i, res := range r.results[j] {
		if i < len(r.results[0]) && res.err == nil && r.results[0][i].err == nil && r.results[0][i].perSec > 0 {
			out = append(out, res.perSec/r.results[0][i].perSec)
		}
	}
	return out
}

// medians of a side's runs that did not fail: rate, peak RSS (the larger
// of VmHWM and time -v's), CPU per message, and the largest peak.
func medians(rs []sqsResult) (rate, rssKiB, cpuUS float64, maxRSS int64, ok int) {
	var rates, rss, cpu []float64
	for _, res := range rs {
		if res.err != nil {
			continue
		}
		ok++
		peak := max(res.hwmKiB, res.timeVKiB)
		maxRSS = max(maxRSS, peak)
		rates, rss, cpu = append(rates, res.perSec), append(rss, float64(peak)), append(cpu, res.cpuPerMessage())
	}
	return median(rates), median(rss), median(cpu), maxRSS, ok
}

func (r *sqsReport) print(w io.Writer) {
	o := r.opts
	fmt.Fprintf(w, "analytics-bridge bench -sqs: the bridge with SOURCE=sqs beside a raw receive-and-delete loop\n")
	fmt.Fprintf(w, "  command   %s\n", r.command)
	fmt.Fprintf(w, "  machine   %s; load average %s at the start, %s at the end\n", r.machine, r.loadStart, r.loadEnd)
	fmt.Fprintf(w, "  sqs       %s\n", r.sqs)
	fmt.Fprintf(w, "  kafka     %s (the bridge's side only)\n", r.kafka)
	fmt.Fprintf(w, "  bridge    %s\n", r.bridgeBuild)
	fmt.Fprintf(w, "  workload  %d messages per run: Genesys EventBridge events of %d-%d bytes (mean %.0f), no resends; queue visibility %ds\n",
		o.messages, r.sizes.min, r.sizes.max, r.sizes.mean, o.visibility)
	fmt.Fprintf(w, "  both      SQS_RECEIVERS=%d (raw: %d goroutines), SQS_MAX_MESSAGES=%d, SQS_WAIT_TIME=%ds; bridge DEDUP_MAX_KEYS=%d, other settings default\n",
		o.receivers, o.receivers, o.maxMessages, o.waitSeconds, o.maxKeys)
	fmt.Fprintf(w, "  runs      %d of each side, interleaved (each goes first in turn); each a fresh process on a fresh queue; medians shown\n\n", o.runs)

	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\tmessages/s\tratio to raw\tpeak RSS\tCPU µs/message\t\n", padRight("side", 56))
	for j, s := range r.sides {
		rate, rss, cpu, _, ok := medians(r.results[j])
		ratio := "-"
		if j > 0 {
			ratio = fmt.Sprintf("%.2f", median(r.ratios(j)))
		}
		note := ""
		if ok < len(r.results[j]) {
			note = fmt.Sprintf("  %d of %d runs failed", len(r.results[j])-ok, len(r.results[j]))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.2f\t%s\n", padRight(s.label, 56), perSec(rate), ratio, mib(int64(rss)), cpu, note)
	}
	_ = tw.Flush()

	fmt.Fprintln(w)
	for j := 1; j < len(r.sides); j++ {
		rs := r.ratios(j)
		_, _, _, maxRSS, _ := medians(r.results[j])
		parts := make([]string, len(rs))
		for i, v := range rs {
			parts[i] = fmt.Sprintf("%.2f", v)
		}
		fmt.Fprintf(w, "%s:\n  ratio to the raw loop, run by run: %s; median %.2f — target ≥ %.2f %s\n",
			r.sides[j].label, strings.Join(parts, ", "), median(rs), sqsRatioTarget, verdictOf(median(rs) >= sqsRatioTarget))
		fmt.Fprintf(w, "  largest peak RSS of a run: %s — target ≤ %s %s\n", mib(maxRSS), mib(sqsRSSTarget), verdictOf(maxRSS > 0 && maxRSS <= sqsRSSTarget))
	}
	fmt.Fprintf(w, `
How each figure is taken:
  messages/s      the queue is polled every %s (the stand-in's counts, or GetQueueAttributes):
                  messages / (first poll that sees the queue empty − first poll that sees a
                  message deleted). The bridge deletes a message only once its record is
                  committed, so its drain is its delivery; its startup is before the clock.
  ratio to raw    each run's bridge rate over the same run's raw rate; the median of those.
  peak RSS        VmHWM when the queue is empty; for the bridge under /usr/bin/time -v, the
                  larger of that and time's maximum resident set size (its whole life).
  CPU µs/message  utime+stime of the process until the queue was empty, per message.
  redelivered     (stand-in only) deliveries of a message delivered before, during the run. Over
                  loopback, now and then net/http's write loop closes a connection while the AWS
                  SDK for Go v2 reads a ReceiveMessage response on it (an error reading the
                  request body; a transport that hands net/http a copy of each request body does
                  not see it); the SDK retries the call, and the lost response's messages come
                  back after the visibility timeout. Both sides use the SDK's client alike.
`, o.poll)
	fmt.Fprintf(w, "\nRuns:\n")
	for j, s := range r.sides {
		for i, res := range r.results[j] {
			fmt.Fprintf(w, "  %s, run %d: %s\n", s.label, i+1, res.brief())
			text := res.note
			if res.err != nil {
				text = strings.Join(strings.Split(strings.TrimRight(res.err.Error(), "\n"), "\n")[1:], "\n")
			}
			for _, l := range strings.Split(text, "\n") {
				if l = strings.TrimSpace(l); l != "" {
					fmt.Fprintf(w, "      %s\n", l)
				}
			}
		}
	}
}

func verdictOf(met bool) string {
	if met {
		return "(met)"
	}
	return "(MISSED)"
}

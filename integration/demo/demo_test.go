package demo

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/syncbuf"
)

// verdictRE is the verdict line of an exactly-once run.
var verdictRE = regexp.MustCompile(`(?m)^verdict: events emitted (\d+), records in Kafka (\d+), lost 0, duplicates 0 — exactly once`)

// requireVerdict checks the verdict line and that it counted something.
func requireVerdict(t *testing.T, out string) {
	t.Helper()
	m := verdictRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no exactly-once verdict in the narration")
	}
	emitted, _ := strconv.Atoi(m[1])
	records, _ := strconv.Atoi(m[2])
	if emitted == 0 || records != emitted {
		t.Fatalf("verdict counts %d events and %d records", emitted, records)
	}
	// The wait before the verdict counts what a consumer sees: with
	// transactions, end offsets also count markers and would end it early.
	if m := holdsRE.FindStringSubmatch(out); m != nil {
		if holds, _ := strconv.Atoi(m[1]); holds != emitted {
			t.Fatalf("the wait saw %d records in Kafka, the verdict %d", holds, emitted)
		}
	}
}

// holdsRE is the line that ends the wait for delivery.
var holdsRE = regexp.MustCompile(`Kafka holds (\d+) records`)

// runVerified runs the demo, requires exactly once and a verdict line, and
// returns the narration.
func runVerified(t *testing.T, ctx context.Context, out *syncbuf.Buffer, opts Options) string {
	t.Helper()
	rep, err := Run(ctx, out, opts)
	text := out.String()
	t.Logf("narration:\n%s", text)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !rep.OK() {
		t.Fatalf("not exactly once: %s", rep)
	}
	switch opts.Source {
	case SourceSQS:
		requireSQSVerdict(t, text, rep)
	case SourceNotifications:
		requireNotificationsVerdict(t, text, rep)
	default:
		requireVerdict(t, text)
	}
	return text
}

// narrated is a line the narration must show: what, matched by re.
type narrated struct{ what, re string }

// requireNarration checks that the narration shows each line.
func requireNarration(t *testing.T, text string, lines []narrated) {
	t.Helper()
	for _, want := range lines {
		if !regexp.MustCompile(want.re).MatchString(text) {
			t.Errorf("the narration does not show %s (/%s/)", want.what, want.re)
		}
	}
}

func TestDemoNarratesEveryFaultAndEndsExactlyOnce(t *testing.T) {
	t.Parallel()
	var out syncbuf.Buffer
	text := runVerified(t, t.Context(), &out, Options{Duration: 6 * time.Second, Rate: 300})
	requireNarration(t, text, []narrated{
		{"the first connection", `connected: \?since=\S+Z, the simulator's start`},
		{"the dropped connection", `fault: dropped connection`},
		{"the reconnect with since", `reconnected \S+ later, resuming with \?since=\S+Z \(\S+ before the drop\)`},
		{"the token expiry", `fault: token expiry`},
		{"the token refresh", `token refreshed: reconnected \S+ later with a new token`},
		{"the restart", `restart: stopping the bridge`},
		{"the checkpoint read after the stop", `bridge stopped after \S+; its checkpoint holds since=\S+Z`},
		{"the resume from the checkpoint", `restarted bridge resumed from its checkpoint: \?since=\S+Z`},
		{"the progress display", `received \d+ \(\d+/s\) · in Kafka \d+ \(\d+/s\) of \d+ emitted`},
	})
	if strings.Contains(text, "sim-") { // the simulator's token prefix
		t.Error("the narration prints a token")
	}
	if strings.Contains(text, "\r") {
		t.Error("status lines redrawn in place on a non-terminal")
	}
}

func TestDemoInterruptedStillVerifies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ source, interrupted, verdict string }{
		{SourceWebSocket, "interrupted: stopping generation", "exactly once"},
		{SourceSQS, "interrupted: stopping the feed", "exactly once"},
		// It waits for the back-fill of the bridge's start, until its
		// first socket connected: a minute.
		{SourceNotifications, "interrupted: stopping the calls", "complete"},
	} {
		t.Run(tc.source, func(t *testing.T) {
			if tc.source == SourceNotifications && testing.Short() {
				t.Skip("-short: the notifications demo waits out the analytics API's one-minute rule")
			}
			t.Parallel()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			// Interrupt (as SIGINT would) once the bridge streams.
			out := &syncbuf.Buffer{OnWrite: func(s string) {
				if strings.Contains(s, "streaming:") {
					cancel()
				}
			}}
			text := runVerified(t, ctx, out, Options{Source: tc.source, Duration: time.Minute, Rate: 300, Quiet: true})
			if !strings.Contains(text, tc.interrupted) || !regexp.MustCompile(tc.verdict+` \(interrupted after \S+\)`).MatchString(text) {
				t.Error("the narration does not say the run was interrupted")
			}
			if strings.Contains(text, "fault:") {
				t.Error("the script went on after the interruption")
			}
		})
	}
}

func TestConsoleRedrawsTheStatusLineOnATerminal(t *testing.T) {
	var buf bytes.Buffer
	c := newConsole(&buf, true, false, time.Now())
	c.progress("status 1")
	c.say("milestone")
	c.progress("status 2")
	c.clearStatus()
	got := buf.String()
	// Each status overwrites the line; a milestone clears it, prints, and
	// redraws it below.
	want := regexp.MustCompile(`^\r\x1b\[K +\d+\.\ds  status 1` +
		`\r\x1b\[K +\d+\.\ds  milestone\n +\d+\.\ds  status 1` +
		`\r\x1b\[K +\d+\.\ds  status 2` +
		`\r\x1b\[K$`)
	if !want.MatchString(got) {
		t.Fatalf("terminal output %q", got)
	}

	buf.Reset()
	plain := newConsole(&buf, false, false, time.Now())
	plain.progress("status 1")
	plain.say("milestone")
	plain.clearStatus()
	if got := buf.String(); strings.Contains(got, "\r") || strings.Count(got, "\n") != 2 {
		t.Fatalf("plain output %q", got)
	}
}

func TestParseFlags(t *testing.T) {
	var stderr bytes.Buffer
	opts, err := ParseFlags(nil, &bytes.Buffer{}, &stderr)
	if err != nil {
		t.Fatalf("defaults: %v", err)
	}
	if opts.Source != SourceWebSocket || opts.Duration != DefaultDuration || opts.Rate != DefaultRate || len(opts.Brokers) != 0 || opts.Terminal {
		t.Errorf("defaults: %+v", opts)
	}

	opts, err = ParseFlags([]string{"-duration", "10s", "-rate", "50", "-kafka", "a:9092, b:9092", "-quiet", "-v", "-log", "-"}, &bytes.Buffer{}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Duration != 10*time.Second || opts.Rate != 50 || strings.Join(opts.Brokers, ",") != "a:9092,b:9092" ||
		!opts.Quiet || opts.LogLevel != "info" || opts.Log != io.Writer(&stderr) || opts.LogPath != "" {
		t.Errorf("parsed: %+v", opts)
	}

	if _, err := ParseFlags([]string{"-h"}, &bytes.Buffer{}, &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
	if opts, err := ParseFlags([]string{"-source", "sqs"}, &bytes.Buffer{}, &stderr); err != nil || opts.Source != SourceSQS {
		t.Errorf("-source sqs: %+v, %v", opts, err)
	}
	// The notifications script has its own default length; a -duration
	// given is kept.
	if opts, err := ParseFlags([]string{"-source", "notifications"}, &bytes.Buffer{}, &stderr); err != nil ||
		opts.Source != SourceNotifications || opts.Duration != DefaultNotificationsDuration || opts.Calls != DefaultCalls {
		t.Errorf("-source notifications: %+v, %v", opts, err)
	}
	if opts, err := ParseFlags([]string{"-source", "notifications", "-duration", "30s", "-calls", "5"}, &bytes.Buffer{}, &stderr); err != nil ||
		opts.Duration != 30*time.Second || opts.Calls != 5 {
		t.Errorf("-source notifications -duration 30s -calls 5: %+v, %v", opts, err)
	}
	for _, args := range [][]string{
		{"-source", "kinesis"},
		{"-nope"},
		{"-duration", "1s"},
		{"-rate", "-5"},
		{"-kafka", "localhost"},
		{"-token-lifetime", "10ms"},
		{"-source", "notifications", "-duration", "10s"}, // shorter than MinNotificationsDuration
		{"-source", "notifications", "-calls", "0.1"},
		{"-calls", "51"},
		{"extra"},
	} {
		stderr.Reset()
		if _, err := ParseFlags(args, &bytes.Buffer{}, &stderr); !errors.Is(err, ErrUsage) {
			t.Errorf("%v: err = %v, want ErrUsage", args, err)
		}
		if stderr.Len() == 0 {
			t.Errorf("%v: nothing said on stderr", args)
		}
	}
}

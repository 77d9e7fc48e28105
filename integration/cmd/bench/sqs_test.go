package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestSQSReport(t *testing.T) {
	opts, err := parseSQSFlags([]string{"-sqs", "-time-v=false", "-runs", "3"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ok := func(rate float64, hwm int64) sqsResult {
		return sqsResult{messages: 30000, perSec: rate, hwmKiB: hwm, cpu: 3 * time.Second, redelivered: -1}
	}
	rep := &sqsReport{setupInfo: setupInfo{command: "go run ./integration/cmd/bench -sqs", machine: machineInfo()}, opts: opts,
		sides: []sqsSide{{label: "raw"}, {label: "bridge"}},
		results: [][]sqsResult{
			{ok(10000, 20480), ok(8000, 20480), ok(12000, 20480)},
			{ok(6000, 60000), ok(6000, 70000), {err: errors.New("the bridge exited\nlog tail")}},
		},
	}
	// Run by run: 0.60, 0.75 (the third pair failed); the largest peak is
	// over 64 MiB.
	checkPrinted(t, rep,
		"ratio to the raw loop, run by run: 0.60, 0.75; median 0.68 — target ≥ 0.50 (met)",
		"largest peak RSS of a run: 68.4 MiB — target ≤ 64.0 MiB (MISSED)",
		"1 of 3 runs failed",
		"bridge, run 3: FAILED: the bridge exited\n      log tail",
	)
	if !rep.failed() {
		t.Error("a failed run does not fail the report")
	}
}

func TestParseSQSFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-sqs", "-max-messages", "11"},
		{"-sqs", "-visibility", "0"},
		{"-sqs", "-modes", "maybe"},
		{"-sqs", "-receivers", "0"},
	} {
		if _, err := parseSQSFlags(args, io.Discard); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
	if !wantsSQS([]string{"-runs", "3", "-sqs"}) || wantsSQS([]string{"-sqs=false"}) || wantsSQS([]string{"--", "-sqs"}) {
		t.Error("wantsSQS")
	}
}

// readTimeV finds GNU time's report after the bridge's own lines.
func TestReadTimeV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bridge.log")
	log := `{"level":"info","message":"stopped"}
	Command being timed: "analytics-bridge"
	User time (seconds): 1.26
	System time (seconds): 0.25
	Maximum resident set size (kbytes): 56012
`
	if err := os.WriteFile(path, []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	tv, ok := readTimeV(path)
	if !ok || tv.maxRSSKiB != 56012 || tv.user != 1.26 || tv.system != 0.25 {
		t.Fatalf("readTimeV = %+v, %v", tv, ok)
	}
	if _, ok := readTimeV(filepath.Join(t.TempDir(), "none")); ok {
		t.Error("a missing log has a report")
	}
}

package main

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestReportTable(t *testing.T) {
	opts, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ok := func(rate float64, hwm int64, cpu time.Duration) result {
		return result{events: 200000, perSec: rate, hwmKiB: hwm, cpu: cpu}
	}
	rows := []row{
		rawRows[kindWSJSON], rawRows[kindWSGJSON], rawRows[kindWriter], rawRows[kindProduce],
		bridgeRow(true), bridgeRow(false),
	}
	results := [][]result{
		{ok(300000, 10240, time.Second), ok(100000, 10240, time.Second), ok(200000, 20480, 3*time.Second)},
		{ok(400000, 10240, time.Second)},
		{ok(90000, 102400, 2*time.Second)},
		{ok(120000, 102400, 2*time.Second), {err: errors.New("child: killed\ndetails")}},
		{ok(60000, 65536, 4*time.Second)},
		{},
	}
	rep := &report{setupInfo: setupInfo{command: "go run ./integration/cmd/bench", machine: machineInfo()}, loadStart: "0.1 0.2 0.3", opts: opts, rows: summarise(rows, results)}
	checkPrinted(t, rep,
		"run                                       events/s  ratio to min(a,b)   peak RSS  CPU µs/event\n",
		"a   WebSocket read, encoding/json split    200,000               1.67   10.0 MiB          5.00\n",
		"b'  kafka-go Client.Produce, acks=all      120,000               1.00  100.0 MiB         10.00  1 of 2 runs failed\n",
		"c   bridge, KAFKA_TRANSACTIONS=true         60,000               0.50   64.0 MiB         20.00\n",
		"c   bridge, KAFKA_TRANSACTIONS=false        failed                  -          -             -\n",
		"min(a,b) = min(a' 400,000, b' 120,000) = 120,000 events/s",
		"bridge, KAFKA_TRANSACTIONS=true: 0.50 of min(a,b)",
		"run 2: FAILED: child: killed\n      details",
	)
	if !rep.failed() {
		t.Error("a failed run does not fail the report")
	}
}

func TestFlags(t *testing.T) {
	o, err := parseFlags([]string{"-events", "1000", "-modes", "true", "-raw", "ws-gjson,produce"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.events != 1000 || len(o.modes) != 1 || len(o.raw) != 2 || o.timeout != 2*time.Minute+time.Second {
		t.Fatalf("parsed %+v", o)
	}
	_, err = parseFlags([]string{"-events", "0", "-modes", "maybe", "-raw", "x", "-bridge-env", "NOVALUE"}, io.Discard)
	for _, want := range []string{"-events", "maybe", `"x"`, "NOVALUE"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not report %s", err, want)
		}
	}
	if perSec(1234567.4) != "1,234,567" || perSec(999) != "999" || mib(1536) != "1.5 MiB" {
		t.Errorf("formatting: %s %s %s", perSec(1234567.4), perSec(999), mib(1536))
	}
}

// checkPrinted checks that what rep prints contains every one of wants.
func checkPrinted(t *testing.T, rep modeReport, wants ...string) {
	t.Helper()
	var b strings.Builder
	rep.print(&b)
	out := b.String()
	for _, want := range wants {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

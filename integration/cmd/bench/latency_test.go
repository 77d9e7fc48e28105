package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/analytics-bridge/analytics-bridge/integration/sim"
)

func TestLatencyFlags(t *testing.T) {
	for args, want := range map[string]bool{
		"-latency": true, "--latency": true, "-latency=true": true, "-latency=false": false,
		"-events 10": false, "-- -latency": false, "-rate 5 -latency": true, "-latency=maybe": true,
	} {
		if got := wantsLatency(strings.Fields(args)); got != want {
			t.Errorf("wantsLatency(%s) = %t, want %t", args, got, want)
		}
	}
	o, err := parseLatencyFlags([]string{"-latency", "-bridge-env", "KAFKA_LINGER=0s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.rate != 5000 || o.duration != time.Minute || o.warmup != 5*time.Second || o.partitions != 6 ||
		strings.Join(o.modes, ",") != "false,true" || len(o.bridgeEnv) != 1 {
		t.Errorf("defaults: %+v", o)
	}
	_, err = parseLatencyFlags([]string{"-latency=maybe"}, io.Discard)
	if err == nil {
		t.Error("-latency=maybe accepted")
	}
	_, err = parseLatencyFlags([]string{"-latency", "-rate", "0", "-duration", "5s", "-fetch-max-wait", "1ms", "-modes", "x", "-bridge-env", "NOVALUE"}, io.Discard)
	for _, want := range []string{"-rate", "-duration", "-fetch-max-wait", `"x"`, "NOVALUE"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not report %s", err, want)
		}
	}
}

func TestQuantilesAndEventTime(t *testing.T) {
	v := make([]float64, 0, 1000)
	for i := 1000; i >= 1; i-- {
		v = append(v, float64(i))
	}
	q := quantiles(v)
	if want := []float64{500, 900, 990, 999, 1000}; !slices.Equal(q, want) {
		t.Errorf("quantiles = %v, want %v", q, want)
	}
	if q := quantiles([]float64{7}); !slices.Equal(q, []float64{7, 7, 7, 7, 7}) {
		t.Errorf("quantiles of one = %v", q)
	}
	ev, err := eventTime([]byte(`{"id":"x","topicName":"t","version":"2","timestamp":"2026-11-28T10:15:30.123Z","eventBody":{}}`))
	if err != nil || ev.UnixMilli() != time.Date(2026, 11, 28, 10, 15, 30, 123e6, time.UTC).UnixMilli() {
		t.Errorf("eventTime = %v, %v", ev, err)
	}
	if _, err := eventTime([]byte(`{"id":"x"}`)); err == nil {
		t.Error("eventTime of an event without a timestamp")
	}
}

// TestSendTimedStamps checks the simulator's send-timed generation as the
// latency mode uses it: live frames whose events carry the time they were
// sent, which a client on this host receives within milliseconds.
func TestSendTimedStamps(t *testing.T) {
	srv, err := sim.New(sim.Config{Rate: 1e-9, BatchSize: 10, StaticTokens: []string{benchToken}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, srv.EventsURL(), &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + benchToken}}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(1 << 20)

	genCtx, stop := context.WithCancel(ctx)
	done := make(chan int, 1)
	go func() {
		n, err := srv.GenerateSendTimed(genCtx, 2000)
		if err != nil {
			t.Error(err)
		}
		done <- n
	}()
	ids := map[string]bool{}
	var worst time.Duration
	for len(ids) < 400 {
		_, data, err := conn.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		recv := time.Now()
		var events []json.RawMessage
		if bytes.HasPrefix(data, []byte("[")) {
			if err := json.Unmarshal(data, &events); err != nil {
				t.Fatal(err)
			}
		} else if bytes.Contains(data, []byte(`"id"`)) {
			events = []json.RawMessage{data}
		}
		if len(events) > 10 {
			t.Errorf("a frame of %d events, BatchSize 10", len(events))
		}
		for _, e := range events {
			var ev struct {
				ID        string `json:"id"`
				Timestamp string `json:"timestamp"`
			}
			if err := json.Unmarshal(e, &ev); err != nil {
				t.Fatal(err)
			}
			if ids[ev.ID] {
				t.Errorf("id %s repeated", ev.ID)
			}
			ids[ev.ID] = true
			ts, err := time.Parse(sim.TimestampLayout, ev.Timestamp)
			if err != nil {
				t.Fatal(err)
			}
			// The stamp is truncated to the millisecond: never after the
			// receipt, and only delivery behind it.
			lag := recv.Sub(ts)
			if lag < 0 {
				t.Errorf("event stamped %s, received %s: after its receipt", ts.Format(time.RFC3339Nano), recv.Format(time.RFC3339Nano))
			}
			worst = max(worst, lag)
		}
	}
	stop()
	if n := <-done; n < len(ids) {
		t.Errorf("GenerateSendTimed reports %d events, the client got %d", n, len(ids))
	}
	// How far behind its stamp an event arrives is a measurement, not a
	// property: on an idle machine about 1 ms, on a loaded one hundreds
	// (the latency mode reports it; a test must not time it).
	t.Logf("%d events, the latest %s after its stamp", len(ids), worst)
	if _, err := srv.GenerateSendTimed(ctx, 0); err == nil {
		t.Error("rate 0 accepted")
	}
}

func TestLatencyReport(t *testing.T) {
	opts, err := parseLatencyFlags([]string{"-latency"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ms := func(lo, hi int) []float64 {
		var v []float64
		for i := lo; i <= hi; i++ {
			v = append(v, float64(i))
		}
		return v
	}
	rep := &latencyReport{
		setupInfo: setupInfo{command: "go run ./integration/cmd/bench -latency", machine: machineInfo(), kafka: "real cluster", bridgeBuild: "prebuilt x", realBroker: true},
		opts:      opts, commitIvl: "100ms (default)",
		runs: []latencyRun{
			{txn: false, name: "a", window: 100 * time.Second, appendMs: ms(1, 100), receiveMs: ms(2, 101), emitted: 100, received: 100, connections: 1},
			{txn: true, name: "b", window: 100 * time.Second, appendMs: ms(1, 100), receiveMs: ms(50, 149), emitted: 100, received: 100, connections: 1},
		},
	}
	checkPrinted(t, rep,
		"mode, span                                                        samples  events/s   p50    p90    p99  p99.9  max (ms)\n",
		"KAFKA_TRANSACTIONS=false  send → broker append (LogAppendTime)        100         1  50.0   90.0   99.0  100.0     100.0\n",
		"KAFKA_TRANSACTIONS=true  send → read_committed consumer receive       100         1  99.0  139.0  148.0  149.0     149.0\n",
		"KAFKA_TRANSACTIONS=false: p50 50.0 ms (MISSED), p99 99.0 ms (MISSED)",
		"KAFKA_TRANSACTIONS=true: p99 148.0 ms (MISSED) (limit 125 ms)",
	)
}

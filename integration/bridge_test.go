package integration_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/analytics-bridge/analytics-bridge/bridge"
	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/sim"
	"github.com/analytics-bridge/analytics-bridge/integration/verify"
	"github.com/analytics-bridge/analytics-bridge/source/websocket"
)

func TestEveryEventBecomesOneRecord(t *testing.T) {
	h := newHarness(t, sim.Config{Rate: 2000, BatchSize: 20, MaxEvents: 600, HeartbeatInterval: 200 * time.Millisecond}, nil)
	h.start()
	rep := h.waitDelivered()
	requireExactlyOnce(t, rep)

	// Key, value and headers of every record.
	ledger := map[string]sim.LedgerEntry{}
	for _, e := range h.sim.Ledger() {
		ledger[e.ID] = e
	}
	for _, r := range h.records() {
		id := r.Headers[bridge.HeaderDedupKey]
		e, ok := ledger[id]
		if !ok {
			t.Fatalf("record with unknown dedup key %q", id)
		}
		if !bytes.Equal(r.Value, e.Raw) {
			t.Fatalf("value of %s was re-encoded:\n got %s\nwant %s", id, r.Value, e.Raw)
		}
		if got := r.Headers[bridge.HeaderEventTime]; got != e.Time.UTC().Format(time.RFC3339Nano) {
			t.Errorf("event-time header %q, want %q", got, e.Time.UTC().Format(time.RFC3339Nano))
		}
		if len(r.Key) == 0 || !bytes.Contains(e.Raw, append(append([]byte(`"conversationId":"`), r.Key...), '"')) {
			t.Errorf("record key %q is not the event's conversationId", r.Key)
		}
	}
}

func TestIDLessFeedIsDeduplicatedByContent(t *testing.T) {
	// Replays re-serialise id-less events; only a content key survives that.
	h := newHarness(t, sim.Config{Rate: 1000, BatchSize: 10, MaxEvents: 400, IDLess: true, HeartbeatInterval: 200 * time.Millisecond}, nil)
	h.start()
	h.sim.WaitEmitted(t.Context(), 100)
	for i := 0; i < 3; i++ {
		n := len(h.sim.Connections())
		h.sim.ResetConnections()
		h.waitConnections(n + 1)
		_ = h.sim.WaitEmitted(t.Context(), 100*(i+2))
	}
	requireExactlyOnce(t, h.waitDelivered())
}

func TestDroppedFiveTimesEveryEventOnce(t *testing.T) {
	const events = 3000
	h := newHarness(t, sim.Config{Rate: 1000, BatchSize: 25, MaxEvents: events, Lateness: 300 * time.Millisecond, HeartbeatInterval: 200 * time.Millisecond}, nil)
	started := time.Now()
	h.start()
	for i := 1; i <= 5; i++ {
		if err := h.sim.WaitEmitted(t.Context(), i*events/6); err != nil {
			t.Fatal(err)
		}
		n := len(h.sim.Connections())
		if i%2 == 0 {
			h.sim.CloseConnections(1011, "test drop")
		} else {
			h.sim.ResetConnections()
		}
		h.waitConnections(n + 1)
	}
	rep := h.waitDelivered()
	elapsed := time.Since(started)
	requireExactlyOnce(t, rep)
	conns := h.sim.Connections()
	for _, c := range conns[1:] {
		if c.Since == "" {
			t.Errorf("a reconnect at %s came without since", c.At.Format(time.TimeOnly))
		}
	}
	t.Logf("%d events through 5 drops in %s: %.0f events/s (simulator rate 1000/s)", events, elapsed.Round(time.Millisecond), float64(events)/elapsed.Seconds())
}

func TestRestartResumesFromCheckpoint(t *testing.T) {
	const events = 2000
	h := newHarness(t, sim.Config{Rate: 1000, BatchSize: 20, MaxEvents: events, Lateness: 200 * time.Millisecond, HeartbeatInterval: 200 * time.Millisecond}, nil)
	first := h.start()
	_ = h.sim.WaitEmitted(t.Context(), events/3)
	if err := first.stop(t); err != nil {
		t.Fatalf("first run: %v", err)
	}
	// Events keep coming while no bridge runs.
	_ = h.sim.WaitEmitted(t.Context(), 2*events/3)
	h.start()
	rep := h.waitDelivered()
	requireExactlyOnce(t, rep)
	last := h.sim.Connections()[len(h.sim.Connections())-1]
	if last.Since == "" {
		t.Fatal("the restarted bridge connected without since")
	}
}

func TestTokenExpiryMidStream(t *testing.T) {
	for _, secretIn := range []string{"env", "file"} {
		t.Run("secret from "+secretIn, func(t *testing.T) {
			const events = 1500
			h := newHarness(t, sim.Config{Rate: 500, BatchSize: 10, MaxEvents: events, TokenLifetime: time.Second, HeartbeatInterval: 200 * time.Millisecond}, func(e *config.Env) {
				e.AnalyticsToken = ""
			})
			h.env.OAuthTokenURL = h.sim.TokenURL()
			h.env.OAuthClientID = "demo-client"
			h.env.OAuthClientSecret = "demo-secret"
			if secretIn == "file" {
				// As a mounted Secret: OAUTH_CLIENT_SECRET_FILE.
				path := filepath.Join(t.TempDir(), "client-secret")
				if err := os.WriteFile(path, []byte("demo-secret\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				h.env.OAuthClientSecret, h.env.OAuthSecretFile = "", path
			}
			h.start()
			// Tokens live one second and the run lasts three: they expire mid-stream.
			rep := h.waitDelivered()
			requireExactlyOnce(t, rep)
			tokens := map[string]bool{}
			for _, c := range h.sim.Connections() {
				tokens[c.Token] = true
			}
			if len(tokens) < 2 {
				t.Fatalf("used %d token(s); expected a refresh after expiry", len(tokens))
			}
		})
	}
}

func TestExpireTokensNow(t *testing.T) {
	h := newHarness(t, sim.Config{Rate: 500, BatchSize: 10, MaxEvents: 800, HeartbeatInterval: 200 * time.Millisecond}, func(e *config.Env) {
		e.AnalyticsToken = ""
	})
	h.env.OAuthTokenURL = h.sim.TokenURL()
	h.env.OAuthClientID = "demo-client"
	h.env.OAuthClientSecret = "demo-secret"
	h.start()
	_ = h.sim.WaitEmitted(t.Context(), 300)
	h.waitConnections(1)
	h.sim.ExpireTokens() // revoked mid-session, and the cached token is now refused too
	h.waitConnections(2)
	requireExactlyOnce(t, h.waitDelivered())
	conns := h.sim.Connections()
	if conns[0].Token == conns[len(conns)-1].Token {
		t.Fatal("reconnected with the revoked token")
	}
}

func TestRateLimitWaitsRetryAfter(t *testing.T) {
	h := newHarness(t, sim.Config{Rate: 200, MaxEvents: 200, HeartbeatInterval: 200 * time.Millisecond}, nil)
	h.sim.RefuseNext(1, 429, 2*time.Second)
	started := time.Now()
	h.start()
	h.waitConnections(1)
	// The first attempt came after `started` and was told to wait 2 s.
	if gap := h.sim.Connections()[0].At.Sub(started); gap < 2*time.Second {
		t.Fatalf("connected %s after start; Retry-After asked for 2s", gap)
	}
	requireExactlyOnce(t, h.waitDelivered())
}

func TestServiceUnavailableIsRetried(t *testing.T) {
	h := newHarness(t, sim.Config{Rate: 200, MaxEvents: 200, HeartbeatInterval: 200 * time.Millisecond}, nil)
	h.sim.RefuseNext(3, 503, 0)
	h.start()
	requireExactlyOnce(t, h.waitDelivered())
}

func TestStalledLinkIsDetected(t *testing.T) {
	h := newHarness(t, sim.Config{Rate: 500, MaxEvents: 1000, HeartbeatInterval: 200 * time.Millisecond}, func(e *config.Env) {
		e.IdleTimeout = "1s"
		e.PingInterval = "200ms"
	})
	h.start()
	_ = h.sim.WaitEmitted(t.Context(), 300)
	h.waitConnections(1)
	h.sim.Stall() // half-open: TCP stays up, nothing flows
	h.waitConnections(2)
	requireExactlyOnce(t, h.waitDelivered())
}

func TestSocketClosingReconnectsAtOnce(t *testing.T) {
	h := newHarness(t, sim.Config{Rate: 500, MaxEvents: 1000, HeartbeatInterval: 200 * time.Millisecond}, nil)
	h.start()
	_ = h.sim.WaitEmitted(t.Context(), 300)
	h.waitConnections(1)
	h.sim.SocketClosing(time.Minute) // the bridge must not wait for the close
	h.waitConnections(2)
	requireExactlyOnce(t, h.waitDelivered())
}

func TestDropAfterN(t *testing.T) {
	h := newHarness(t, sim.Config{Rate: 1000, BatchSize: 10, MaxEvents: 1500, HeartbeatInterval: 200 * time.Millisecond}, nil)
	h.start()
	h.waitConnections(1)
	h.sim.DropAfter(137)
	h.waitConnections(2)
	requireExactlyOnce(t, h.waitDelivered())
}

// stopUntilSinceExpires runs a bridge until it wrote some records, stops
// it and waits until its checkpoint's since is older than the simulator's
// retention (2 s in these tests).
func (h *harness) stopUntilSinceExpires() {
	h.t.Helper()
	first := h.start()
	h.waitOurs(50)
	if err := first.stop(h.t); err != nil {
		h.t.Fatal(err)
	}
	stoppedAt := time.Now()
	waitFor(h.t, "the checkpoint to fall out of retention", func() bool { return time.Since(stoppedAt) > 3*time.Second })
}

func TestStaleSinceStopsWithAClearError(t *testing.T) {
	h := newHarness(t, sim.Config{Rate: 200, Retention: 2 * time.Second, HeartbeatInterval: 200 * time.Millisecond}, nil)
	h.stopUntilSinceExpires()
	err := h.start().ended(t, "bridge kept running on a since the upstream cannot serve")
	if err == nil || !errorsIs(err, websocket.ErrSinceTooOld) {
		t.Fatalf("Run = %v, want ErrSinceTooOld", err)
	}
	for _, want := range []string{"ON_STALE_SINCE=resume-now", "BRIDGE_NAME"} {
		if !bytes.Contains([]byte(err.Error()), []byte(want)) {
			t.Errorf("error does not tell the operator about %s: %v", want, err)
		}
	}
}

func TestStaleSinceResumeNowRecordsAGap(t *testing.T) {
	h := newHarness(t, sim.Config{Rate: 200, Retention: 2 * time.Second, HeartbeatInterval: 200 * time.Millisecond}, func(e *config.Env) {
		e.OnStaleSince = string(config.StaleSinceResumeNow)
	})
	h.stopUntilSinceExpires()
	h.start()
	waitFor(t, "a gap marker", func() bool {
		rep, err := verify.ExactlyOnce(h.sim.Ledger(), h.records(), h.env.BridgeName)
		return err == nil && rep.Gaps == 1
	})
	rep := h.verify(h.records())
	if rep.Duplicates != 0 || rep.Unknown != 0 || rep.Lost == 0 {
		t.Fatalf("want a visible loss, no duplicates: %s", rep)
	}
}

// TestMetricsAndHealthInBothModes: the checkpoint, freshness, write and
// transaction metrics and /healthz's document follow the stream, whether
// a commit or a separate write carries the checkpoints.
func TestMetricsAndHealthInBothModes(t *testing.T) {
	for _, transactions := range []string{"true", "false"} {
		t.Run("transactions="+transactions, func(t *testing.T) {
			start := time.Now()
			h := newHarness(t, sim.Config{Rate: 1000, BatchSize: 20, MaxEvents: 500, HeartbeatInterval: 200 * time.Millisecond}, func(e *config.Env) {
				e.KafkaTransactions = transactions
			})
			reg := prometheus.NewRegistry()
			r := h.startWith(reg)
			b := r.b
			defer func() {
				if err := r.stop(t); err != nil {
					t.Errorf("Run: %v", err)
				}
			}()
			h.waitDelivered()
			// gauge returns a metric's value: a gauge's or counter's value,
			// a histogram's sample count, summed over label values.
			gauge := func(name string) float64 {
				families, err := reg.Gather()
				if err != nil {
					t.Fatal(err)
				}
				sum := 0.0
				for _, f := range families {
					if f.GetName() != name {
						continue
					}
					for _, m := range f.GetMetric() {
						switch {
						case m.GetGauge() != nil:
							sum += m.GetGauge().GetValue()
						case m.GetCounter() != nil:
							sum += m.GetCounter().GetValue()
						case m.GetHistogram() != nil:
							sum += float64(m.GetHistogram().GetSampleCount())
						}
					}
				}
				return sum
			}
			// The checkpoint follows the delivered events within an interval.
			waitFor(t, "a checkpoint whose since is after the start", func() bool {
				return gauge("analytics_bridge_checkpoint_since_seconds") >= float64(start.Add(-time.Second).Unix())
			})
			if n := gauge("analytics_bridge_checkpoints_written_total"); n < 1 {
				t.Errorf("checkpoints_written_total = %v", n)
			}
			// "Is it keeping up?": every freshness and write metric moved.
			for _, name := range []string{
				"analytics_bridge_produce_latency_seconds", "analytics_bridge_batch_records", "analytics_bridge_batch_bytes",
				"analytics_bridge_checkpoint_write_seconds", "analytics_bridge_upstream_connected",
			} {
				if v := gauge(name); v <= 0 {
					t.Errorf("%s = %v after streaming", name, v)
				}
			}
			if last := gauge("analytics_bridge_last_event_timestamp_seconds"); last < float64(start.Unix()) {
				t.Errorf("last_event_timestamp_seconds = %v, before the run started", last)
			}
			if lag := gauge("analytics_bridge_event_time_lag_seconds"); lag <= 0 || lag > 60 {
				t.Errorf("event_time_lag_seconds = %v", lag)
			}
			if committed := gauge("analytics_bridge_transactions_total"); (transactions == "true") != (committed > 0) {
				t.Errorf("transactions_total = %v with KAFKA_TRANSACTIONS=%s", committed, transactions)
			}
			if h := b.Health(); h.State != bridge.StateStreaming || h.Role != "active" || h.HighWater.IsZero() || h.LastEventAt.IsZero() || !b.Ready() {
				t.Errorf("health %+v, ready %v", h, b.Ready())
			}
		})
	}
}

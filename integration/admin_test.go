package integration_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge"
	"github.com/analytics-bridge/analytics-bridge/bridge/sink/admin"
	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/proctest"
	"github.com/analytics-bridge/analytics-bridge/integration/sim"
	"github.com/analytics-bridge/analytics-bridge/source/sources"
)

// TestCheckpointCommands moves the position the way an operator does: set
// and reset are refused while the bridge runs; after a clean stop, a set
// to an earlier time replays events already written without writing them
// twice; with --force the running instance is fenced, stands by, and
// resumes from the new position; reset deletes the position.
func TestCheckpointCommands(t *testing.T) {
	start := time.Now().UTC()
	h := newHarness(t, sim.Config{Rate: 500, BatchSize: 10, HeartbeatInterval: 200 * time.Millisecond}, nil)
	adm, err := admin.New(h.config(), sources.Kind(h.config()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()

	first := h.start()
	h.waitOurs(500)
	if _, err := adm.Set(ctx, start, false); !errors.Is(err, admin.ErrInstanceLive) {
		t.Fatalf("set while running: %v, want ErrInstanceLive", err)
	}
	if err := adm.Reset(ctx, false); !errors.Is(err, admin.ErrInstanceLive) {
		t.Fatalf("reset while running: %v, want ErrInstanceLive", err)
	}
	if err := first.stop(t); err != nil {
		t.Fatal(err)
	}

	// After a clean stop nobody is live: replay from the start. The stop
	// returns once its last checkpoint, marked stopped, is readable.
	if before, err := adm.Show(ctx); err != nil || !before.Stopped {
		t.Fatalf("show after a clean stop: %+v, %v (want a stopped checkpoint)", before, err)
	}
	res, err := adm.Set(ctx, start, false)
	if err != nil {
		t.Fatalf("set after the stop: %v", err)
	}
	if !res.New.Since.Equal(start) || res.Effect == "" {
		t.Errorf("set wrote %+v (%q)", res.New, res.Effect)
	}
	if got, err := adm.Show(ctx); err != nil || !got.Since.Equal(start) {
		t.Fatalf("show after set: %+v, %v", got, err)
	}
	get := httptest.NewRecorder()
	adm.Handler().ServeHTTP(get, httptest.NewRequest(http.MethodGet, "/checkpoint", nil))
	if get.Code != http.StatusOK || !strings.Contains(get.Body.String(), start.Format(time.RFC3339Nano)) {
		t.Errorf("GET /checkpoint: %d %s", get.Code, get.Body)
	}
	post := httptest.NewRecorder()
	adm.Handler().ServeHTTP(post, httptest.NewRequest(http.MethodPost, "/checkpoint", nil))
	if post.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /checkpoint: %d, want 405 (read-only)", post.Code)
	}
	second := h.start()
	h.waitOurs(len(h.sim.Ledger()))

	// --force while running: the bridge is fenced and resumes from the
	// forced position once it sees no newer checkpoint.
	waitFor(t, "the bridge to stream", func() bool { return second.b.State() == bridge.StateStreaming })
	if _, err := adm.Set(ctx, start, true); err != nil {
		t.Fatalf("set --force: %v", err)
	}
	waitFor(t, "the fenced bridge to stand by", func() bool { return second.b.State() == bridge.StateStandby })
	waitFor(t, "the bridge to take over again", func() bool { return second.b.State() == bridge.StateStreaming })
	requireExactlyOnce(t, h.pauseAndVerify())
	if err := second.stop(t); err != nil {
		t.Fatal(err)
	}

	if err := adm.Reset(ctx, false); err != nil {
		t.Fatalf("reset after the stop: %v", err)
	}
	if _, err := adm.Show(ctx); !errors.Is(err, admin.ErrNoCheckpoint) {
		t.Errorf("show after reset: %v, want ErrNoCheckpoint", err)
	}
	gone := httptest.NewRecorder()
	adm.Handler().ServeHTTP(gone, httptest.NewRequest(http.MethodGet, "/checkpoint", nil))
	if gone.Code != http.StatusNotFound {
		t.Errorf("GET /checkpoint after reset: %d, want 404", gone.Code)
	}
	// A position set where there is none is the configured source's.
	if _, err := adm.Set(ctx, start, false); err != nil {
		t.Fatalf("set after reset: %v", err)
	}
	if got, err := adm.Show(ctx); err != nil || got.Source != "websocket" || !got.Since.Equal(start) {
		t.Errorf("show after set on nothing: %+v, %v", got, err)
	}
}

// TestCheckpointSubcommand runs `analytics-bridge checkpoint` as an
// operator does, configured by the same environment as the bridge.
func TestCheckpointSubcommand(t *testing.T) {
	bin := proctest.Build(t)
	h := newHarness(t, sim.Config{Rate: 500, BatchSize: 10, HeartbeatInterval: 200 * time.Millisecond}, nil)
	r := h.start()
	h.waitOurs(100)
	command := func(args ...string) (string, int) {
		return proctest.Run(t, bin, h.env, append([]string{"checkpoint"}, args...)...)
	}
	if out, code := command("show"); code != 0 || !strings.Contains(out, `"since"`) || !strings.Contains(out, `"writer"`) {
		t.Errorf("checkpoint show: exit %d\n%s", code, out)
	}
	if out, code := command("set", "--since", "yesterday"); code != 2 || !strings.Contains(out, "RFC 3339") {
		t.Errorf("checkpoint set with a bad time: exit %d\n%s", code, out)
	}
	if out, code := command("reset"); code != 1 || !strings.Contains(out, "--force") {
		t.Errorf("checkpoint reset while running: exit %d\n%s", code, out)
	}
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	if out, code := command("reset"); code != 0 || !strings.Contains(out, "START_SINCE") {
		t.Errorf("checkpoint reset after the stop: exit %d\n%s", code, out)
	}
	if out, code := command("show"); code != 1 || !strings.Contains(out, "no checkpoint") {
		t.Errorf("checkpoint show after reset: exit %d\n%s", code, out)
	}
}

// TestCheckConnect runs `analytics-bridge check --connect` against a
// deployment whose topics do not exist yet (and may not be created), then
// against a working one.
func TestCheckConnect(t *testing.T) {
	bin := proctest.Build(t)
	h := newHarness(t, sim.Config{Rate: 100, BatchSize: 10, HeartbeatInterval: 200 * time.Millisecond}, func(e *config.Env) {
		e.KafkaCreateTopics = "false"
	})
	check := func() (string, int) { return proctest.Run(t, bin, h.env, "check", "--connect") }
	out, code := check()
	if code != 1 || !strings.Contains(out, "failed  topic "+h.env.KafkaTopic+": topic does not exist") || !strings.Contains(out, "KAFKA_CREATE_TOPICS=true") {
		t.Errorf("check --connect with missing topics: exit %d\n%s", code, out)
	}
	// The bridge creates them; then everything checks out.
	h.env.KafkaCreateTopics = "true"
	r := h.start()
	h.waitOurs(10)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	out, code = check()
	for _, want := range []string{"ok      kafka:", "ok      topic " + h.env.CheckpointTopic + ": 1 partition(s), cleanup.policy=compact",
		"ok      transactional id:", "ok      write:", "ok      token:", "ok      upstream:",
		// One broker: reported as warnings, which do not fail the check.
		"warn    durability topic " + h.env.KafkaTopic + ": replication factor 1,", "warn    durability transaction state log: "} {
		if !strings.Contains(out, want) {
			t.Errorf("check --connect lacks %q", want)
		}
	}
	if code != 0 {
		t.Errorf("check --connect on a working deployment: exit %d\n%s", code, out)
	}
}

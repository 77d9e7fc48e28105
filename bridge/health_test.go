package bridge

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/config"
)

func TestProbesFollowTheState(t *testing.T) {
	b, err := New(Options{Config: config.Config{BridgeName: "b", InstanceID: "i-1"}, Source: lateSource{}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		state       string
		ready, live bool // live: /healthz answers 200
		role        string
	}{
		{StateStarting, false, true, "active"},
		{StateStandby, true, true, "standby"},
		{StateConnecting, false, true, "active"},
		{StateStreaming, true, true, "active"},
		{StateRecovering, false, true, "active"},
		{StateFailed, false, false, "active"},
	}
	for _, tt := range tests {
		b.setState(tt.state)
		ready := httptest.NewRecorder()
		b.ReadyHandler().ServeHTTP(ready, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		if got := ready.Code == http.StatusOK; got != tt.ready {
			t.Errorf("%s: /readyz %d, want ready=%v", tt.state, ready.Code, tt.ready)
		}
		health := httptest.NewRecorder()
		b.HealthHandler().ServeHTTP(health, httptest.NewRequest(http.MethodGet, "/healthz", nil))
		if got := health.Code == http.StatusOK; got != tt.live {
			t.Errorf("%s: /healthz %d", tt.state, health.Code)
		}
		var h Health
		if err := json.NewDecoder(health.Body).Decode(&h); err != nil {
			t.Fatal(err)
		}
		if h.State != tt.state || h.Role != tt.role || h.Bridge != "b" || h.Instance != "i-1" {
			t.Errorf("%s: /healthz %+v", tt.state, h)
		}
	}
}

func TestFreshness(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	f := newFreshness()
	f.now = func() time.Time { return now }
	if f.lagSeconds() != 0 || f.lastEventSeconds() != 0 {
		t.Error("lag or last event before any checkpoint or event")
	}
	f.checkpointed(now.Add(-7*time.Second), now.Add(-5*time.Second))
	f.received(now.Add(-time.Second))
	f.received(now.Add(-3 * time.Second)) // a late event does not move the mark back
	if got := f.lagSeconds(); got != 5 {
		t.Errorf("lag = %v, want 5", got)
	}
	if got := f.lastEventSeconds(); got != float64(now.Add(-time.Second).Unix()) {
		t.Errorf("last event = %v", got)
	}
}

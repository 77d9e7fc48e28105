package bridge

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge/sink/admin"
)

// States reported by State.
const (
	StateStarting   = "starting"
	StateStandby    = "standby"
	StateConnecting = "connecting"
	StateStreaming  = "streaming"
	StateRecovering = "recovering"
	StateStopped    = "stopped"
	StateFailed     = "failed"
)

// State is what the bridge is doing now (for health checks and logs).
func (b *Bridge) State() string { return b.state.Load().(string) }

func (b *Bridge) setState(s string) { b.state.Store(s) }

// Ready reports whether this instance does its job: it streams, or it
// stands by healthy, ready to take over (a standby must count as ready, or
// a rolling update of two replicas would wait for it forever).
func (b *Bridge) Ready() bool {
	switch b.State() {
	case StateStreaming, StateStandby:
		return true
	}
	return false
}

// Health is the /healthz document.
type Health struct {
	State       string    `json:"state"`
	Bridge      string    `json:"bridge"`
	Instance    string    `json:"instance"`
	Role        string    `json:"role"` // active or standby
	Since       time.Time `json:"since,omitzero"`
	HighWater   time.Time `json:"high_water,omitzero"`
	LagSeconds  float64   `json:"lag_seconds"`
	LastEventAt time.Time `json:"last_event_at,omitzero"`
}

// Health returns what /healthz reports.
func (b *Bridge) Health() Health {
	state := b.State()
	since, highWater, last := b.fresh.times()
	role := "active"
	if state == StateStandby {
		role = "standby"
	}
	return Health{State: state, Bridge: b.cfg.BridgeName, Instance: b.cfg.InstanceID, Role: role,
		Since: since, HighWater: highWater, LagSeconds: b.fresh.lagSeconds(), LastEventAt: last}
}

// HealthHandler answers /healthz: the Health document, with status 200
// while the bridge works and 503 once it failed.
func (b *Bridge) HealthHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := b.Health()
		w.Header().Set("Content-Type", "application/json")
		if h.State == StateFailed {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(h)
	})
}

// ReadyHandler answers /readyz: 200 while Ready, 503 otherwise, with the
// state as the body.
func (b *Bridge) ReadyHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if !b.Ready() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_, _ = w.Write([]byte(b.State() + "\n"))
	})
}

// checkpointed records a written checkpoint in the metrics and /healthz.
func (b *Bridge) checkpointed(since, highWater time.Time) {
	b.metrics.checkpoints.Inc()
	b.metrics.checkpointSince.Set(float64(since.UnixMilli()) / 1000)
	b.fresh.checkpointed(since, highWater)
}

// observeInFlight sets the in-flight gauges.
func (b *Bridge) observeInFlight(tr *tracker) {
	pending, _ := tr.stats()
	_, bytes := tr.slots.Pending()
	b.metrics.inFlight.Set(float64(pending))
	b.metrics.inFlightBytes.Set(float64(bytes))
}

// Admin returns the operator's view of this bridge's checkpoint, sharing
// its Kafka connections (for the read-only /checkpoint endpoint).
func (b *Bridge) Admin() *admin.Admin { return admin.Shared(b.cfg, b.src.Name(), b.client, b.store) }

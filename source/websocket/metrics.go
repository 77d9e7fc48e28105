package websocket

import "github.com/prometheus/client_golang/prometheus"

// metrics are the WebSocket source's collectors, beside the core's under
// the same analytics_bridge_ prefix (the README's metrics table lists
// them).
type metrics struct {
	connects      prometheus.Counter
	disconnects   *prometheus.CounterVec
	connected     prometheus.Gauge
	tokenFailures prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	const ns = "analytics_bridge"
	m := &metrics{
		connects:      prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "upstream_connects_total", Help: "Successful upstream connections."}),
		disconnects:   prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "upstream_disconnects_total", Help: "Upstream connections ended or refused, by reason."}, []string{"reason"}),
		connected:     prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "upstream_connected", Help: "1 while an upstream connection is open."}),
		tokenFailures: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "token_refresh_failures_total", Help: "Failed attempts to get an upstream token (file unreadable, OAuth2 endpoint refused)."}),
	}
	// A series that exists from the start, so that rates see zeros.
	m.disconnects.WithLabelValues("error")
	if reg != nil {
		reg.MustRegister(m.connects, m.disconnects, m.connected, m.tokenFailures)
	}
	return m
}

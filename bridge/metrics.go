package bridge

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the bridge's Prometheus collectors, registered on the
// registry the caller passes in (no global registry).
type metrics struct {
	eventsReceived  prometheus.Counter
	recordsAcked    prometheus.Counter
	duplicates      prometheus.Counter
	deadLetters     prometheus.Counter
	connects        prometheus.Counter
	disconnects     *prometheus.CounterVec
	produceFailures prometheus.Counter
	checkpoints     prometheus.Counter
	gaps            prometheus.Counter
	inFlight        prometheus.Gauge
	checkpointSince prometheus.Gauge
	leaseHeld       prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	const ns = "analytics_bridge"
	m := &metrics{
		eventsReceived:  prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "events_received_total", Help: "Events read from the upstream, replays included."}),
		recordsAcked:    prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "records_acked_total", Help: "Records acknowledged by Kafka (events, dead letters, gap markers)."}),
		duplicates:      prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "duplicates_dropped_total", Help: "Replayed events dropped because they were already delivered."}),
		deadLetters:     prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "dead_letters_total", Help: "Frames or events sent to the dead-letter topic."}),
		connects:        prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "upstream_connects_total", Help: "Successful upstream connections."}),
		disconnects:     prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "upstream_disconnects_total", Help: "Upstream connections ended or refused, by reason."}, []string{"reason"}),
		produceFailures: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "produce_failures_total", Help: "Produce requests whose outcome was unknown (each starts a tail scan)."}),
		checkpoints:     prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "checkpoints_written_total", Help: "Checkpoints written."}),
		gaps:            prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "gaps_total", Help: "Gaps accepted with ON_STALE_SINCE=resume-now."}),
		inFlight:        prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "in_flight_records", Help: "Records read but not yet acknowledged."}),
		checkpointSince: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "checkpoint_since_seconds", Help: "Resume time of the last checkpoint written (Unix seconds)."}),
		leaseHeld:       prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "lease_held", Help: "1 while this instance holds the bridge-name lease."}),
	}
	if reg != nil {
		reg.MustRegister(m.eventsReceived, m.recordsAcked, m.duplicates, m.deadLetters, m.connects, m.disconnects,
			m.produceFailures, m.checkpoints, m.gaps, m.inFlight, m.checkpointSince, m.leaseHeld)
	}
	return m
}

package bridge

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the bridge's Prometheus collectors, registered on the
// registry the caller passes in (no global registry). Names follow the
// Prometheus conventions under the analytics_bridge_ prefix; the README's
// "Operating it" table lists them. Sources register their own beside them.
type metrics struct {
	eventsReceived  prometheus.Counter
	recordsAcked    prometheus.Counter
	duplicates      prometheus.Counter
	deadLetters     prometheus.Counter
	produceFailures prometheus.Counter
	produceLatency  prometheus.Histogram
	batchRecords    prometheus.Histogram
	batchBytes      prometheus.Histogram
	checkpoints     prometheus.Counter
	checkpointTime  prometheus.Histogram
	checkpointFails prometheus.Counter
	transactions    *prometheus.CounterVec
	gaps            prometheus.Counter
	inFlight        prometheus.Gauge
	inFlightBytes   prometheus.Gauge
	checkpointSince prometheus.Gauge
	leaseHeld       prometheus.Gauge
	windowKeys      prometheus.Gauge
	windowEvicted   prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, freshness *freshness) *metrics {
	const ns = "analytics_bridge"
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: name, Help: help})
	}
	gauge := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: name, Help: help})
	}
	histogram := func(name, help string, buckets []float64) prometheus.Histogram {
		return prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Name: name, Help: help, Buckets: buckets})
	}
	latency := []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	m := &metrics{
		eventsReceived:  counter("events_received_total", "Events read from the upstream, replays included."),
		recordsAcked:    counter("records_acked_total", "Records acknowledged by Kafka (events, dead letters, gap markers); with transactions, at commit."),
		duplicates:      counter("duplicates_dropped_total", "Events and dead letters read again (replays, redeliveries) and dropped because they were already delivered."),
		deadLetters:     counter("dead_letters_total", "Frames or events sent to the dead-letter topic (once each)."),
		produceFailures: counter("produce_failures_total", "Records whose write failed (each ends the epoch)."),
		produceLatency:  histogram("produce_latency_seconds", "Time from sending a batch to Kafka's definite answer, retries of the same batch included.", latency),
		batchRecords:    histogram("batch_records", "Records per batch written.", prometheus.ExponentialBuckets(1, 4, 8)),
		batchBytes:      histogram("batch_bytes", "Estimated bytes per batch written, before compression.", prometheus.ExponentialBuckets(256, 4, 8)),
		checkpoints:     counter("checkpoints_written_total", "Checkpoints written (with transactions: committed)."),
		checkpointTime:  histogram("checkpoint_write_seconds", "Time to write a checkpoint (with transactions: to commit the transaction holding it).", latency),
		checkpointFails: counter("checkpoint_write_failures_total", "Checkpoint writes or commits that failed."),
		transactions:    prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "transactions_total", Help: "Kafka transactions ended, by outcome (committed, aborted)."}, []string{"outcome"}),
		gaps:            counter("gaps_total", "Gap markers written (ON_STALE_SINCE=resume-now)."),
		inFlight:        gauge("in_flight_records", "Records read but not yet acknowledged (with transactions: not yet committed)."),
		inFlightBytes:   gauge("in_flight_bytes", "Bytes of the records read but not yet acknowledged; KAFKA_MAX_IN_FLIGHT_BYTES bounds them."),
		checkpointSince: gauge("checkpoint_since_seconds", "Resume time of the last checkpoint written (Unix seconds)."),
		leaseHeld:       gauge("lease_held", "1 while this instance holds the bridge-name lease (KAFKA_TRANSACTIONS=false)."),
		windowKeys:      gauge("dedup_window_keys", "Dedup keys held in the window at the last checkpoint (DEDUP_MAX_KEYS bounds them for the sqs source)."),
		windowEvicted:   counter("dedup_window_evicted_total", "Dedup keys forgotten before DEDUP_WINDOW passed because the window was full (DEDUP_MAX_KEYS): a redelivery of one of them would be written again."),
	}
	// Series that exist from the start, so that rates and dashboards see
	// zeros instead of nothing.
	m.transactions.WithLabelValues("committed")
	m.transactions.WithLabelValues("aborted")
	if reg != nil {
		reg.MustRegister(m.eventsReceived, m.recordsAcked, m.duplicates, m.deadLetters,
			m.produceFailures, m.produceLatency, m.batchRecords, m.batchBytes,
			m.checkpoints, m.checkpointTime, m.checkpointFails, m.transactions, m.gaps, m.inFlight, m.inFlightBytes, m.checkpointSince, m.leaseHeld, m.windowKeys, m.windowEvicted,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Name: "event_time_lag_seconds",
				Help: "Now minus the high water of the last checkpoint (the latest event time of the acknowledged prefix); grows while the stream falls behind."},
				freshness.lagSeconds),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Name: "last_event_timestamp_seconds",
				Help: "Event time of the newest event received from the upstream (Unix seconds); 0 before the first."},
				freshness.lastEventSeconds),
		)
	}
	return m
}

// registerReady exports Ready: the PrometheusRule's not-ready alert reads
// the bridge's own view, which names the instance even while it keeps
// answering probes (deploy/kubernetes/prometheusrule.yaml).
func registerReady(reg prometheus.Registerer, ready func() bool) {
	if reg == nil {
		return
	}
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "analytics_bridge", Name: "ready",
		Help: "1 while /readyz answers 200 (streaming or standing by); 0 while starting, connecting, recovering or stopped."},
		func() float64 {
			if ready() {
				return 1
			}
			return 0
		}))
}

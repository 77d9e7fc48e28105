package sqs

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the source's collectors, beside the core's (events, dedup
// drops and event-time lag are the core's).
type metrics struct {
	received       prometheus.Counter
	redelivered    prometheus.Counter
	deleted        prometheus.Counter
	deleteFailures prometheus.Counter
	extended       prometheus.Counter
	extendFailures prometheus.Counter
	released       prometheus.Counter
	receiveErrors  *prometheus.CounterVec
	queueMessages  *prometheus.GaugeVec
	messageAge     prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	const ns, sub = "analytics_bridge", "sqs"
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: name, Help: help})
	}
	m := &metrics{
		received:       counter("messages_received_total", "Messages received from the queue, redeliveries included."),
		redelivered:    counter("messages_redelivered_total", "Messages received more than once (ApproximateReceiveCount > 1); analytics_bridge_duplicates_dropped_total counts those dropped."),
		deleted:        counter("messages_deleted_total", "Messages deleted from the queue after their record was committed."),
		deleteFailures: counter("delete_failures_total", "Deletes that failed for good (the message comes back after its visibility timeout and is dropped as a duplicate)."),
		extended:       counter("visibility_extensions_total", "Visibility timeouts extended for messages held past half of it."),
		extendFailures: counter("visibility_extension_failures_total", "Visibility extensions that failed (the message may come back while in flight; it is written once)."),
		released:       counter("messages_released_total", "Messages an epoch read but never committed, made visible again at once when it closed."),
		receiveErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "receive_errors_total",
			Help: "ReceiveMessage calls that failed after the SDK's retries, by AWS error code (retried with backoff unless a refusal)."}, []string{"code"}),
		queueMessages: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "queue_messages",
			Help: "Messages in the queue by state (visible, in_flight, delayed), polled from GetQueueAttributes every 15 s."}, []string{"state"}),
		messageAge: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "message_age_seconds",
			Help: "Age (now minus SentTimestamp) of the oldest message of the last receive: how far behind the queue's head the bridge reads. The queue's own oldest age is CloudWatch's ApproximateAgeOfOldestMessage."}),
	}
	for _, state := range []string{"visible", "in_flight", "delayed"} {
		m.queueMessages.WithLabelValues(state)
	}
	m.receiveErrors.WithLabelValues("network") // a series from the start: rates see zeros

	if reg != nil {
		reg.MustRegister(m.received, m.redelivered, m.deleted, m.deleteFailures, m.extended, m.extendFailures, m.released,
			m.receiveErrors, m.queueMessages, m.messageAge)
	}
	return m
}

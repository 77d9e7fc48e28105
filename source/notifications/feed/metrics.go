package feed

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/analytics-bridge/analytics-bridge/source/notifications"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/discovery"
)

// metrics are the source's collectors, beside the core's.
type metrics struct {
	topics       *prometheus.GaugeVec
	channels     *prometheus.GaugeVec
	followed     prometheus.Gauge
	openGaps     prometheus.Gauge
	pending      prometheus.Gauge
	completeLag  prometheus.Gauge
	gaps         *prometheus.CounterVec
	details      *prometheus.CounterVec
	givenUp      prometheus.Counter
	fetchSeconds *prometheus.HistogramVec
	api          *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	const ns, sub = "analytics_bridge", "notifications"
	gauge := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: name, Help: help})
	}
	m := &metrics{
		topics: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "topics",
			Help: "The topic budget: topics wanted, subscribed, unplaced (no room on MAX_CHANNELS channels of 1,000), rejected (missing permissions), and the capacity."}, []string{"state"}),
		channels: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "channels",
			Help: "Notification channels in use and connected."}, []string{"state"}),
		followed:    gauge("conversations_followed", "Conversations whose detail topics are subscribed."),
		openGaps:    gauge("backfill_gaps", "Intervals waiting to be back-filled from the analytics API."),
		pending:     gauge("backfill_conversations_awaited", "Conversations awaited by id: written as conversation-detail records once ended."),
		completeLag: gauge("complete_lag_seconds", "Now minus the time before which the live stream missed nothing unreported (heartbeats keep it under about 30 s while connected)."),
		gaps: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "gaps_total",
			Help: "Intervals in which events may have been missed, each back-filled, by kind: interval (queue or other topics: a socket down, a channel replaced, the bridge's downtime; fetched as an interval) or conversation (only conversations' detail topics, read later than wanted: every followed conversation has one; awaited by id)."}, []string{"kind"}),
		details: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "conversation_details_total",
			Help: "conversation-detail records written, by why (gap, followed, max-wait)."}, []string{"why"}),
		givenUp: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "backfill_given_up_total",
			Help: "Conversations never found in the analytics API within GENESYS_BACKFILL_MAX_WAIT: their missed events could not be back-filled."}),
		fetchSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub, Name: "backfill_fetch_seconds",
			Help:    "Time of one back-fill fetch (interval: a gap's query or job, rate-limit waits included; by_id: the awaited conversations).",
			Buckets: prometheus.ExponentialBuckets(0.05, 3, 9)}, []string{"kind"}),
		api: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "api_requests_total",
			Help: "Platform API requests by answer status (0: no answer) and retry reason."}, []string{"status", "reason"}),
	}
	for _, state := range []string{"wanted", "subscribed", "unplaced", "rejected", "capacity"} {
		m.topics.WithLabelValues(state)
	}
	for _, state := range []string{"in_use", "connected"} {
		m.channels.WithLabelValues(state)
	}
	for _, kind := range []string{gapInterval, gapConversation} {
		m.gaps.WithLabelValues(kind)
	}
	for _, why := range []string{whyGap, whyFollowed, whyMaxWait} {
		m.details.WithLabelValues(why)
	}
	if reg != nil {
		reg.MustRegister(m.topics, m.channels, m.followed, m.openGaps, m.pending, m.completeLag, m.gaps, m.details, m.givenUp,
			m.fetchSeconds, m.api)
	}
	return m
}

// observe refreshes the gauges.
func (m *metrics) observe(c *notifications.Client, d *discovery.Discovery, gaps, pending int, lag time.Duration) {
	b := c.Status().Budget
	m.topics.WithLabelValues("wanted").Set(float64(b.Wanted))
	m.topics.WithLabelValues("subscribed").Set(float64(b.Subscribed))
	m.topics.WithLabelValues("unplaced").Set(float64(b.Unplaced))
	m.topics.WithLabelValues("rejected").Set(float64(b.Rejected))
	m.topics.WithLabelValues("capacity").Set(float64(b.Capacity()))
	m.channels.WithLabelValues("in_use").Set(float64(b.Channels))
	m.channels.WithLabelValues("connected").Set(float64(b.Connected))
	m.followed.Set(float64(d.Stats().Followed))
	m.openGaps.Set(float64(gaps))
	m.pending.Set(float64(pending))
	m.completeLag.Set(lag.Seconds())
}

package feed

import (
	"fmt"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/analytics-bridge/analytics-bridge/source"
	"github.com/analytics-bridge/analytics-bridge/source/notifications"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/api"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/backfill"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/discovery"
)

// Name is the source's kind, as SOURCE and checkpoints name it.
const Name = "notifications"

// Options configure the source. Zero durations take the defaults shown.
type Options struct {
	// API configures the Platform API client, shared by every epoch (its
	// token outlives them); its Observe is the source's metrics, then the
	// given one.
	API      api.Options
	Logger   zerolog.Logger
	Registry prometheus.Registerer // nil: metrics not exported

	// Channels configures each epoch's channel client; its API and Logger
	// are the source's.
	Channels notifications.Options
	// Discovery configures what is subscribed; its API, Subscriber and
	// Logger are the source's.
	Discovery discovery.Options
	// Backfill configures the analytics fetches; its API and Logger are the
	// source's.
	Backfill backfill.Options

	// Latency widens every interval fetched, on both sides: the platform
	// stamps an event before it publishes it, seconds later (30 s).
	Latency time.Duration
	// PendingPoll is how often the conversations awaiting their end are
	// fetched (1 min).
	PendingPoll time.Duration
	// PendingMaxWait is how long a conversation may stay unended before it
	// is written as it stands (24 h).
	PendingMaxWait time.Duration
	// MarkEvery is how often the live stream's completeness is sampled
	// for the checkpoint (100 ms of wall time).
	MarkEvery time.Duration
}

// Source is the notifications source: see the package doc.
type Source struct {
	opts    Options
	api     *api.Client
	log     zerolog.Logger
	metrics *metrics
	fetch   *backfill.Fetcher
}

var _ source.Source = (*Source)(nil)

// New checks the options and builds the source; it calls nothing on the
// network.
func New(o Options) (*Source, error) {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Latency, 30*time.Second)
	def(&o.PendingPoll, time.Minute)
	def(&o.PendingMaxWait, 24*time.Hour)
	def(&o.MarkEvery, 100*time.Millisecond)
	m := newMetrics(o.Registry)
	observe := o.API.Observe
	o.API.Observe = func(a api.Attempt) {
		m.api.WithLabelValues(strconv.Itoa(a.Status), a.Reason).Inc()
		if observe != nil {
			observe(a)
		}
	}
	client, err := api.New(o.API)
	if err != nil {
		return nil, fmt.Errorf("notifications source: %w", err)
	}
	o.Backfill.API, o.Backfill.Logger = client, o.Logger
	f, err := backfill.New(o.Backfill)
	if err != nil {
		return nil, fmt.Errorf("notifications source: %w", err)
	}
	log := o.Logger.With().Str("source", Name).Logger()
	return &Source{opts: o, api: client, log: log, metrics: m, fetch: f}, nil
}

// Name is "notifications".
func (s *Source) Name() string { return Name }

// Resume starts an epoch: a new channel client and discovery (channels
// are never shared between epochs: the platform keeps one socket per
// channel), and the back-fill of what the checkpoint still lists, plus the
// bridge's own downtime (from the checkpoint's Live to now).
func (s *Source) Resume(cp source.Checkpoint) (source.Stream, error) {
	st, err := parseState(cp.State)
	if err != nil {
		return nil, err
	}
	now := s.api.Clock().Now().UTC()
	if cp.Found && st.Live.IsZero() {
		st.Live = cp.Since // a checkpoint set by hand: complete until its since
	}
	led := newLedger(st, now)
	switch {
	case !cp.Found:
		led.live = now
		s.log.Info().Time("from", now).Msg("no checkpoint: streaming from now on, with no back-fill of the past")
	case st.Live.Before(now):
		g := led.addGap(st.Live, now, "the bridge was not reading (from the checkpoint)")
		s.metrics.gaps.WithLabelValues(gapInterval).Inc()
		s.log.Info().Time("from", g.From).Time("to", g.To).Int("gaps", len(st.Gaps)).Int("pending", len(st.Pending)).
			Msg("resuming: back-filling the bridge's own downtime and what the checkpoint still lists")
	}
	return newStream(s, led, now)
}

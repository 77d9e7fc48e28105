// Package websocket is the `since` WebSocket source: it reads
// GET /api/v2/analytics/events?since=<time> with a bearer token, resumes
// every connection from the time the core's acknowledged progress allows,
// and hands each event to the core as read, never re-encoded.
//
// Where things live: the connection (dialer.go, with token.go and the
// upstream's refusals in errors.go), one open connection (session.go,
// reading frames into pooled buffers, frames.go), what follows a
// connection (reconnect.go, carried out by stream.go), where a connection
// resumes and which replayed keys the core must keep (cursor.go), and
// decoding a frame into events without re-encoding them (event.go, with
// one-pass field scanning in scan.go and syntax checking in valid.go).
//
// The upstream replays inclusively from since and has no sequence numbers,
// so every reconnect sends events again; the core recognises them by their
// dedup key (the event's id, or its content key) and drops them. Events
// arrive at most EVENT_LATENESS late, so resuming from the acknowledged
// high water less the lateness loses nothing.
package websocket

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/source"
)

// Name is this source's kind, the value of SOURCE.
const Name = "websocket"

// Options configure a Source. Only Config is required.
type Options struct {
	Config   config.Config
	Logger   zerolog.Logger
	Registry prometheus.Registerer // nil: metrics are not exported
}

// Source is the `since` WebSocket upstream.
type Source struct {
	cfg     config.Config
	log     zerolog.Logger
	metrics *metrics
	tokens  tokenSource
	dialer  *dialer
	decoder decoder
	frames  framePool // frame buffers, shared by every session
	seed    uint64
}

// New checks nothing on the network. It fails when a certificate or key
// file named by the configuration cannot be used.
func New(opts Options) (*Source, error) {
	cfg := opts.Config
	tokens := newTokenSource(cfg.Token)
	d := newDialer(cfg, tokens)
	if err := d.setupErr(); err != nil {
		return nil, err
	}
	return &Source{
		cfg:     cfg,
		log:     opts.Logger,
		metrics: newMetrics(opts.Registry),
		tokens:  tokens,
		dialer:  d,
		decoder: decoder{TimeField: cfg.EventTimeField, IDField: cfg.EventIDField, PartitionField: cfg.PartitionKey},
		seed:    uint64(time.Now().UnixNano()),
	}, nil
}

// Name returns "websocket".
func (s *Source) Name() string { return Name }

// Resume starts an epoch at the checkpoint's since, or without one at
// START_SINCE (now when unset).
func (s *Source) Resume(cp source.Checkpoint) (source.Stream, error) {
	since, high := cp.Since, cp.HighWater
	if !cp.Found {
		since = s.cfg.StartSince
		if since.IsZero() {
			since = time.Now().UTC()
		}
		high = since
	}
	if since.IsZero() {
		return nil, fmt.Errorf("the checkpoint has no since to resume the WebSocket from")
	}
	return &stream{src: s, cursor: newCursor(since, high, s.cfg.EventLateness)}, nil
}

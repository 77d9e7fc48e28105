package bridge

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/analytics-bridge/analytics-bridge/bridge/retry"
	"github.com/analytics-bridge/analytics-bridge/bridge/sink"
	"github.com/analytics-bridge/analytics-bridge/bridge/sink/kafkasec"
	"github.com/analytics-bridge/analytics-bridge/bridge/sink/lease"
	"github.com/analytics-bridge/analytics-bridge/checkpoint"
	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/source"
)

// Options configure a Bridge. Config and Source are required.
type Options struct {
	Config   config.Config
	Source   source.Source // where events come from
	Logger   zerolog.Logger
	Registry prometheus.Registerer // nil: metrics are not exported
}

// Bridge streams a source's events into Kafka. Run it once.
type Bridge struct {
	cfg     config.Config
	src     source.Source
	mode    commitMode
	log     zerolog.Logger
	metrics *metrics
	client  *kafka.Client
	store   *checkpoint.Store
	seed    uint64
	// compact is the bounded dedup window every epoch reuses
	// (DEDUP_MAX_KEYS); nil: each epoch's window is a map.
	compact *compactWindow

	state atomic.Value // string, see State
	fresh *freshness
}

// New checks nothing on the network; Run does the work. It fails when a
// certificate or key file named by the configuration cannot be used.
func New(opts Options) (*Bridge, error) {
	cfg := opts.Config
	if opts.Source == nil {
		return nil, errors.New("bridge: Options.Source is required")
	}
	client, err := sink.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	fresh := newFreshness()
	b := &Bridge{
		cfg:     cfg,
		src:     opts.Source,
		log:     opts.Logger,
		fresh:   fresh,
		metrics: newMetrics(opts.Registry, fresh),
		client:  client,
		store:   checkpoint.NewStore(client, cfg.CheckpointTopic, cfg.BridgeName),
		seed:    uint64(time.Now().UnixNano()),
	}
	if cfg.DedupMaxKeys > 0 {
		if b.compact, err = newCompactWindow(cfg.DedupMaxKeys, b.metrics.windowEvicted, opts.Logger); err != nil {
			return nil, fmt.Errorf("DEDUP_MAX_KEYS: %w", err)
		}
	}
	// The one place the commit mode is chosen.
	if cfg.Transactions {
		b.mode = fenced{b}
	} else {
		b.mode = &leased{b: b}
	}
	b.state.Store(StateStarting)
	registerReady(opts.Registry, b.Ready)
	return b, nil
}

// newWindow is an empty dedup window for an epoch.
func (b *Bridge) newWindow() keyWindow {
	if b.compact != nil {
		b.compact.reset()
		return b.compact
	}
	return newMapWindow()
}

// permanentError marks a failure that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return permanentError{err} }

func isPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// final returns the error Run stops with when retrying err cannot help: a
// permanent error, or Kafka (or its TLS or token endpoint) refusing the
// bridge, explained in one line naming the setting or ACL. Otherwise nil.
func (b *Bridge) final(err error) error {
	if denied := kafkasec.Explain(err, b.cfg); denied != nil {
		return permanent(denied)
	}
	if isPermanent(err) {
		return err
	}
	return nil
}

// errStandBy ends a turn at producing: the lease was lost, or another
// instance fenced this one. Run stands by and may take over again later.
var errStandBy = errors.New("another instance owns this bridge name")

// Run streams until ctx is canceled (then it flushes, writes a final
// checkpoint and returns nil) or a permanent failure occurs.
func (b *Bridge) Run(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			b.setState(StateFailed)
		} else {
			b.setState(StateStopped)
		}
	}()
	bo := retry.NewBackoff(b.cfg.ReconnectMinBackoff, b.cfg.ReconnectMaxBackoff, b.seed)
	closes := kafkasec.NewAuthCloses(b.cfg, b.client.Transport)
	prepare := func(ctx context.Context) error { return b.prepareTopics(ctx, closes) }
	if err := b.retry(ctx, bo, "preparing topics", prepare); err != nil {
		return err
	}
	for fresh := true; ; fresh = false {
		err := b.mode.turn(ctx, fresh, b.serve)
		switch {
		case errors.Is(err, errStandBy):
			b.log.Error().Err(err).Msg("stopped producing; standing by")
			continue
		case err != nil:
			return err
		case ctx.Err() != nil:
			b.log.Info().Msg("stopped")
			return nil
		}
	}
}

// retry runs fn until it succeeds, fails permanently or ctx ends.
func (b *Bridge) retry(ctx context.Context, bo *retry.Backoff, what string, fn func(context.Context) error) error {
	for {
		err := fn(ctx)
		if err == nil || ctx.Err() != nil {
			bo.Reset()
			return nil
		}
		if ferr := b.final(err); ferr != nil {
			return ferr
		}
		d := bo.Next()
		b.log.Warn().Err(err).Dur("retry_in", d).Msg(what + " failed")
		if err := retry.Sleep(ctx, d); err != nil {
			return nil
		}
	}
}

// prepareTopics reaches Kafka and creates the topics; closes turns a
// broker that keeps closing the connection during SASL authentication
// into a refusal.
func (b *Bridge) prepareTopics(ctx context.Context, closes *kafkasec.AuthCloses) error {
	// A metadata request first: kafka-go reports why it cannot reach the
	// cluster (TLS, SASL) only to metadata requests, and answers others,
	// such as CreateTopics, with BROKER_NOT_AVAILABLE.
	_, err := b.client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{b.cfg.KafkaTopic}})
	if err != nil {
		err = fmt.Errorf("reaching Kafka at %s: %w", strings.Join(b.cfg.KafkaBrokers, ","), err)
	}
	if denied := closes.Observe(ctx, err); denied != nil {
		return permanent(denied)
	}
	if err != nil {
		return err
	}
	if b.cfg.CreateTopics {
		if err := sink.EnsureTopics(ctx, b.client, b.cfg.TopicPartitions, b.cfg.ReplicationFactor, b.cfg.KafkaTopic, b.cfg.KafkaDLQTopic); err != nil {
			return err
		}
		if err := b.store.EnsureTopic(ctx, b.cfg.ReplicationFactor); err != nil {
			return err
		}
	}
	_, err = sink.PartitionCounts(ctx, b.client, b.cfg.KafkaTopic, b.cfg.KafkaDLQTopic, b.cfg.CheckpointTopic)
	// A topic just created (by us or a sibling) can take a moment to show
	// in metadata; only a topic nobody will create is a dead end.
	if errors.Is(err, sink.ErrTopicMissing) && !b.cfg.CreateTopics {
		return permanent(fmt.Errorf("%w (create it, or set KAFKA_CREATE_TOPICS=true)", err))
	}
	return err
}

// serve streams, epoch after epoch, until ctx ends (the process stops, or
// the turn is lost), another instance fences this one, or a permanent
// failure.
func (b *Bridge) serve(ctx context.Context) error {
	bo := retry.NewBackoff(b.cfg.ReconnectMinBackoff, b.cfg.ReconnectMaxBackoff, b.seed+1)
	for first := true; ; first = false {
		err := b.epoch(ctx, first)
		if ctx.Err() != nil {
			if lost := lostTurn(ctx); lost != nil {
				return lost
			}
			if !errors.Is(err, errEpochFailed) || errors.Is(err, context.Cause(ctx)) {
				// Stopped while the epoch began (a slow SASL handshake
				// widens that window): its error is the cancellation's
				// (kafka-go reports a cancelled ListOffsets as
				// UNKNOWN_SERVER_ERROR), or a write the stop itself cut
				// short (the epoch's first commit). Nothing committed
				// needs finishing: the next instance aborts an open
				// transaction. A failed final flush (errEpochFailed, under
				// its own SHUTDOWN_TIMEOUT context) is still reported.
				if err != nil && !errors.Is(err, context.Canceled) {
					b.log.Warn().Err(err).Msg("the epoch ended with an error while stopping")
				}
				return nil
			}
			return err
		}
		if ferr := b.final(err); ferr != nil {
			return ferr
		}
		if err == nil || errors.Is(err, errStandBy) {
			return err
		}
		b.setState(StateRecovering)
		d := bo.Next()
		b.log.Warn().Err(err).Dur("retry_in", d).Msg("epoch ended; rebuilding from the committed checkpoint and the outputs before resuming")
		if err := retry.Sleep(ctx, d); err != nil {
			return lostTurn(ctx)
		}
	}
}

// lostTurn is the lease's loss when that is what ended ctx, else nil.
func lostTurn(ctx context.Context) error {
	if cause := context.Cause(ctx); errors.Is(cause, lease.ErrLost) {
		return cause
	}
	return nil
}

package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/analytics-bridge/analytics-bridge/bridge/kafkasec"
	"github.com/analytics-bridge/analytics-bridge/checkpoint"
	"github.com/analytics-bridge/analytics-bridge/config"
)

// Options configure a Bridge. Only Config is required.
type Options struct {
	Config   config.Config
	Logger   zerolog.Logger
	Registry prometheus.Registerer // nil: metrics are not exported
	Tokens   tokenSource           // nil: built from Config.Token
}

// Bridge streams upstream events into Kafka. Run it once.
type Bridge struct {
	cfg     config.Config
	log     zerolog.Logger
	metrics *metrics
	tokens  tokenSource
	client  *kafka.Client
	store   *checkpoint.Store
	decoder decoder
	dialer  *dialer
	seed    uint64

	state  atomic.Value // string, see State
	fresh  *freshness
	frames framePool // the upstream's frame buffers, shared by every session
}

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

// New checks nothing on the network; Run does the work. It fails when a
// certificate or key file named by the configuration cannot be used.
func New(opts Options) (*Bridge, error) {
	cfg := opts.Config
	tokens := opts.Tokens
	if tokens == nil {
		tokens = newTokenSource(cfg.Token)
	}
	dialer := newDialer(cfg, tokens)
	if err := dialer.setupErr(); err != nil {
		return nil, err
	}
	client, err := newKafkaClient(cfg)
	if err != nil {
		return nil, err
	}
	fresh := newFreshness()
	b := &Bridge{
		cfg:     cfg,
		log:     opts.Logger,
		fresh:   fresh,
		metrics: newMetrics(opts.Registry, fresh),
		tokens:  tokens,
		client:  client,
		store:   checkpoint.NewStore(client, cfg.CheckpointTopic, cfg.BridgeName),
		decoder: decoder{TimeField: cfg.EventTimeField, IDField: cfg.EventIDField, PartitionField: cfg.PartitionKey},
		dialer:  dialer,
		seed:    uint64(time.Now().UnixNano()),
	}
	b.state.Store(StateStarting)
	registerReady(opts.Registry, b.Ready)
	return b, nil
}

// newKafkaClient is the one Kafka client configuration of the bridge and
// its operator commands: every connection (producer, scans, checkpoint,
// lease, transactions, topic creation, check) shares its TLS and SASL.
func newKafkaClient(cfg config.Config) (*kafka.Client, error) {
	sec, err := kafkasec.New(cfg)
	if err != nil {
		return nil, err
	}
	return &kafka.Client{
		Addr: kafka.TCP(cfg.KafkaBrokers...),
		Transport: &kafka.Transport{
			ClientID:    cfg.KafkaClientID,
			DialTimeout: 10 * time.Second,
			IdleTimeout: 30 * time.Second,
			MetadataTTL: 10 * time.Second,
			TLS:         sec.TLS,
			SASL:        sec.SASL,
		},
		// Bounds every request that has no tighter deadline; a JoinGroup
		// may legitimately wait for a whole rebalance.
		Timeout: 2*cfg.LeaseSessionTimeout + 30*time.Second,
	}, nil
}

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
	bo := newBackoff(b.cfg.ReconnectMinBackoff, b.cfg.ReconnectMaxBackoff, b.seed)
	if err := b.retry(ctx, bo, "preparing topics", b.prepareTopics); err != nil {
		return err
	}
	for fresh := true; ; fresh = false {
		var err error
		if b.cfg.Transactions {
			err = b.turnFenced(ctx, fresh)
		} else {
			err = b.turnLeased(ctx, bo)
		}
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

// turnFenced is one turn at producing with transactions: wait until no
// other instance is live, then fence every earlier one (InitProducerID in
// each epoch) and stream until fenced in turn.
func (b *Bridge) turnFenced(ctx context.Context, fresh bool) error {
	if err := b.awaitTurn(ctx, fresh); err != nil || ctx.Err() != nil {
		return err
	}
	return b.serve(ctx, nil)
}

// turnLeased is one turn at producing without transactions: hold the
// consumer-group lease while streaming.
func (b *Bridge) turnLeased(ctx context.Context, bo *backoff) error {
	for {
		lease, err := checkpoint.Acquire(ctx, b.client, b.cfg.BridgeName, checkpoint.LeaseOptions{
			SessionTimeout: b.cfg.LeaseSessionTimeout,
			OnStandby: func() {
				b.setState(StateStandby)
				b.log.Info().Str("bridge", b.cfg.BridgeName).Msg("another instance holds this bridge name; standing by")
			},
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if ferr := b.final(err); ferr != nil {
				return ferr
			}
			b.log.Warn().Err(err).Msg("acquiring the bridge lease failed; retrying")
			if err := sleep(ctx, bo.next()); err != nil {
				return nil
			}
			continue
		}
		bo.reset()
		b.metrics.leaseHeld.Set(1)
		b.log.Info().Str("bridge", b.cfg.BridgeName).Msg("lease acquired")
		err = b.serve(ctx, lease)
		b.metrics.leaseHeld.Set(0)
		releaseCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		if rerr := lease.Release(releaseCtx); rerr != nil {
			b.log.Warn().Err(rerr).Msg("releasing the lease failed; a standby takes over after LEASE_SESSION_TIMEOUT")
		}
		cancel()
		if errors.Is(err, checkpoint.ErrLeaseLost) {
			return fmt.Errorf("%w: %w", errStandBy, err)
		}
		return err
	}
}

// retry runs fn until it succeeds, fails permanently or ctx ends.
func (b *Bridge) retry(ctx context.Context, bo *backoff, what string, fn func(context.Context) error) error {
	for {
		err := fn(ctx)
		if err == nil || ctx.Err() != nil {
			bo.reset()
			return nil
		}
		if ferr := b.final(err); ferr != nil {
			return ferr
		}
		d := bo.next()
		b.log.Warn().Err(err).Dur("retry_in", d).Msg(what + " failed")
		if err := sleep(ctx, d); err != nil {
			return nil
		}
	}
}

func (b *Bridge) prepareTopics(ctx context.Context) error {
	// A metadata request first: kafka-go reports why it cannot reach the
	// cluster (TLS, SASL) only to metadata requests, and answers others,
	// such as CreateTopics, with BROKER_NOT_AVAILABLE.
	if _, err := b.client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{b.cfg.KafkaTopic}}); err != nil {
		return fmt.Errorf("reaching Kafka at %s: %w", strings.Join(b.cfg.KafkaBrokers, ","), err)
	}
	if b.cfg.CreateTopics {
		if err := ensureTopics(ctx, b.client, b.cfg.TopicPartitions, b.cfg.ReplicationFactor, b.cfg.KafkaTopic, b.cfg.KafkaDLQTopic); err != nil {
			return err
		}
		if err := b.store.EnsureTopic(ctx, b.cfg.ReplicationFactor); err != nil {
			return err
		}
	}
	_, err := partitionCounts(ctx, b.client, b.cfg.KafkaTopic, b.cfg.KafkaDLQTopic, b.cfg.CheckpointTopic)
	// A topic just created (by us or a sibling) can take a moment to show
	// in metadata; only a topic nobody will create is a dead end.
	if errors.Is(err, ErrTopicMissing) && !b.cfg.CreateTopics {
		return permanent(fmt.Errorf("%w (create it, or set KAFKA_CREATE_TOPICS=true)", err))
	}
	return err
}

// serve streams, epoch after epoch, until ctx ends, the lease (when there
// is one) is lost, another instance fences this one, or a permanent failure.
func (b *Bridge) serve(ctx context.Context, lease *checkpoint.Lease) error {
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if lease != nil {
		stop := context.AfterFunc(lease.Context(), func() { cancel(context.Cause(lease.Context())) })
		defer stop()
	}
	bo := newBackoff(b.cfg.ReconnectMinBackoff, b.cfg.ReconnectMaxBackoff, b.seed+1)
	for first := true; ; first = false {
		err := b.epoch(runCtx, first)
		if runCtx.Err() != nil {
			if ctx.Err() != nil && !errors.Is(err, errEpochFailed) {
				// Stopped while the epoch began (a slow SASL handshake
				// widens that window): its error is the cancellation's
				// (kafka-go reports a cancelled ListOffsets as
				// UNKNOWN_SERVER_ERROR). Nothing committed needs finishing:
				// the next instance aborts an open transaction. A failed
				// final flush (errEpochFailed) is still reported.
				if err != nil && !errors.Is(err, context.Canceled) {
					b.log.Warn().Err(err).Msg("the epoch ended with an error while stopping")
				}
				return nil
			}
			return leaseCause(runCtx, err)
		}
		if ferr := b.final(err); ferr != nil {
			return ferr
		}
		if err == nil || errors.Is(err, errStandBy) {
			return err
		}
		b.setState(StateRecovering)
		d := bo.next()
		b.log.Warn().Err(err).Dur("retry_in", d).Msg("epoch ended; rebuilding from the committed checkpoint and the output topic before resuming")
		if err := sleep(runCtx, d); err != nil {
			return leaseCause(runCtx, nil)
		}
	}
}

// leaseCause turns a cancellation caused by losing the lease into that error.
func leaseCause(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); errors.Is(cause, checkpoint.ErrLeaseLost) {
		return cause
	}
	return err
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return context.Cause(ctx)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/analytics-bridge/analytics-bridge/checkpoint"
	"github.com/analytics-bridge/analytics-bridge/config"
)

// Options configure a Bridge. Only Config is required.
type Options struct {
	Config   config.Config
	Logger   zerolog.Logger
	Registry prometheus.Registerer // nil: metrics are not exported
	Tokens   TokenSource           // nil: built from Config.Token
}

// Bridge streams upstream events into Kafka. Run it once.
type Bridge struct {
	cfg     config.Config
	log     zerolog.Logger
	metrics *metrics
	tokens  TokenSource
	client  *kafka.Client
	store   *checkpoint.Store
	decoder Decoder
	dialer  *dialer
	seed    uint64

	state atomic.Value // string, see State
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

// New checks nothing on the network; Run does the work.
func New(opts Options) *Bridge {
	cfg := opts.Config
	tokens := opts.Tokens
	if tokens == nil {
		tokens = NewTokenSource(cfg.Token)
	}
	transport := &kafka.Transport{
		ClientID:    cfg.KafkaClientID,
		DialTimeout: 10 * time.Second,
		IdleTimeout: 30 * time.Second,
		MetadataTTL: 10 * time.Second,
	}
	client := &kafka.Client{
		Addr:      kafka.TCP(cfg.KafkaBrokers...),
		Transport: transport,
		// Bounds every request that has no tighter deadline; a JoinGroup
		// may legitimately wait for a whole rebalance.
		Timeout: 2*cfg.LeaseSessionTimeout + 30*time.Second,
	}
	b := &Bridge{
		cfg:     cfg,
		log:     opts.Logger,
		metrics: newMetrics(opts.Registry),
		tokens:  tokens,
		client:  client,
		store:   checkpoint.NewStore(client, cfg.CheckpointTopic, cfg.BridgeName),
		decoder: Decoder{TimeField: cfg.EventTimeField, IDField: cfg.EventIDField, PartitionField: cfg.PartitionKey},
		dialer: &dialer{
			url:        cfg.AnalyticsURL,
			tokens:     tokens,
			maxFrame:   cfg.MaxFrameBytes,
			httpClient: &http.Client{Timeout: 30 * time.Second},
		},
		seed: uint64(time.Now().UnixNano()),
	}
	b.state.Store(StateStarting)
	return b
}

// State is what the bridge is doing now (for health checks and logs).
func (b *Bridge) State() string { return b.state.Load().(string) }

func (b *Bridge) setState(s string) { b.state.Store(s) }

// HealthHandler answers 200 with the state while the bridge works, 503 once
// it failed.
func (b *Bridge) HealthHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		state := b.State()
		w.Header().Set("Content-Type", "application/json")
		if state == StateFailed {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"state": state, "bridge": b.cfg.BridgeName})
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
		if isPermanent(err) {
			return err
		}
		d := bo.next()
		b.log.Warn().Err(err).Dur("retry_in", d).Msg(what + " failed")
		if err := sleep(ctx, d); err != nil {
			return nil
		}
	}
}

func (b *Bridge) prepareTopics(ctx context.Context) error {
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
			return leaseCause(runCtx, err)
		}
		if err == nil || isPermanent(err) || errors.Is(err, errStandBy) {
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

// Signals from a connection that the next connection should follow at once.
var (
	errSocketClosing = errors.New("upstream announced socket_closing")
	errTokenRevoked  = errors.New("upstream revoked the token")
)

// stream connects and reconnects to the upstream, resuming from the
// tracker's position each time, until ctx ends or a permanent failure.
func (b *Bridge) stream(ctx context.Context, w *writer) error {
	bo := newBackoff(b.cfg.ReconnectMinBackoff, b.cfg.ReconnectMaxBackoff, b.seed+2)
	for {
		b.setState(StateConnecting)
		since := w.tr.reconnect()
		conn, err := b.dialer.dial(ctx, since)
		if ctx.Err() != nil {
			if conn != nil {
				_ = conn.CloseNow()
			}
			return nil
		}
		if err != nil {
			delay, err := b.refused(ctx, err, w, since, bo)
			if err != nil {
				return err
			}
			if sleep(ctx, delay) != nil {
				return nil
			}
			continue
		}
		b.metrics.connects.Inc()
		b.setState(StateStreaming)
		b.log.Info().Time("since", since).Msg("connected to upstream")
		s := newSession(ctx, conn, b.cfg.IdleTimeout, b.cfg.PingInterval)
		frames, err := w.consume(ctx, s)
		s.close(websocket.StatusNormalClosure, "reconnecting")
		if ctx.Err() != nil {
			return nil
		}
		if frames > 0 {
			bo.reset()
		}
		delay := bo.next()
		reason := "error"
		switch status := websocket.CloseStatus(err); {
		case errors.Is(err, ErrFrameTooLarge):
			return permanent(fmt.Errorf("%w (MAX_FRAME_BYTES=%d): raise it; the frame is resent on every replay", err, b.cfg.MaxFrameBytes))
		case errors.Is(err, errSocketClosing):
			reason, delay = "socket_closing", 0
		case errors.Is(err, errTokenRevoked), status == websocket.StatusPolicyViolation:
			reason, delay = "token_revoked", 0
			b.tokens.Invalidate()
		case errors.Is(err, ErrIdle):
			reason = "idle"
		case status == websocket.StatusGoingAway:
			reason, delay = "going_away", 0
		case status != -1:
			reason = "closed"
		}
		b.metrics.disconnects.WithLabelValues(reason).Inc()
		b.log.Warn().Err(err).Str("reason", reason).Int("frames", frames).Dur("reconnect_in", delay).Msg("upstream connection ended")
		if sleep(ctx, delay) != nil {
			return nil
		}
	}
}

// refused decides what to do about a failed connection attempt: how long to
// wait, or a permanent error.
func (b *Bridge) refused(ctx context.Context, err error, w *writer, since time.Time, bo *backoff) (time.Duration, error) {
	delay := bo.next()
	var herr *HTTPError
	errors.As(err, &herr)
	reason := "dial"
	switch {
	case errors.Is(err, ErrUnauthorized):
		reason = "unauthorized"
		b.tokens.Invalidate()
	case errors.Is(err, ErrSinceTooOld):
		if b.cfg.OnStaleSince != config.StaleSinceResumeNow {
			return 0, permanent(fmt.Errorf("%w: the checkpoint's since %s can no longer be replayed, so the events from then until now are lost upstream (%v). "+
				"To accept this gap and continue from now, set ON_STALE_SINCE=resume-now (a gap marker record is written to %s); "+
				"to start from scratch instead, use a new BRIDGE_NAME", ErrSinceTooOld, since.Format(time.RFC3339Nano), err, b.cfg.KafkaTopic))
		}
		now := time.Now().UTC()
		if gerr := w.gap(ctx, since, now, err); gerr != nil {
			return 0, gerr
		}
		b.metrics.gaps.Inc()
		b.log.Error().Time("gap_from", since).Time("gap_to", now).Err(err).
			Msg("upstream cannot replay from the checkpoint; ON_STALE_SINCE=resume-now: gap recorded in the topic, continuing from now")
		return 0, nil
	case errors.Is(err, ErrSinceMalformed), errors.Is(err, ErrBadRequest):
		return 0, permanent(fmt.Errorf("connecting with since=%s: %w", since.Format(sinceFormat), err))
	case errors.Is(err, ErrSinceFuture):
		reason = "since_future"
		b.log.Warn().Time("since", since).Msg("upstream says since is in the future: its clock is behind ours; waiting")
	case errors.Is(err, ErrRateLimited):
		reason = "rate_limited"
		delay = max(delay, herr.RetryAfter)
	case herr != nil:
		reason = fmt.Sprintf("http_%d", herr.Status)
		delay = max(delay, herr.RetryAfter)
	}
	b.metrics.disconnects.WithLabelValues(reason).Inc()
	b.log.Warn().Err(err).Str("reason", reason).Dur("retry_in", delay).Msg("upstream connection refused")
	return delay, nil
}

// writer turns decoded frames into records of one epoch.
type writer struct {
	b     *Bridge
	tr    *tracker
	prod  *producer
	parts map[string]int
	dlqN  int // round-robin over dead-letter partitions

	balancer   kafka.Murmur2Balancer
	outParts   []int  // 0..n-1 for the output topic
	bridgeName []byte // header value, shared by every record
}

func newWriter(b *Bridge, tr *tracker, prod *producer, parts map[string]int) *writer {
	w := &writer{b: b, tr: tr, prod: prod, parts: parts, bridgeName: []byte(b.cfg.BridgeName)}
	for p := 0; p < parts[b.cfg.KafkaTopic]; p++ {
		w.outParts = append(w.outParts, p)
	}
	return w
}

// consume reads frames until the session ends; it returns the number of
// frames read and why it ended.
func (w *writer) consume(ctx context.Context, s *session) (int, error) {
	frames := 0
	for {
		data, err := s.next(ctx)
		if err != nil {
			return frames, err
		}
		frames++
		f := w.b.decoder.Decode(data)
		for i := range f.Events {
			if err := w.event(ctx, &f.Events[i]); err != nil {
				return frames, err
			}
		}
		for _, rej := range f.Rejected {
			if err := w.deadLetter(ctx, time.Time{}, rej.Raw, rej.Reason); err != nil {
				return frames, err
			}
		}
		switch f.Control {
		case ControlSocketClosing:
			return frames, errSocketClosing
		case ControlTokenRevoked:
			return frames, errTokenRevoked
		}
	}
}

func (w *writer) event(ctx context.Context, ev *Event) error {
	w.b.metrics.eventsReceived.Inc()
	if w.tr.seen(ev.DedupKey) {
		w.tr.duplicate(ev.Time)
		w.b.metrics.duplicates.Inc()
		return nil
	}
	topic := w.b.cfg.KafkaTopic
	dedup := []byte(ev.DedupKey)
	r := &outRecord{
		topic: topic, partition: w.partitionOf(ev.RecordKey),
		key: ev.RecordKey, value: ev.Raw, time: ev.Time,
		headers: []kafka.Header{
			{Key: HeaderDedupKey, Value: dedup},
			{Key: HeaderEventTime, Value: ev.Time.AppendFormat(make([]byte, 0, len(time.RFC3339Nano)), time.RFC3339Nano)},
			{Key: HeaderBridge, Value: w.bridgeName},
		},
	}
	if r.size() > w.b.cfg.BatchBytes {
		// The broker would refuse it on every replay, and the bridge would
		// never get past it: dead-letter it instead, cut to fit.
		reason := fmt.Sprintf("event of %d bytes does not fit KAFKA_BATCH_BYTES=%d (dedup key %s); value truncated", len(ev.Raw), w.b.cfg.BatchBytes, ev.DedupKey)
		return w.deadLetter(ctx, ev.Time, ev.Raw[:w.b.cfg.BatchBytes/2], reason)
	}
	if bytes.Equal(r.key, dedup) {
		r.key = dedup // one copy for key and header
	}
	return w.send(ctx, ev.Time, ev.DedupKey, r)
}

// deadLetter writes raw to the dead-letter topic with the reason. t is the
// event time when the reject is an event (it still counts for the resume
// position), zero otherwise.
func (w *writer) deadLetter(ctx context.Context, t time.Time, raw []byte, reason string) error {
	w.b.metrics.deadLetters.Inc()
	w.b.log.Warn().Str("reason", reason).Int("bytes", len(raw)).Msg("sending to the dead-letter topic")
	topic := w.b.cfg.KafkaDLQTopic
	w.dlqN++
	now := time.Now().UTC()
	return w.send(ctx, t, "", &outRecord{
		topic: topic, partition: w.dlqN % w.parts[topic],
		value: raw, time: now,
		headers: []kafka.Header{
			{Key: HeaderError, Value: []byte(reason)},
			{Key: HeaderBridge, Value: w.bridgeName},
			{Key: "bridge-received-at", Value: []byte(now.Format(time.RFC3339Nano))},
		},
	})
}

// gap writes a marker for events the upstream can no longer replay, so the
// loss is visible in the topic itself. The next connection resumes at `to`;
// the checkpoint follows only once the marker is acknowledged, so a crash
// in between writes the marker again rather than losing it.
func (w *writer) gap(ctx context.Context, from, to time.Time, cause error) error {
	value, err := json.Marshal(map[string]string{
		"bridge":   w.b.cfg.BridgeName,
		"gap_from": from.Format(time.RFC3339Nano),
		"gap_to":   to.Format(time.RFC3339Nano),
		"reason":   cause.Error(),
	})
	if err != nil {
		return fmt.Errorf("encoding gap marker: %w", err)
	}
	topic := w.b.cfg.KafkaTopic
	key := []byte(w.b.cfg.BridgeName)
	return w.sendWith(ctx, "", &outRecord{
		topic: topic, partition: w.partitionOf(key),
		key: key, value: value, time: to,
		headers: []kafka.Header{
			{Key: HeaderGap, Value: []byte("true")},
			{Key: HeaderBridge, Value: w.bridgeName},
		},
	}, func(partition int) uint64 { return w.tr.beginGap(to, partition) })
}

// send registers r with the tracker as an event record (or, with key "",
// another record) and queues it.
func (w *writer) send(ctx context.Context, t time.Time, key string, r *outRecord) error {
	return w.sendWith(ctx, key, r, func(partition int) uint64 { return w.tr.begin(t, key, partition) })
}

// sendWith queues r after register has given it its sequence number.
func (w *writer) sendWith(ctx context.Context, key string, r *outRecord, register func(partition int) uint64) error {
	if err := w.tr.acquire(ctx); err != nil {
		return err
	}
	partition := -1
	if r.topic == w.b.cfg.KafkaTopic {
		partition = r.partition
	}
	r.seq = register(partition)
	if err := w.prod.send(ctx, r); err != nil {
		w.tr.withdraw(r.seq, key)
		return err
	}
	return nil
}

// partitionOf picks the partition as Java clients do (murmur2), so that
// other producers keying the same way land on the same partitions.
func (w *writer) partitionOf(key []byte) int {
	return w.balancer.Balance(kafka.Message{Key: key}, w.outParts...)
}

func compressionCodec(name string) kafka.Compression {
	switch strings.ToLower(name) {
	case "gzip":
		return kafka.Gzip
	case "snappy":
		return kafka.Snappy
	case "lz4":
		return kafka.Lz4
	case "zstd":
		return kafka.Zstd
	}
	return 0
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

package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/analytics-bridge/analytics-bridge/bridge/sink"
	"github.com/analytics-bridge/analytics-bridge/bridge/sink/lease"
	"github.com/analytics-bridge/analytics-bridge/bridge/sink/logread"
	"github.com/analytics-bridge/analytics-bridge/bridge/sink/txn"
	"github.com/analytics-bridge/analytics-bridge/checkpoint"
	"github.com/analytics-bridge/analytics-bridge/config"
)

// Operating the checkpoint from outside a running bridge (the
// `analytics-bridge checkpoint` subcommands and GET /checkpoint).

// ErrInstanceLive means another instance of the bridge name is running;
// moving its position under it needs --force.
var ErrInstanceLive = errors.New("an instance of this bridge name is running")

// ErrNoCheckpoint means the bridge name has no checkpoint.
var ErrNoCheckpoint = errors.New("no checkpoint for this bridge name")

// Admin reads and moves one bridge name's checkpoint.
type Admin struct {
	cfg    config.Config
	source string // the kind of source, for a position set where none was
	client *kafka.Client
	store  *checkpoint.Store
	now    func() time.Time
}

// New returns an Admin for cfg, whose source is of the given kind (it
// connects on first use). It fails when a certificate or key file named by
// the configuration cannot be used.
func New(cfg config.Config, source string) (*Admin, error) {
	client, err := sink.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	return &Admin{cfg: cfg, source: source, client: client, store: checkpoint.NewStore(client, cfg.CheckpointTopic, cfg.BridgeName), now: time.Now}, nil
}

// Shared returns an Admin on an existing client and store (a running
// bridge's, for the read-only /checkpoint endpoint).
func Shared(cfg config.Config, source string, client *kafka.Client, store *checkpoint.Store) *Admin {
	return &Admin{cfg: cfg, source: source, client: client, store: store, now: time.Now}
}

// Show returns the committed checkpoint.
func (a *Admin) Show(ctx context.Context) (checkpoint.Position, error) {
	pos, found, err := a.store.Load(ctx)
	if err != nil {
		return pos, err
	}
	if !found {
		return pos, fmt.Errorf("%w %q in %s", ErrNoCheckpoint, a.cfg.BridgeName, a.cfg.CheckpointTopic)
	}
	return pos, nil
}

// live reports why an instance looks live ("" when none does): with
// transactions, a checkpoint written within LEASE_SESSION_TIMEOUT (the
// active instance commits one at least every quarter of it) and not marked
// stopped by a clean shutdown; without, a member in the lease group.
func (a *Admin) live(ctx context.Context) (string, error) {
	if a.cfg.Transactions {
		pos, found, err := a.store.Load(ctx)
		if err != nil || !found {
			return "", err
		}
		if age := a.now().Sub(pos.Written); !pos.Stopped && age < a.cfg.LeaseSessionTimeout {
			return fmt.Sprintf("instance %q wrote the checkpoint %s ago (LEASE_SESSION_TIMEOUT=%s)", pos.Writer, age.Round(time.Millisecond), a.cfg.LeaseSessionTimeout), nil
		}
		return "", nil
	}
	group := lease.Group(a.cfg.BridgeName)
	res, err := a.client.DescribeGroups(ctx, &kafka.DescribeGroupsRequest{GroupIDs: []string{group}})
	if err != nil {
		return "", fmt.Errorf("describing lease group %q: %w", group, err)
	}
	for _, g := range res.Groups {
		if g.Error == nil && len(g.Members) > 0 {
			return fmt.Sprintf("lease group %q has %d member(s)", group, len(g.Members)), nil
		}
	}
	return "", nil
}

// SetResult says what Set wrote and what it means for the events.
type SetResult struct {
	Old, New checkpoint.Position
	Found    bool   // an old checkpoint existed
	Effect   string // what a restart from New does, for the operator
}

// Set moves the resume position to since. It refuses while an instance
// is live, unless force: then, with transactions, it fences the running
// instance first (which stands by, and takes over again from the new
// position once it sees no checkpoint for LEASE_SESSION_TIMEOUT).
//
// Moving since earlier replays events already written; to keep them out,
// the scan offsets are set to the start of the retained topic, so the
// next start reads the whole retained output topic to find them. Moving
// since later skips the events in between: a deliberate gap.
func (a *Admin) Set(ctx context.Context, since time.Time, force bool) (SetResult, error) {
	var res SetResult
	if err := a.refuseIfLive(ctx, force); err != nil {
		return res, err
	}
	old, found, err := a.store.Load(ctx)
	if err != nil {
		return res, err
	}
	res.Old, res.Found = old, found
	since = since.UTC()
	pos := checkpoint.Position{Bridge: a.cfg.BridgeName, Topic: a.cfg.KafkaTopic, Source: a.source, Since: since, HighWater: since,
		Written: a.now().UTC(), Writer: "analytics-bridge checkpoint set"}
	switch {
	case found && !since.Before(old.Since):
		pos.ScanFrom, pos.DLQScanFrom = old.ScanFrom, old.DLQScanFrom
		res.Effect = fmt.Sprintf("events from %s to %s are skipped: they will not be written (a deliberate gap)",
			old.Since.Format(time.RFC3339Nano), since.Format(time.RFC3339Nano))
	default:
		if pos.ScanFrom, pos.DLQScanFrom, err = a.firstOffsets(ctx); err != nil {
			return res, err
		}
		res.Effect = fmt.Sprintf("events from %s on are replayed; those already in %s are recognised by a scan of the whole retained topic at the next start and not written again",
			since.Format(time.RFC3339Nano), a.cfg.KafkaTopic)
	}
	res.New = pos
	rec, err := a.store.Record(pos)
	if err != nil {
		return res, err
	}
	if err := a.write(ctx, rec); err != nil {
		return res, err
	}
	return res, a.store.WaitFor(ctx, func(cur checkpoint.Position, found bool) bool {
		return found && cur.Written.Equal(pos.Written) && cur.Writer == pos.Writer
	})
}

// Reset deletes the checkpoint (a tombstone): the next start begins at
// START_SINCE as if the bridge name were new.
func (a *Admin) Reset(ctx context.Context, force bool) error {
	if err := a.refuseIfLive(ctx, force); err != nil {
		return err
	}
	if err := a.write(ctx, kafka.Record{Time: a.now(), Key: kafka.NewBytes([]byte(a.cfg.BridgeName))}); err != nil {
		return err
	}
	return a.store.WaitFor(ctx, func(_ checkpoint.Position, found bool) bool { return !found })
}

func (a *Admin) refuseIfLive(ctx context.Context, force bool) error {
	why, err := a.live(ctx)
	if err != nil {
		return err
	}
	if why != "" && !force {
		return fmt.Errorf("%w: %s; stop it first, or pass --force", ErrInstanceLive, why)
	}
	return nil
}

// write writes one record to the checkpoint topic: with transactions in a
// transaction of the bridge's own transactional id, which fences a running
// instance, so that it cannot overwrite the record afterwards.
func (a *Admin) write(ctx context.Context, rec kafka.Record) error {
	if !a.cfg.Transactions {
		res, err := a.client.Produce(ctx, &kafka.ProduceRequest{Topic: a.cfg.CheckpointTopic, Partition: 0,
			RequiredAcks: kafka.RequireAll, Records: kafka.NewRecordReader(rec)})
		if err == nil {
			err = res.Error
		}
		if err != nil {
			return fmt.Errorf("writing to %s: %w", a.cfg.CheckpointTopic, err)
		}
		return nil
	}
	pid, err := txn.Init(ctx, a.client, a.cfg.TransactionalID, a.cfg.TransactionTimeout)
	if err != nil {
		return err
	}
	if err := pid.AddPartitions(ctx, a.cfg.CheckpointTopic, 0); err != nil {
		return err
	}
	batch, err := pid.Encode([]kafka.Record{rec}, 0, 0)
	if err != nil {
		return err
	}
	if _, err := sink.SendBatch(ctx, pid, a.cfg.CheckpointTopic, 0, batch, a.cfg.WriteTimeout); err != nil {
		return fmt.Errorf("writing to %s: %w", a.cfg.CheckpointTopic, err)
	}
	return pid.EndTxn(ctx, true)
}

// Handler serves GET /checkpoint: the committed position as the checkpoint
// record's JSON, read from Kafka at each request; 404 when there is none.
func (a *Admin) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			http.Error(w, "read-only: GET", http.StatusMethodNotAllowed)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		pos, err := a.Show(ctx)
		switch {
		case errors.Is(err, ErrNoCheckpoint):
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		case err != nil:
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		raw, err := checkpoint.Encode(pos)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(raw)
	})
}

// firstOffsets are the first retained offsets of the event and dead-letter
// topics.
func (a *Admin) firstOffsets(ctx context.Context) (events, deadLetters map[int]int64, err error) {
	parts, err := sink.PartitionCounts(ctx, a.client, a.cfg.KafkaTopic, a.cfg.KafkaDLQTopic)
	if err != nil {
		return nil, nil, err
	}
	first := func(topic string) (map[int]int64, error) {
		bounds, err := logread.Offsets(ctx, a.client, topic, parts[topic], false)
		offsets := make(map[int]int64, len(bounds))
		for p, b := range bounds {
			offsets[p] = b.First
		}
		return offsets, err
	}
	if events, err = first(a.cfg.KafkaTopic); err != nil {
		return nil, nil, err
	}
	deadLetters, err = first(a.cfg.KafkaDLQTopic)
	return events, deadLetters, err
}

package checkpoint

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge/retry"
	"github.com/analytics-bridge/analytics-bridge/bridge/sink/logread"
	"github.com/segmentio/kafka-go"
)

// Store reads and writes one bridge's Position in a compacted topic with a
// single partition (one partition keeps every write of a key in order).
type Store struct {
	client *kafka.Client
	topic  string
	bridge string
}

// NewStore returns a Store for the given bridge name.
func NewStore(client *kafka.Client, topic, bridge string) *Store {
	return &Store{client: client, topic: topic, bridge: bridge}
}

// EnsureTopic creates the compacted checkpoint topic when it does not exist.
// replication -1 asks for the broker's default replication factor.
func (s *Store) EnsureTopic(ctx context.Context, replication int) error {
	res, err := s.client.CreateTopics(ctx, &kafka.CreateTopicsRequest{
		Topics: []kafka.TopicConfig{{
			Topic:             s.topic,
			NumPartitions:     1,
			ReplicationFactor: replication,
			ConfigEntries: []kafka.ConfigEntry{
				{ConfigName: "cleanup.policy", ConfigValue: "compact"},
			},
		}},
	})
	if err != nil {
		return fmt.Errorf("creating checkpoint topic %q: %w", s.topic, err)
	}
	if err := res.Errors[s.topic]; err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
		return fmt.Errorf("creating checkpoint topic %q: %w", s.topic, err)
	}
	return nil
}

// loadWindow is how many offsets at the checkpoint topic's end Load reads
// first. Compaction keeps only the active segment uncompacted, but that can
// hold days of checkpoints (one per commit), so Load reads backwards from
// the end in growing windows instead of the whole log from its start.
const loadWindow = 256

// Load returns the bridge's latest committed position. found is false when
// none was ever written (or the latest is a tombstone).
func (s *Store) Load(ctx context.Context) (p Position, found bool, err error) {
	first, last, err := s.bounds(ctx)
	if err != nil {
		return Position{}, false, err
	}
	key := []byte(s.bridge)
	var latest []byte
	seen := false
	for end, window := last, int64(loadWindow); end > first && !seen; window *= 4 {
		start := max(first, end-window)
		err = logread.ReadPartition(ctx, s.client, s.topic, 0, start, end, func(r kafka.Record) error {
			k, err := logread.Bytes(r.Key)
			if err != nil || !bytes.Equal(k, key) {
				return nil
			}
			latest, err = logread.Bytes(r.Value) // nil for a tombstone
			if err != nil {
				return fmt.Errorf("reading checkpoint record at offset %d: %w", r.Offset, err)
			}
			seen = true
			return nil
		})
		if err != nil {
			return Position{}, false, fmt.Errorf("loading the checkpoint: %w", err)
		}
		end = start
	}
	if latest == nil {
		return Position{}, false, nil
	}
	p, err = Decode(latest)
	if err != nil {
		return Position{}, false, fmt.Errorf("checkpoint of bridge %q in topic %q: %w", s.bridge, s.topic, err)
	}
	if p.Bridge != s.bridge {
		return Position{}, false, fmt.Errorf("checkpoint keyed %q names bridge %q: %w", s.bridge, p.Bridge, ErrCorrupt)
	}
	return p, true, nil
}

// WaitFor reads the checkpoint until done accepts it (or ctx ends). Kafka
// writes a commit's markers after EndTxn has answered, so a position
// committed in a transaction becomes readable a moment after the commit.
func (s *Store) WaitFor(ctx context.Context, done func(p Position, found bool) bool) error {
	for {
		p, found, err := s.Load(ctx)
		if err != nil {
			return err
		}
		if done(p, found) {
			return nil
		}
		if err := retry.Sleep(ctx, 20*time.Millisecond); err != nil {
			return fmt.Errorf("waiting for the checkpoint of %q to become readable: %w", s.bridge, err)
		}
	}
}

// Topic is the checkpoint topic; the position lives in its partition 0.
func (s *Store) Topic() string { return s.topic }

// Record returns p as the record Save would write, for a caller that writes
// it itself (inside a transaction, with the records it covers).
func (s *Store) Record(p Position) (kafka.Record, error) {
	p.Bridge = s.bridge
	value, err := Encode(p)
	if err != nil {
		return kafka.Record{}, err
	}
	return kafka.Record{Time: p.Written, Key: kafka.NewBytes([]byte(s.bridge)), Value: kafka.NewBytes(value)}, nil
}

// Save writes p, waiting for every in-sync replica.
func (s *Store) Save(ctx context.Context, p Position) error {
	rec, err := s.Record(p)
	if err != nil {
		return err
	}
	res, err := s.client.Produce(ctx, &kafka.ProduceRequest{
		Topic:        s.topic,
		Partition:    0,
		RequiredAcks: kafka.RequireAll,
		Records:      kafka.NewRecordReader(rec),
	})
	if err != nil {
		return fmt.Errorf("writing checkpoint to %q: %w", s.topic, err)
	}
	if res.Error != nil {
		return fmt.Errorf("writing checkpoint to %q: %w", s.topic, res.Error)
	}
	return nil
}

func (s *Store) bounds(ctx context.Context) (first, last int64, err error) {
	// The end is the last stable offset: a transaction left open by a
	// killed instance (aborted only when its successor initialises, or at
	// its timeout) must not hold up the decision to take over. What lies
	// beyond it is not committed, so it is not a checkpoint yet.
	bounds, err := logread.Offsets(ctx, s.client, s.topic, 1, true)
	if err != nil {
		return 0, 0, fmt.Errorf("checkpoint topic: %w", err)
	}
	return bounds[0].First, bounds[0].End, nil
}

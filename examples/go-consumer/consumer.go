// Package goconsumer is an example consumer of the bridge's topic with
// franz-go (kgo), following the record contract in the README's "Consuming
// the topic":
//
//   - it reads with isolation.level=read_committed, so records of aborted
//     transactions are never seen (with KAFKA_TRANSACTIONS=true this alone
//     gives every event once);
//   - it passes on only records of kind "event" (gap markers, and kinds
//     that later sources add, go to Options.Skipped);
//   - with Options.Dedup (for KAFKA_TRANSACTIONS=false) it drops events
//     whose bridge-dedup-key it saw within Options.DedupWindow of event
//     time.
//
// Consume owns its client and returns when its context ends.
package goconsumer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// DefaultDedupWindow is the event-time span deduplication remembers keys for.
const DefaultDedupWindow = time.Hour

// Options configure Consume.
type Options struct {
	Brokers []string
	Topic   string // KAFKA_TOPIC
	// Bridge keeps only records whose bridge-name is Bridge (BRIDGE_NAME);
	// "" keeps every bridge's.
	Bridge string
	// Group is the consumer group, committing after each poll's events
	// are handled; "" reads every partition from its start, without a group.
	Group string
	// Dedup drops events whose bridge-dedup-key was seen within DedupWindow
	// (default DefaultDedupWindow) of event time: for KAFKA_TRANSACTIONS=false.
	Dedup       bool
	DedupWindow time.Duration
	// Skipped, if set, is called with each record that is not passed on:
	// its kind ("gap", "duplicate", another bridge's: "other-bridge", ...).
	Skipped func(kind string, r *kgo.Record)
	// ClientOpts are added to the client's (TLS, SASL, logging).
	ClientOpts []kgo.Opt
}

// Consume calls handle with each event record of o.Topic, in partition
// order, until ctx ends (then it returns nil) or handle or the client
// fails.
func Consume(ctx context.Context, o Options, handle func(context.Context, Event) error) error {
	opts := []kgo.Opt{
		kgo.SeedBrokers(o.Brokers...),
		kgo.ConsumeTopics(o.Topic),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	}
	if o.Group != "" {
		// Commit only what was handled: a crash replays the rest (at least
		// once; the handler's effects must be idempotent, or the dedup key
		// used to make them so).
		opts = append(opts, kgo.ConsumerGroup(o.Group), kgo.DisableAutoCommit())
	}
	cl, err := kgo.NewClient(append(opts, o.ClientOpts...)...)
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	defer cl.Close()

	f := filter{o: o}
	if o.Dedup {
		f.seen = newWindow(max(o.DedupWindow, 0))
		if o.DedupWindow == 0 {
			f.seen.span = DefaultDedupWindow
		}
	}
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err := fetchError(fs); err != nil {
			return err
		}
		for it := fs.RecordIter(); !it.Done(); {
			ev, ok, err := f.accept(it.Next())
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if err := handle(ctx, ev); err != nil {
				return err
			}
		}
		if o.Group != "" {
			if err := cl.CommitUncommittedOffsets(ctx); err != nil && ctx.Err() == nil {
				return fmt.Errorf("committing offsets: %w", err)
			}
		}
	}
}

// fetchError is the first error of fs that is not the client stopping.
func fetchError(fs kgo.Fetches) error {
	for _, fe := range fs.Errors() {
		if errors.Is(fe.Err, context.Canceled) || errors.Is(fe.Err, kgo.ErrClientClosed) {
			continue
		}
		return fmt.Errorf("fetching %s[%d]: %w", fe.Topic, fe.Partition, fe.Err)
	}
	return nil
}

// filter applies the contract to each record.
type filter struct {
	o    Options
	seen *window // nil without Dedup
}

// accept returns r as an event when it is one to pass on.
func (f *filter) accept(r *kgo.Record) (Event, bool, error) {
	if f.o.Bridge != "" {
		if name, _ := header(r, HeaderName); name != f.o.Bridge {
			f.skip("other-bridge", r)
			return Event{}, false, nil
		}
	}
	if kind := KindOf(r); kind != KindEvent {
		f.skip(kind, r)
		return Event{}, false, nil
	}
	ev, err := eventOf(r)
	if err != nil {
		return ev, false, err
	}
	if f.seen != nil && !f.seen.first(ev.DedupKey, ev.Time) {
		f.skip("duplicate", r)
		return Event{}, false, nil
	}
	return ev, true, nil
}

func (f *filter) skip(kind string, r *kgo.Record) {
	if f.o.Skipped != nil {
		f.o.Skipped(kind, r)
	}
}

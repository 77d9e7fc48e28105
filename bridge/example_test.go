package bridge_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/analytics-bridge/analytics-bridge/bridge"
	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/source"
)

// memorySource is the smallest source there is: a fixed list of events,
// read once. It shows what every source does for the core.
type memorySource struct {
	events []string
}

// Name is stored in the checkpoint: a checkpoint of another kind of source
// is refused.
func (memorySource) Name() string { return "memory" }

// Resume starts an epoch. A real source resumes from cp.Since (and cp.State):
// this one starts again from its first event each time, and lets the core
// drop what is already in Kafka by dedup key.
func (s memorySource) Resume(cp source.Checkpoint) (source.Stream, error) {
	return &memoryStream{events: s.events}, nil
}

type memoryStream struct {
	events []string
}

// Run hands every event to the core, then waits for the end of the epoch.
// Output blocks while too much is in flight, and fails once the epoch is
// over: then Run stops.
func (st *memoryStream) Run(ctx context.Context, out source.Output) error {
	out.Connected(true)
	base := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	for i, raw := range st.events {
		ev := &source.Event{
			Raw:      []byte(raw), // the record value, as read
			Time:     base.Add(time.Duration(i) * time.Second),
			DedupKey: fmt.Sprintf("memory-%d", i), // the same on every replay
		}
		if err := out.Event(ctx, ev); err != nil {
			return nil // the epoch ended
		}
	}
	<-ctx.Done()
	return nil
}

// Position is what the checkpoint stores for what Kafka acknowledged:
// where a restart resumes (this source always starts over).
func (st *memoryStream) Position(p source.Progress) source.Position {
	return source.Position{Since: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC), HighWater: p.HighWater}
}

// Horizon is the oldest event time the source may send again: the core
// keeps dedup keys back to it.
func (st *memoryStream) Horizon(source.Progress) time.Time {
	return time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
}

// Close ends the epoch: a source that acknowledges upstream (deletes queue
// messages) finishes here; this one has nothing to do.
func (st *memoryStream) Close(context.Context) error { return nil }

// A source plugs into the core through source.Source; the core writes each
// event as one record, exactly once, with its headers.
func Example_source() {
	cluster, err := kafkatest.StartEmbedded()
	if err != nil {
		panic(err)
	}
	defer cluster.Close()

	env := config.Defaults()
	env.KafkaBrokers = strings.Join(cluster.ListenAddrs(), ",")
	env.KafkaTopic, env.BridgeName, env.KafkaReplication = "example.events", "example", "1"
	env.AnalyticsURL, env.AnalyticsToken = "ws://unused.invalid/", "unused" // the WebSocket source's settings, required by config
	cfg, err := env.Validate()
	if err != nil {
		panic(err)
	}
	src := memorySource{events: []string{`{"n":1}`, `{"n":2}`, `{"n":3}`}}
	b, err := bridge.New(bridge.Options{Config: cfg, Source: src, Logger: zerolog.Nop()})
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()

	// An independent read_committed reader.
	reader, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.ConsumeTopics(cfg.KafkaTopic),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		panic(err)
	}
	defer reader.Close()
	seen := map[string]string{}
	readCtx, stopReading := context.WithTimeout(ctx, time.Minute)
	defer stopReading()
	for len(seen) < len(src.events) && readCtx.Err() == nil {
		reader.PollFetches(readCtx).EachRecord(func(r *kgo.Record) {
			headers := map[string]string{}
			for _, h := range r.Headers {
				headers[h.Key] = string(h.Value)
			}
			seen[string(r.Value)] = headers[bridge.HeaderRecordKind] + " " + headers[bridge.HeaderDedupKey] + " " + headers[bridge.HeaderEventTime]
		})
	}
	cancel()
	if err := <-done; err != nil {
		panic(err)
	}
	for _, raw := range src.events {
		fmt.Println(raw, seen[raw])
	}
	// Output:
	// {"n":1} event memory-0 2026-12-03T09:00:00Z
	// {"n":2} event memory-1 2026-12-03T09:00:01Z
	// {"n":3} event memory-2 2026-12-03T09:00:02Z
}

package goconsumer_test

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"

	goconsumer "github.com/analytics-bridge/analytics-bridge/examples/go-consumer"
)

// A consumer of the bridge's topic: events only, read_committed, and
// deduplicated when the bridge runs with KAFKA_TRANSACTIONS=false.
func Example() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	o := goconsumer.Options{
		Brokers: strings.Split(os.Getenv("KAFKA_BROKERS"), ","),
		Topic:   "analytics.events",
		Bridge:  "analytics-bridge",
		Group:   "my-analytics-job",
		Dedup:   os.Getenv("KAFKA_TRANSACTIONS") == "false",
		Skipped: func(kind string, r *kgo.Record) {
			if kind == goconsumer.KindGap {
				fmt.Printf("gap marker: %s\n", r.Value) // events the upstream could no longer replay
			}
		},
	}
	err := goconsumer.Consume(ctx, o, func(_ context.Context, ev goconsumer.Event) error {
		fmt.Printf("%s %s %s\n", ev.Time.Format("15:04:05.000"), ev.DedupKey, ev.Value)
		return nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}

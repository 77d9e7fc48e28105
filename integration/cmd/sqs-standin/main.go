// Command sqs-standin runs the in-repo SQS stand-in (integration/sqsfake) as
// a standalone server, optionally filled with generated Genesys EventBridge
// events (integration/eventbridge), so that the bridge, a demo or a
// benchmark can run against it in a separate process (its memory is then
// not counted in the bridge's RSS).
//
//	go run ./integration/cmd/sqs-standin -addr 127.0.0.1:9324 -queue genesys -conversations 1000 -resend-rate 0.05
//
// It prints the SQS_ENDPOINT_URL and SQS_QUEUE_URL to give the bridge, then
// serves until SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/analytics-bridge/analytics-bridge/integration/eventbridge"
	"github.com/analytics-bridge/analytics-bridge/integration/sqsfake"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "sqs-standin:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("sqs-standin", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:9324", "listen address")
	queue := fs.String("queue", "genesys", "queue to create")
	visibility := fs.Int("visibility", 30, "the queue's visibility timeout, seconds")
	conversations := fs.Int("conversations", 0, "generated conversations to send into the queue at start")
	resendRate := fs.Float64("resend-rate", 0, "share of generated events sent again with a new EventBridge id")
	seed := fs.Uint64("seed", 1, "generator seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	srv := sqsfake.New(sqsfake.Options{})
	if err := srv.CreateQueue(*queue, map[string]string{"VisibilityTimeout": strconv.Itoa(*visibility)}); err != nil {
		return fmt.Errorf("-queue %s: %w", *queue, err)
	}
	if *conversations > 0 {
		g := eventbridge.New(eventbridge.Options{Seed: *seed, ResendRate: *resendRate})
		events := g.Stream(*conversations)
		for _, e := range events {
			if _, err := srv.Send(*queue, string(e.Body)); err != nil {
				return fmt.Errorf("send a generated event: %w", err)
			}
		}
		fmt.Fprintf(out, "# %d messages in %s: %d distinct (topicName, eventBody) pairs, the rest resends\n",
			len(events), *queue, g.Ledger().Len())
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("-addr %s: %w", *addr, err)
	}
	endpoint := "http://" + l.Addr().String()
	fmt.Fprintf(out, "export SQS_ENDPOINT_URL=%s\nexport SQS_QUEUE_URL=%s\nexport AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test\n",
		endpoint, srv.QueueURL(endpoint, *queue))
	return srv.Serve(ctx, l)
}

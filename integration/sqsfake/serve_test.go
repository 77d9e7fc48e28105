package sqsfake

import (
	"context"
	"net"
	"testing"

	"github.com/analytics-bridge/analytics-bridge/integration/clock"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Serve ends a parked long poll and returns once ctx is cancelled.
func TestServeEndsLongPolls(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewManual(t0())
	srv := New(Options{Clock: clk})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, l) }()
	c := newClient(t, "http://"+l.Addr().String(), true)
	q, err := c.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: aws.String("q")})
	if err != nil {
		t.Fatal(err)
	}
	polled := make(chan error, 1)
	go func() {
		_, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, WaitTimeSeconds: 20})
		polled <- err
	}()
	waitFor(t, func() bool { return clk.Waiters() > 0 })
	cancel()
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if err := <-polled; err != nil {
		t.Fatalf("the parked long poll: %v, want an empty answer", err)
	}
}

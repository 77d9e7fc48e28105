package sqsfake

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/analytics-bridge/analytics-bridge/integration/clock"
)

// Serve, as ServeLoopback runs it, ends a parked long poll and returns once
// stopped.
func TestServeEndsLongPolls(t *testing.T) {
	clk := clock.NewManual(t0())
	srv := New(Options{Clock: clk})
	endpoint, stop, err := srv.ServeLoopback()
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, endpoint, true)
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
	if err := stop(); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if err := <-polled; err != nil {
		t.Fatalf("the parked long poll: %v, want an empty answer", err)
	}
}

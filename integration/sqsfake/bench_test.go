package sqsfake

import (
	"context"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// The server keeps state for live messages only: after every message is
// received and deleted, nothing per message is left (handles are not kept).
func TestMemoryFollowsLiveMessages(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	for range 50 {
		var es []types.SendMessageBatchRequestEntry
		for i := range 10 {
			es = append(es, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String("m")})
		}
		if _, err := f.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &f.url, Entries: es}); err != nil {
			t.Fatal(err)
		}
	}
	for {
		ms := f.receive(t).Messages
		if len(ms) == 0 {
			break
		}
		if _, err := f.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &f.url, Entries: entries(ms)}); err != nil {
			t.Fatal(err)
		}
	}
	f.srv.mu.Lock()
	defer f.srv.mu.Unlock()
	q := f.srv.queues["events"]
	if len(q.live) != 0 || len(q.msgs) > 64 {
		t.Fatalf("after deleting all 500: %d live, %d stored", len(q.live), len(q.msgs))
	}
}

// BenchmarkReceiveDeleteLoop is the raw consumer loop through the SDK over
// HTTP on loopback: receive 10, delete them in one batch. It is the
// stand-in's own ceiling, beside which a consumer is measured.
func BenchmarkReceiveDeleteLoop(b *testing.B) {
	hs := startHTTP(b, New(Options{}))
	c := newClient(b, hs.URL, false)
	ctx := context.Background()
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("bench")})
	if err != nil {
		b.Fatal(err)
	}
	for sent := 0; sent < b.N; sent += 10 {
		var es []types.SendMessageBatchRequestEntry
		for i := range 10 {
			es = append(es, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(`{"detail":{}}`)})
		}
		if _, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q.QueueUrl, Entries: es}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for got := 0; got < b.N; {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10})
		if err != nil {
			b.Fatal(err)
		}
		if len(out.Messages) == 0 {
			b.Fatal("queue ran dry")
		}
		got += len(out.Messages)
		if _, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: q.QueueUrl, Entries: entries(out.Messages)}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

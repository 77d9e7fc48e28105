package sqsfake

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

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

// A queue drained in send order does not make a receive walk past what was
// deleted: front follows the deleted head (and stays at the first message
// still stored), and compaction resets it.
func TestDeletedHeadIsSkipped(t *testing.T) {
	now := t0()
	q, err := newQueue("q", 1, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		q.send(uint64(i+1), now, "m", 0)
	}
	first := func() uint64 {
		got, _ := q.visible(now, 1, false)
		if len(got) != 1 {
			t.Fatalf("no visible message")
		}
		return got[0].serial
	}
	q.remove(q.msgs[150]) // out of order: the head stays
	for _, m := range q.msgs[:100] {
		q.remove(m)
	}
	if q.front != 100 || first() != 101 {
		t.Fatalf("front %d, first visible %d; want 100 and message 101", q.front, first())
	}
	// The 150th delete (message 149) compacts the 300; then 150 is deleted
	// at the head of what is left.
	for _, m := range slices.Clone(q.msgs[100:150]) {
		q.remove(m)
	}
	if q.front != 1 || len(q.msgs) != 150 || first() != 152 {
		t.Fatalf("after compaction: front %d, %d stored, first visible %d; want 1, 150, message 152", q.front, len(q.msgs), first())
	}
}

// A message past MessageRetentionPeriod is gone; expire skips its scan only
// while the queue itself is younger than the period.
func TestRetention(t *testing.T) {
	f := newFixture(t, true)
	ctx := context.Background()
	out, err := f.client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("short"),
		Attributes: map[string]string{"MessageRetentionPeriod": "60"}})
	if err != nil {
		t.Fatal(err)
	}
	f.url = *out.QueueUrl
	f.send(t, "old")
	f.clock.Advance(30 * time.Second)
	f.send(t, "young")
	f.clock.Advance(31 * time.Second)
	ms := f.receive(t).Messages
	if len(ms) != 1 || *ms[0].Body != "young" {
		t.Fatalf("received %+v; want only the message within retention", ms)
	}
}

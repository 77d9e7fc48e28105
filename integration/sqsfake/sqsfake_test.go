package sqsfake

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func TestSendReceiveDeleteWithSDK(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	batch, err := f.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &f.url, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("a"), MessageBody: aws.String(`{"n":1}`)},
		{Id: aws.String("b"), MessageBody: aws.String(`{"n":2}`)},
	}})
	if err != nil || len(batch.Successful) != 2 || len(batch.Failed) != 0 {
		t.Fatalf("SendMessageBatch: %v %+v", err, batch)
	}
	f.send(t, `{"n":3}`)

	got := f.receive(t)
	if len(got.Messages) != 3 {
		t.Fatalf("received %d messages, want 3", len(got.Messages))
	}
	var del []types.DeleteMessageBatchRequestEntry
	for i, m := range got.Messages {
		if want := `{"n":` + strconv.Itoa(i+1) + `}`; *m.Body != want {
			t.Errorf("message %d body %s, want %s (send order)", i, *m.Body, want)
		}
		if m.Attributes["ApproximateReceiveCount"] != "1" {
			t.Errorf("ApproximateReceiveCount %q, want 1", m.Attributes["ApproximateReceiveCount"])
		}
		if ms, _ := strconv.ParseInt(m.Attributes["SentTimestamp"], 10, 64); ms != f.clock.Now().UnixMilli() {
			t.Errorf("SentTimestamp %q, want the clock's %d", m.Attributes["SentTimestamp"], f.clock.Now().UnixMilli())
		}
		del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
	}
	attrs := f.attributes(t)
	if attrs["ApproximateNumberOfMessages"] != "0" || attrs["ApproximateNumberOfMessagesNotVisible"] != "3" {
		t.Fatalf("attributes while in flight: %v", attrs)
	}
	dr, err := f.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &f.url, Entries: del})
	if err != nil || len(dr.Successful) != 3 || len(dr.Failed) != 0 {
		t.Fatalf("DeleteMessageBatch: %v %+v", err, dr)
	}
	attrs = f.attributes(t)
	if attrs["ApproximateNumberOfMessages"] != "0" || attrs["ApproximateNumberOfMessagesNotVisible"] != "0" {
		t.Fatalf("attributes after delete: %v", attrs)
	}
}

func (f *fixture) attributes(t *testing.T) map[string]string {
	t.Helper()
	out, err := f.client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
		QueueUrl: &f.url, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	return out.Attributes
}

// A message not deleted within its visibility timeout comes back with a new
// receipt handle; the old handle deletes nothing.
func TestRedeliveryAfterVisibilityTimeout(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	f.send(t, "one")
	first := f.receive(t).Messages[0]
	if n := len(f.receive(t).Messages); n != 0 {
		t.Fatalf("received %d while the message is in flight, want 0", n)
	}
	f.clock.Advance(29 * time.Second)
	if n := len(f.receive(t).Messages); n != 0 {
		t.Fatalf("received %d one second before the timeout, want 0", n)
	}
	f.clock.Advance(time.Second)
	again := f.receive(t).Messages
	if len(again) != 1 || *again[0].MessageId != *first.MessageId {
		t.Fatalf("after the timeout got %+v, want the same message again", again)
	}
	if c := again[0].Attributes["ApproximateReceiveCount"]; c != "2" {
		t.Errorf("ApproximateReceiveCount %s, want 2", c)
	}
	if *again[0].ReceiptHandle == *first.ReceiptHandle {
		t.Fatal("redelivery kept the receipt handle; SQS issues a new one per receive")
	}
	if _, err := f.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &f.url, ReceiptHandle: first.ReceiptHandle}); err != nil {
		t.Fatalf("DeleteMessage with the stale handle: %v, want success (SQS accepts it)", err)
	}
	if n := f.srv.InFlight("events"); n != 1 {
		t.Fatalf("stale-handle delete removed the message (in flight %d, want 1)", n)
	}
	if _, err := f.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &f.url, ReceiptHandle: again[0].ReceiptHandle}); err != nil {
		t.Fatalf("DeleteMessage: %v", err)
	}
	f.clock.Advance(time.Hour)
	if n := len(f.receive(t).Messages); n != 0 {
		t.Fatalf("deleted message came back (%d)", n)
	}
}

// ChangeMessageVisibility extends the timeout; visibility 0 releases at once.
func TestChangeMessageVisibility(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	f.send(t, "one")
	m := f.receive(t).Messages[0]
	f.clock.Advance(20 * time.Second)
	_, err := f.client.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: &f.url,
		Entries: []types.ChangeMessageVisibilityBatchRequestEntry{{Id: aws.String("0"), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 60}}})
	if err != nil {
		t.Fatalf("ChangeMessageVisibilityBatch: %v", err)
	}
	f.clock.Advance(59 * time.Second)
	if n := len(f.receive(t).Messages); n != 0 {
		t.Fatalf("extended message came back early (%d)", n)
	}
	if _, err := f.client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &f.url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatalf("ChangeMessageVisibility 0: %v", err)
	}
	if n := len(f.receive(t).Messages); n != 1 {
		t.Fatalf("visibility 0 did not release the message (%d)", n)
	}
}

// A long poll parks until a message arrives, a hidden one becomes visible,
// or WaitTimeSeconds pass on the server's clock.
func TestLongPoll(t *testing.T) {
	cases := []struct {
		name  string
		setup func(f *fixture, t *testing.T)
		wake  func(f *fixture, t *testing.T)
		want  int
	}{
		{"send wakes it", nil, func(f *fixture, t *testing.T) { f.send(t, "late") }, 1},
		{"wait time passes", nil, func(f *fixture, t *testing.T) { f.clock.Advance(20 * time.Second) }, 0},
		{"visibility lapses", func(f *fixture, t *testing.T) {
			f.send(t, "x")
			m := f.receive(t).Messages[0]
			_, err := f.client.ChangeMessageVisibility(context.Background(), &sqs.ChangeMessageVisibilityInput{QueueUrl: &f.url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 5})
			if err != nil {
				t.Fatal(err)
			}
		}, func(f *fixture, t *testing.T) { f.clock.Advance(5 * time.Second) }, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, false)
			if tc.setup != nil {
				tc.setup(f, t)
			}
			type result struct {
				n   int
				err error
			}
			done := make(chan result, 1)
			go func() {
				out, err := f.client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &f.url, WaitTimeSeconds: 20, MaxNumberOfMessages: 10})
				if err != nil {
					done <- result{err: err}
					return
				}
				done <- result{n: len(out.Messages)}
			}()
			waitFor(t, func() bool { return f.clock.Waiters() > 0 })
			tc.wake(f, t)
			var r result
			select {
			case r = <-done:
			case <-time.After(time.Minute):
				// not a speed check: it turns a long poll that missed its
				// wake-up (and would park forever on the manual clock) into a
				// failure
				t.Fatal("the long poll did not return after its wake-up")
			}
			if r.err != nil || r.n != tc.want {
				t.Fatalf("long poll got %d messages, err %v; want %d", r.n, r.err, tc.want)
			}
		})
	}
}

// waitFor polls cond until it holds; the test's own timeout bounds it.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for !cond() {
		time.Sleep(time.Millisecond)
	}
}

func TestPurgeQueue(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	f.send(t, "a", "b")
	if _, err := f.client.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: &f.url}); err != nil {
		t.Fatalf("PurgeQueue: %v", err)
	}
	if n := len(f.receive(t).Messages); n != 0 {
		t.Fatalf("%d messages after purge", n)
	}
	_, err := f.client.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: &f.url})
	var pe *types.PurgeQueueInProgress
	if !errors.As(err, &pe) {
		t.Fatalf("second purge within 60 s: %v, want PurgeQueueInProgress", err)
	}
}

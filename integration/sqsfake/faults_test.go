package sqsfake

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// Each injected whole-call failure reaches the SDK as SQS would send it:
// status, code, and whether the default retryer retries it.
func TestFailNext(t *testing.T) {
	cases := []struct {
		kind      ErrorKind
		status    int
		code      string
		throttle  bool
		retryable bool
	}{
		{InternalFailure, 500, "InternalFailure", false, true},
		{ServiceUnavailable, 503, "ServiceUnavailable", false, true},
		{ThrottlingException, 400, "ThrottlingException", true, true},
		{RequestThrottled, 403, "RequestThrottled", true, true},
		{AccessDenied, 403, "AccessDenied", false, false},
	}
	for _, tc := range cases {
		t.Run(tc.kind.String(), func(t *testing.T) {
			f := newFixture(t, true)
			ctx := context.Background()
			f.srv.FailNext("ReceiveMessage", tc.kind, 1)
			_, err := f.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &f.url})
			var ae smithy.APIError
			var re *awshttp.ResponseError
			if !errors.As(err, &ae) || ae.ErrorCode() != tc.code || !errors.As(err, &re) || re.HTTPStatusCode() != tc.status {
				t.Fatalf("got %v, want %s with HTTP %d", err, tc.code, tc.status)
			}
			if got := retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err).Bool(); got != tc.throttle {
				t.Errorf("SDK sees throttle=%v, want %v", got, tc.throttle)
			}
			if got := retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err).Bool(); got != tc.retryable {
				t.Errorf("SDK sees retryable=%v, want %v", got, tc.retryable)
			}
			// the fault is spent: the next call goes through
			if _, err := f.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &f.url}); err != nil {
				t.Fatalf("call after the fault: %v", err)
			}
		})
	}
}

// The SDK's default retryer rides through two throttles and a 500.
func TestFailNextRetriedBySDK(t *testing.T) {
	f := newFixture(t, false)
	f.send(t, "m")
	f.srv.FailNext("ReceiveMessage", RequestThrottled, 1)
	f.srv.FailNext("ReceiveMessage", InternalFailure, 1)
	if n := len(f.receive(t).Messages); n != 1 {
		t.Fatalf("got %d messages, want 1", n)
	}
	if s := f.srv.Stats(); s.FailedCalls != 2 {
		t.Fatalf("FailedCalls %d, want 2", s.FailedCalls)
	}
}

// A DeleteMessageBatch call that succeeds with a failed entry leaves that
// message in flight; it comes back after the timeout.
func TestFailDeleteEntries(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	f.send(t, "a", "b")
	ms := f.receive(t).Messages
	f.srv.FailDeleteEntries(1)
	out, err := f.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &f.url, Entries: entries(ms)})
	if err != nil {
		t.Fatalf("DeleteMessageBatch: %v", err)
	}
	if len(out.Failed) != 1 || *out.Failed[0].Id != "0" || *out.Failed[0].Code != "InternalError" || out.Failed[0].SenderFault {
		t.Fatalf("Failed = %+v, want entry 0 with InternalError", out.Failed)
	}
	if len(out.Successful) != 1 || *out.Successful[0].Id != "1" {
		t.Fatalf("Successful = %+v, want entry 1", out.Successful)
	}
	if n := f.srv.InFlight("events"); n != 1 {
		t.Fatalf("in flight %d, want the failed entry's message", n)
	}
	f.srv.ExpireInFlight("events")
	again := f.receive(t).Messages
	if len(again) != 1 || *again[0].Body != "a" {
		t.Fatalf("redelivered %+v, want a", again)
	}
}

// A whole DeleteMessageBatch call that fails deletes nothing.
func TestFailDeleteCall(t *testing.T) {
	f := newFixture(t, true)
	f.send(t, "a", "b")
	ms := f.receive(t).Messages
	f.srv.FailNext("DeleteMessageBatch", InternalFailure, 1)
	if _, err := f.client.DeleteMessageBatch(context.Background(), &sqs.DeleteMessageBatchInput{QueueUrl: &f.url, Entries: entries(ms)}); err == nil {
		t.Fatal("DeleteMessageBatch succeeded through an injected 500")
	}
	if n := f.srv.InFlight("events"); n != 2 {
		t.Fatalf("in flight %d, want 2: a failed call must delete nothing", n)
	}
}

// FailCalls fails every call of its operation, and only of it, until
// healed; then calls go through again.
func TestFailCalls(t *testing.T) {
	f := newFixture(t, true)
	ctx := context.Background()
	f.send(t, "a", "b")
	ms := f.receive(t).Messages
	heal := f.srv.FailCalls("DeleteMessageBatch", ServiceUnavailable)
	for range 3 {
		if _, err := f.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &f.url, Entries: entries(ms)}); err == nil {
			t.Fatal("DeleteMessageBatch succeeded during the outage")
		}
	}
	if _, err := f.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &f.url}); err != nil {
		t.Fatalf("another operation failed during the outage: %v", err)
	}
	if n := f.srv.InFlight("events"); n != 2 {
		t.Fatalf("in flight %d, want 2: a failed call must delete nothing", n)
	}
	heal()
	out, err := f.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &f.url, Entries: entries(ms)})
	if err != nil || len(out.Successful) != 2 {
		t.Fatalf("after healing: %+v, %v", out, err)
	}
	if s := f.srv.Stats(); s.FailedCalls != 3 || s.Deleted != 2 {
		t.Fatalf("stats %+v, want 3 failed calls and 2 deleted", s)
	}
}

func entries(ms []types.Message) []types.DeleteMessageBatchRequestEntry {
	var es []types.DeleteMessageBatchRequestEntry
	for i, m := range ms {
		es = append(es, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
	}
	return es
}

// A duplicate delivery: the same MessageId and body twice, with different
// handles, and deleting one copy leaves the other.
func TestDuplicateNext(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	f.send(t, "once")
	f.srv.DuplicateNext(1)
	first := f.receive(t).Messages
	second := f.receive(t).Messages
	if len(first) != 1 || len(second) != 1 {
		t.Fatalf("got %d then %d messages, want 1 and its duplicate", len(first), len(second))
	}
	if *first[0].MessageId != *second[0].MessageId || *first[0].Body != *second[0].Body || *first[0].ReceiptHandle == *second[0].ReceiptHandle {
		t.Fatalf("duplicate %+v of %+v: want same id and body, new handle", second[0], first[0])
	}
	if _, err := f.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &f.url, ReceiptHandle: first[0].ReceiptHandle}); err != nil {
		t.Fatal(err)
	}
	if n := f.srv.InFlight("events"); n != 1 {
		t.Fatalf("in flight %d after deleting one copy, want 1", n)
	}
}

// Reorder hands out messages out of send order; without it, send order.
func TestReorder(t *testing.T) {
	for _, on := range []bool{false, true} {
		f := newFixture(t, false)
		var want []string
		for i := range 10 {
			want = append(want, strconv.Itoa(i))
		}
		f.send(t, want...)
		f.srv.Reorder(on)
		var got []string
		for _, m := range f.receive(t).Messages {
			got = append(got, *m.Body)
		}
		sorted := slices.Sorted(slices.Values(got))
		if !slices.Equal(sorted, want) {
			t.Fatalf("reorder=%v lost or added messages: %v", on, got)
		}
		if same := slices.Equal(got, want); same == on {
			t.Fatalf("reorder=%v received in order %v", on, got)
		}
	}
}

// A stale handle in a batch delete is a success that deletes nothing, and a
// visibility change with it fails per entry.
func TestStaleHandleInBatches(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	f.send(t, "m")
	old := f.receive(t).Messages
	f.srv.ExpireInFlight("events")
	cur := f.receive(t).Messages
	dr, err := f.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &f.url, Entries: entries(old)})
	if err != nil || len(dr.Successful) != 1 {
		t.Fatalf("delete with stale handle: %v %+v, want success", err, dr)
	}
	if s := f.srv.Stats(); s.StaleDeletes != 1 || s.Deleted != 0 || f.srv.InFlight("events") != 1 {
		t.Fatalf("stats %+v: the stale delete must delete nothing", s)
	}
	cr, err := f.client.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: &f.url,
		Entries: []types.ChangeMessageVisibilityBatchRequestEntry{{Id: aws.String("0"), ReceiptHandle: old[0].ReceiptHandle, VisibilityTimeout: 60}}})
	if err != nil || len(cr.Failed) != 1 || *cr.Failed[0].Code != "InvalidParameterValue" || !cr.Failed[0].SenderFault {
		t.Fatalf("visibility change with stale handle: %v %+v", err, cr)
	}
	if _, err := f.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &f.url, Entries: entries(cur)}); err != nil || f.srv.InFlight("events") != 0 {
		t.Fatalf("delete with the current handle: %v, in flight %d", err, f.srv.InFlight("events"))
	}
}

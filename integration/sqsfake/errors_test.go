package sqsfake

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// The wire shape of an error: status, __type, message, x-amzn-query-error.
func TestErrorWireShape(t *testing.T) {
	hs := startHTTP(t, New(Options{}))
	req, _ := http.NewRequest(http.MethodPost, hs.URL+"/", strings.NewReader(`{"QueueName":"missing"}`))
	req.Header.Set("X-Amz-Target", "AmazonSQS.GetQueueUrl")
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 400 || body["__type"] != "com.amazonaws.sqs#QueueDoesNotExist" ||
		body["message"] != "The specified queue does not exist." ||
		resp.Header.Get("x-amzn-query-error") != "AWS.SimpleQueueService.NonExistentQueue;Sender" ||
		resp.Header.Get("Content-Type") != "application/x-amz-json-1.0" {
		t.Fatalf("got %d %v %v", resp.StatusCode, resp.Header, body)
	}
}

// What the SDK makes of each error: its type and its ErrorCode().
func TestErrorsThroughSDK(t *testing.T) {
	f := newFixture(t, true)
	ctx := context.Background()
	f.send(t, "m")
	m := f.receive(t).Messages[0]
	f.srv.ExpireInFlight("events")
	f.receive(t) // m is received again: its first handle is now stale

	var (
		qdne *types.QueueDoesNotExist
		rhi  *types.ReceiptHandleIsInvalid
		ian  *types.InvalidAttributeName
		tmeb *types.TooManyEntriesInBatchRequest
		dist *types.BatchEntryIdsNotDistinct
		gen  *smithy.GenericAPIError
	)
	ten := func(n int, id func(i int) string) []types.DeleteMessageBatchRequestEntry {
		var es []types.DeleteMessageBatchRequestEntry
		for i := range n {
			es = append(es, types.DeleteMessageBatchRequestEntry{Id: aws.String(id(i)), ReceiptHandle: aws.String("h")})
		}
		return es
	}
	cases := []struct {
		name   string
		call   func() error
		target any
		code   string
	}{
		{"unknown queue name", func() error {
			_, err := f.client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("nope")})
			return err
		}, &qdne, "AWS.SimpleQueueService.NonExistentQueue"},
		{"unknown queue url", func() error {
			_, err := f.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(f.url + "-x")})
			return err
		}, &qdne, "AWS.SimpleQueueService.NonExistentQueue"},
		{"forged receipt handle", func() error {
			_, err := f.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &f.url, ReceiptHandle: aws.String("forged")})
			return err
		}, &rhi, "ReceiptHandleIsInvalid"},
		{"tampered receipt handle", func() error {
			_, err := f.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &f.url, ReceiptHandle: aws.String(tamper(t, *m.ReceiptHandle))})
			return err
		}, &rhi, "ReceiptHandleIsInvalid"},
		{"visibility change with a stale handle", func() error {
			_, err := f.client.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &f.url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 60})
			return err
		}, &gen, "InvalidParameterValue"},
		{"age of oldest message is no queue attribute", func() error {
			_, err := f.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &f.url,
				AttributeNames: []types.QueueAttributeName{"ApproximateAgeOfOldestMessage"}})
			return err
		}, &ian, "InvalidAttributeName"},
		{"eleven entries", func() error {
			_, err := f.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &f.url, Entries: ten(11, func(i int) string { return string(rune('a' + i)) })})
			return err
		}, &tmeb, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"},
		{"repeated entry ids", func() error {
			_, err := f.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &f.url, Entries: ten(2, func(int) string { return "x" })})
			return err
		}, &dist, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"},
		{"MaxNumberOfMessages 11", func() error {
			_, err := f.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &f.url, MaxNumberOfMessages: 11})
			return err
		}, &gen, "InvalidParameterValue"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if err == nil || !errors.As(err, tc.target) {
				t.Fatalf("got %v (%T), want %T", err, err, tc.target)
			}
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tc.code {
				t.Fatalf("ErrorCode %q, want %q", ae.ErrorCode(), tc.code)
			}
		})
	}
}

// tamper flips a bit in the last byte of a handle's payload (its MAC).
func tamper(t *testing.T, h string) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(h, handlePrefix))
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 1
	return handlePrefix + base64.StdEncoding.EncodeToString(b)
}

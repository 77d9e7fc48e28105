package eventbridge_test

import (
	"context"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/analytics-bridge/analytics-bridge/integration/clock"
	"github.com/analytics-bridge/analytics-bridge/integration/eventbridge"
	"github.com/analytics-bridge/analytics-bridge/integration/sqsfake"
)

// Generated events through the SQS stand-in with every delivery fault on:
// a consumer that keeps each (topicName, eventBody) once ends with exactly
// the ledger, and one that keeps everything does not, so the faults bite.
func TestThroughSQSWithFaults(t *testing.T) {
	for _, dedup := range []bool{true, false} {
		t.Run("dedup="+strconv.FormatBool(dedup), func(t *testing.T) {
			got := consume(t, dedup)
			if got.ExactlyOnce() != dedup {
				t.Fatalf("report %+v: exactly once %v, want %v", got, got.ExactlyOnce(), dedup)
			}
			if !dedup && got.Duplicates == 0 {
				t.Fatalf("no duplicate reached the consumer: the faults did nothing (%+v)", got)
			}
		})
	}
}

func consume(t *testing.T, dedup bool) eventbridge.Report {
	ctx := context.Background()
	clk := clock.NewManual(time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC))
	srv := sqsfake.New(sqsfake.Options{Clock: clk, Seed: 3})
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Close(); hs.Close() })
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")),
		config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}))
	if err != nil {
		t.Fatal(err)
	}
	c := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(hs.URL) })
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("genesys")})
	if err != nil {
		t.Fatal(err)
	}

	g := eventbridge.New(eventbridge.Options{Seed: 8, ResendRate: 0.1})
	for _, e := range g.Stream(20) {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(string(e.Body))}); err != nil {
			t.Fatal(err)
		}
	}
	srv.Reorder(true)
	srv.DuplicateNext(5)
	srv.FailDeleteEntries(3)
	srv.FailNext("ReceiveMessage", sqsfake.RequestThrottled, 2)

	seen := eventbridge.NewLedger()
	var kept [][]byte
	for round := 0; ; round++ {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatalf("ReceiveMessage: %v", err)
		}
		if len(out.Messages) == 0 {
			if srv.InFlight("genesys") == 0 {
				break
			}
			clk.Advance(31 * time.Second) // what failed to delete comes back
			continue
		}
		var del []types.DeleteMessageBatchRequestEntry
		for i, m := range out.Messages {
			topic, body, err := eventbridge.EnvelopePair([]byte(*m.Body))
			if err != nil {
				t.Fatal(err)
			}
			if seen.Add(topic, body) || !dedup {
				kept = append(kept, []byte(*m.Body))
			}
			del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
		if _, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: q.QueueUrl, Entries: del}); err != nil {
			t.Fatal(err)
		}
		if round > 1000 {
			t.Fatal("the queue never drained")
		}
	}
	if s := srv.Stats(); s.Duplicated != 5 || s.FailedEntries != 3 || s.Redelivered < 3 {
		t.Fatalf("faults not all applied: %+v", s)
	}
	return g.Ledger().Check(kept, true)
}

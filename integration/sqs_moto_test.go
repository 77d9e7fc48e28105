package integration_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/analytics-bridge/analytics-bridge/integration/eventbridge"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
)

// TestSQSExactlyOnceMoto is the end-to-end exactly-once run against
// moto_server instead of the stand-in: events with resends, the bridge
// stopped and started again, then resends of what the first run wrote
// among new events. SQS_TEST_ENDPOINT names the endpoint (.ci/run starts
// moto_server and sets it).
func TestSQSExactlyOnceMoto(t *testing.T) {
	endpoint := os.Getenv("SQS_TEST_ENDPOINT")
	if endpoint == "" {
		t.Skip("SQS_TEST_ENDPOINT is not set: skipping the end-to-end run against moto " +
			"(.ci/run starts moto_server and sets it; or run moto_server -p PORT and set SQS_TEST_ENDPOINT=http://127.0.0.1:PORT)")
	}
	bothModes(t, func(t *testing.T, txn string) {
		c := kafkatest.Start(t)
		mq := newMotoQueue(t, endpoint, c.Prefix)
		rig := newSQSRigAt(t, c, endpoint, mq.url, mq.view(), txn, nil)
		g := eventbridge.New(eventbridge.Options{Seed: 89, ResendRate: 0.1})

		first := rig.start()
		events := g.Stream(10)
		mq.send(events)
		rig.waitExactlyOnce(g.Ledger(), first)
		if err := first.stop(t); err != nil {
			t.Fatalf("stopping the first run: %v", err)
		}

		later := append(resendsOf(g, events, 3, time.Hour), g.Stream(10)...)
		mq.send(later)
		second := rig.start()
		report := rig.waitExactlyOnce(g.Ledger(), second)
		resends := len(events) + len(later) - g.Ledger().Len()
		dropped := first.metric(t, "analytics_bridge_duplicates_dropped_total") + second.metric(t, "analytics_bridge_duplicates_dropped_total")
		if dropped < float64(resends) {
			t.Fatalf("%v duplicates dropped, want at least the %d resends", dropped, resends)
		}
		t.Logf("moto: %d messages (%d resends), a restart between; %+v; %v duplicates dropped; first run %s; second run %s",
			len(events)+len(later), resends, report, dropped, first.sqsCounts(t), second.sqsCounts(t))
	})
}

// motoQueue is a fresh queue on an SQS endpoint other than the stand-in,
// read and fed through the SDK. Its visibility timeout is short (5 s):
// moto finishes a long poll whose client went away (a stopped bridge's),
// and the messages it took come back only after that timeout.
type motoQueue struct {
	t      *testing.T
	client *sqs.Client
	url    string
}

var motoQueues atomic.Int64

func newMotoQueue(t *testing.T, endpoint, prefix string) *motoQueue {
	t.Helper()
	ctx := context.Background()
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion("us-east-1"),
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")),
		awsconfig.WithSharedConfigFiles([]string{}), awsconfig.WithSharedCredentialsFiles([]string{}))
	if err != nil {
		t.Fatal(err)
	}
	client := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(endpoint) })
	name := fmt.Sprintf("bridge-%d-%d", time.Now().UnixNano(), motoQueues.Add(1))
	out, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name),
		Attributes: map[string]string{"VisibilityTimeout": "5"}})
	if err != nil {
		t.Fatalf("creating queue %s for %s at %s: %v", name, prefix, endpoint, err)
	}
	url := aws.ToString(out.QueueUrl)
	t.Cleanup(func() {
		_, _ = client.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(url)})
	})
	return &motoQueue{t: t, client: client, url: url}
}

// send puts each event's body on the queue, ten a call.
func (m *motoQueue) send(events []eventbridge.Event) {
	m.t.Helper()
	for len(events) > 0 {
		n := min(10, len(events))
		entries := make([]types.SendMessageBatchRequestEntry, n)
		for i, e := range events[:n] {
			entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(string(e.Body))}
		}
		out, err := m.client.SendMessageBatch(context.Background(), &sqs.SendMessageBatchInput{QueueUrl: aws.String(m.url), Entries: entries})
		if err != nil || len(out.Failed) > 0 {
			m.t.Fatalf("SendMessageBatch: %v %+v", err, out)
		}
		events = events[n:]
	}
}

// counts are the queue's visible, in-flight and delayed messages.
func (m *motoQueue) counts() (string, bool) {
	names := []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages,
		types.QueueAttributeNameApproximateNumberOfMessagesNotVisible, types.QueueAttributeNameApproximateNumberOfMessagesDelayed}
	out, err := m.client.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(m.url), AttributeNames: names})
	if err != nil {
		return fmt.Sprintf("GetQueueAttributes: %v", err), false
	}
	empty := true
	for _, n := range names {
		empty = empty && out.Attributes[string(n)] == "0"
	}
	return fmt.Sprintf("queue %v", out.Attributes), empty
}

func (m *motoQueue) view() queueView {
	return queueView{
		drained: func() bool { _, empty := m.counts(); return empty },
		state:   func() string { s, _ := m.counts(); return s },
	}
}

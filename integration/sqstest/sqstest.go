// Package sqstest gives tests of the sqs source what they need besides a
// Kafka cluster: a queue on the in-repo SQS stand-in (whose requests of
// chosen operations a test can hold at the door), an environment that
// points the bridge at it, Genesys EventBridge events sent to it, and the
// exactly-once verdict of an independent read_committed reader.
//
// It is a test kit (the demo shares it): production packages do not
// import it.
package sqstest

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/analytics-bridge/analytics-bridge/bridge"
	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/eventbridge"
	"github.com/analytics-bridge/analytics-bridge/integration/httpserve"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/sqsfake"
)

// QueueName is the stand-in queue's name.
const QueueName = "genesys-events"

// Queue is a stand-in SQS queue served on loopback.
type Queue struct {
	Server   *sqsfake.Server
	Endpoint string // http://127.0.0.1:port
	URL      string // the queue URL
	holds    *holds
}

// Start serves a stand-in with one queue (attrs: its attributes, such as
// VisibilityTimeout) until t ends. Requests pass through Hold's door.
func Start(t kafkatest.TB, o sqsfake.Options, attrs map[string]string) *Queue {
	t.Helper()
	srv := sqsfake.New(o)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listening for the SQS stand-in: %v", err)
	}
	hd := newHolds()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = httpserve.Serve(ctx, l, hd.wrap(srv), func() {
			srv.Close() // ends long polls, so that Shutdown does not wait for them
			hd.releaseAll()
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	if err := srv.CreateQueue(QueueName, attrs); err != nil {
		t.Fatalf("creating the queue: %v", err)
	}
	endpoint := "http://" + l.Addr().String()
	return &Queue{Server: srv, Endpoint: endpoint, URL: srv.QueueURL(endpoint, QueueName), holds: hd}
}

// Credentials are the environment variables the AWS SDK's default chain
// reads for the stand-in (it accepts any signature); IMDS is off, so that
// a machine outside EC2 does not wait for it.
var Credentials = []string{"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_EC2_METADATA_DISABLED=true",
	"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"}

// Setenv sets Credentials in the process, for a bridge run in it.
func Setenv(t interface{ Setenv(k, v string) }) {
	for _, kv := range Credentials {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// Env is the production environment reading q into c, with names unique
// to c's test and test-sized timings.
func Env(c *kafkatest.Cluster, q *Queue) config.Env {
	e := c.Env()
	e.Source = string(config.SourceSQS)
	e.SQSQueueURL = q.URL
	e.SQSEndpointURL = q.Endpoint
	e.AWSRegion = "us-east-1"
	e.SQSWaitTime = "1s"
	e.DedupMaxKeys = "100000"
	return e
}

// Send puts each event's body on the queue.
func (q *Queue) Send(events []eventbridge.Event) error {
	for _, e := range events {
		if _, err := q.Server.Send(QueueName, string(e.Body)); err != nil {
			return err
		}
	}
	return nil
}

// Drained reports whether the queue holds nothing: every message deleted.
func (q *Queue) Drained() bool {
	return q.Server.InFlight(QueueName) == 0 && q.Server.Visible(QueueName) == 0
}

// Verdict reads topic back read_committed and counts its events' distinct
// (topicName, eventBody) pairs against ledger (values are detail objects,
// SQS_VALUE=detail). Records of other kinds are counted apart.
func Verdict(ctx context.Context, c *kafkatest.Cluster, topic string, ledger *eventbridge.Ledger) (eventbridge.Report, error) {
	records, err := c.ReadAll(ctx, topic)
	if err != nil {
		return eventbridge.Report{}, fmt.Errorf("reading %s back: %w", topic, err)
	}
	values := make([][]byte, 0, len(records))
	for _, r := range records {
		if r.Headers[bridge.HeaderRecordKind] == "event" {
			values = append(values, r.Value)
		}
	}
	return ledger.Check(values, false), nil
}

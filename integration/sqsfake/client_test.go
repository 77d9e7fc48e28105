package sqsfake

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/clock"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// newClient returns a real SDK client for endpoint, with static credentials
// and the SDK's default retryer unless noRetry.
func newClient(t testing.TB, endpoint string, noRetry bool) *sqs.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("test", "test", "")),
		// keep a developer's ~/.aws out of the tests
		config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}))
	if err != nil {
		t.Fatalf("load AWS config: %v", err)
	}
	return sqs.NewFromConfig(cfg, func(o *sqs.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		if noRetry {
			o.Retryer = aws.NopRetryer{}
		}
	})
}

type fixture struct {
	srv    *Server
	clock  *clock.Manual
	client *sqs.Client
	url    string
}

// newFixture starts a stand-in on a manual clock with one queue (visibility
// timeout 30 s) and returns an SDK client for it.
// startHTTP serves srv over HTTP on loopback until tb ends; srv closes
// first, so that no long poll holds the HTTP server's Close.
func startHTTP(tb testing.TB, srv *Server) *httptest.Server {
	hs := httptest.NewServer(srv)
	tb.Cleanup(func() { srv.Close(); hs.Close() })
	return hs
}

func newFixture(t *testing.T, noRetry bool) *fixture {
	t.Helper()
	clk := clock.NewManual(t0())
	srv := New(Options{Clock: clk, Seed: 7})
	hs := startHTTP(t, srv)
	c := newClient(t, hs.URL, noRetry)
	out, err := c.CreateQueue(context.Background(), &sqs.CreateQueueInput{
		QueueName:  aws.String("events"),
		Attributes: map[string]string{"VisibilityTimeout": "30"},
	})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	return &fixture{srv: srv, clock: clk, client: c, url: *out.QueueUrl}
}

func (f *fixture) send(t *testing.T, bodies ...string) {
	t.Helper()
	for _, b := range bodies {
		if _, err := f.client.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: &f.url, MessageBody: aws.String(b)}); err != nil {
			t.Fatalf("SendMessage: %v", err)
		}
	}
}

// receive short-polls once for up to 10 messages.
func (f *fixture) receive(t *testing.T) *sqs.ReceiveMessageOutput {
	t.Helper()
	out, err := f.client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl: &f.url, MaxNumberOfMessages: 10,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
	})
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	return out
}

// t0 is where the manual clocks of the tests start.
func t0() time.Time { return time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC) }

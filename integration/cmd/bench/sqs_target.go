package main

// The SQS server both sides of the sqs mode read: the in-repo stand-in
// served on loopback HTTP by this process, or the endpoint in
// SQS_TEST_ENDPOINT (moto_server).

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/analytics-bridge/analytics-bridge/integration/sqsfake"
)

// sqsTarget is the SQS server of a run.
type sqsTarget struct {
	endpoint string
	desc     string
	standIn  *sqsfake.Server // nil with SQS_TEST_ENDPOINT
	client   *sqs.Client     // the bench's own: creating, filling, polling (moto)
	stop     func() error
}

// startSQSTarget serves the stand-in on loopback, unless SQS_TEST_ENDPOINT
// names a server.
func startSQSTarget() (*sqsTarget, error) {
	t := &sqsTarget{stop: func() error { return nil }}
	if env := strings.TrimSpace(os.Getenv("SQS_TEST_ENDPOINT")); env != "" {
		t.endpoint, t.desc = env, "SQS_TEST_ENDPOINT="+env+" (a server outside the bench)"
	} else {
		srv := sqsfake.New(sqsfake.Options{})
		endpoint, stop, err := srv.ServeLoopback()
		if err != nil {
			return nil, err
		}
		t.standIn, t.endpoint, t.stop = srv, endpoint, stop
		t.desc = "the in-repo stand-in (integration/sqsfake) in the bench process, over loopback HTTP at " + t.endpoint
	}
	t.client = sqsClient(t.endpoint, 8)
	return t, nil
}

// sqsClient is an SDK client of endpoint with static test credentials and
// a connection per receiver, as the bridge's (source/sqs loadAWS).
func sqsClient(endpoint string, receivers int) *sqs.Client {
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		HTTPClient: &http.Client{Transport: &http.Transport{
			Proxy: nil, MaxIdleConns: 100, MaxIdleConnsPerHost: receivers + 4, IdleConnTimeout: 90 * time.Second,
		}},
	}
	return sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

// create makes a queue with a visibility timeout of visibility seconds and
// returns its URL.
func (t *sqsTarget) create(ctx context.Context, name string, visibility int) (string, error) {
	out, err := t.client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name),
		Attributes: map[string]string{"VisibilityTimeout": strconv.Itoa(visibility)}})
	if err != nil {
		return "", fmt.Errorf("creating queue %s: %w", name, err)
	}
	return aws.ToString(out.QueueUrl), nil
}

// fill puts bodies on the queue: directly into the stand-in, or in
// batches of 10 from 8 goroutines.
func (t *sqsTarget) fill(ctx context.Context, name, url string, bodies []string) error {
	if t.standIn != nil {
		for _, b := range bodies {
			if _, err := t.standIn.Send(name, b); err != nil {
				return err
			}
		}
		return nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := w * 10; i < len(bodies); i += 80 {
				var es []types.SendMessageBatchRequestEntry
				for j, b := range bodies[i:min(i+10, len(bodies))] {
					es = append(es, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(j)), MessageBody: aws.String(b)})
				}
				out, err := t.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: es})
				if err == nil && len(out.Failed) > 0 {
					err = fmt.Errorf("%d entries failed: %s", len(out.Failed), aws.ToString(out.Failed[0].Message))
				}
				if err != nil {
					errs <- fmt.Errorf("filling %s: %w", name, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// remaining returns how many messages the queue, holding n now, holds
// when called, visible or in flight. The stand-in's is its counts of
// messages sent and deleted (the queue's own counts walk it, under the
// lock every request takes): earlier queues hold what they held, and no
// copy is duplicated.
func (t *sqsTarget) remaining(name, url string, n int) func(context.Context) (int, error) {
	if t.standIn != nil {
		st := t.standIn.Stats()
		others := st.Sent - st.Deleted - n
		return func(context.Context) (int, error) {
			st := t.standIn.Stats()
			return st.Sent - st.Deleted - others, nil
		}
	}
	return func(ctx context.Context) (int, error) { return t.attributes(ctx, url) }
}

// attributes is how many messages GetQueueAttributes says the queue
// holds, visible or in flight.
func (t *sqsTarget) attributes(ctx context.Context, url string) (int, error) {
	out, err := t.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		return 0, err
	}
	visible, err1 := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)])
	inFlight, err2 := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("queue attributes %v: %w", out.Attributes, err)
	}
	return visible + inFlight, nil
}

// redelivered is how many deliveries the stand-in made of a message it
// delivered before (-1 with another server: it does not say).
func (t *sqsTarget) redelivered() int {
	if t.standIn == nil {
		return -1
	}
	return t.standIn.Stats().Redelivered
}

// drainClock times a queue's drain as both sides are timed: from the
// first poll that sees a message gone to the first that sees none left.
type drainClock struct {
	first, last time.Time
	polls       int
}

// watch polls the queue every poll until it is empty, done reports a
// failure of the reader, or ctx ends.
func (t *sqsTarget) watch(ctx context.Context, name, url string, n int, poll time.Duration, failed func() error) (drainClock, error) {
	var c drainClock
	remaining := t.remaining(name, url, n)
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return c, ctx.Err()
		case <-tick.C:
		}
		if err := failed(); err != nil {
			return c, err
		}
		left, err := remaining(ctx)
		c.polls++
		if err != nil {
			continue
		}
		now := time.Now()
		if left < n && c.first.IsZero() {
			c.first = now
		}
		if left == 0 {
			c.last = now
			return c, nil
		}
	}
}

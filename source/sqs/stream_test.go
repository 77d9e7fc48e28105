package sqs

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/eventbridge"
	"github.com/analytics-bridge/analytics-bridge/integration/sqsfake"
	"github.com/analytics-bridge/analytics-bridge/source"
)

// rig is the source against the in-repo SQS stand-in.
type rig struct {
	srv    *sqsfake.Server
	src    *Source
	client *sqs.Client
	url    string
}

func newRig(t *testing.T, queue string) *rig {
	return newRigWith(t, queue, nil)
}

func newRigWith(t *testing.T, queue string, attrs map[string]string) *rig {
	t.Helper()
	srv := sqsfake.New(sqsfake.Options{})
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { srv.Close(); hs.Close() })
	if err := srv.CreateQueue("genesys", attrs); err != nil {
		t.Fatal(err)
	}
	awsCfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	cfg := config.Config{Source: config.SourceSQS, DedupWindow: time.Hour, ReconnectMinBackoff: time.Millisecond, ReconnectMaxBackoff: 10 * time.Millisecond,
		SQS: config.SQS{QueueURL: srv.QueueURL(hs.URL, queue), Region: "us-east-1", EndpointURL: hs.URL, WaitTime: time.Second, MaxMessages: 10,
			Receivers: 2, Value: config.SQSValueDetail, PartitionKey: config.SQSDefaultPartitionKey}}
	src, err := New(Options{Config: cfg, Logger: zerolog.Nop(), AWS: &awsCfg})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{srv: srv, src: src, client: src.client, url: cfg.SQS.QueueURL}
}

func (r *rig) send(t *testing.T, bodies ...[]byte) {
	t.Helper()
	for _, b := range bodies {
		if _, err := r.srv.Send("genesys", string(b)); err != nil {
			t.Fatal(err)
		}
	}
}

// output is the core's side, recorded.
type output struct {
	mu     sync.Mutex
	events []*source.Event
	dead   []*source.DeadLetter
	got    chan struct{}
}

func newOutput() *output { return &output{got: make(chan struct{}, 1000)} }

func (o *output) Event(_ context.Context, ev *source.Event) error {
	o.mu.Lock()
	o.events = append(o.events, ev)
	o.mu.Unlock()
	o.got <- struct{}{}
	return nil
}

func (o *output) DeadLetter(_ context.Context, dl *source.DeadLetter) error {
	o.mu.Lock()
	o.dead = append(o.dead, dl)
	o.mu.Unlock()
	o.got <- struct{}{}
	return nil
}

func (o *output) Gap(context.Context, source.Gap) error {
	return errors.New("the sqs source has no gaps")
}
func (o *output) Observe(fn func(source.Progress)) { fn(source.Progress{}) }
func (o *output) Connected(bool)                   {}

func (o *output) wait(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-o.got:
		case <-time.After(30 * time.Second):
			t.Fatalf("fewer than %d messages reached the core", n)
		}
	}
}

// run starts an epoch; stop ends Run and returns its error.
func run(t *testing.T, st source.Stream, out *output) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- st.Run(ctx, out) }()
	t.Cleanup(cancel)
	return func() error {
		cancel()
		return <-errc
	}
}

// Committed messages are deleted by Close; the rest are made visible again
// at once, not at their timeout.
func TestCloseDeletesCommittedAndReleasesTheRest(t *testing.T) {
	r := newRig(t, "genesys")
	// Exactly 25 messages, all received before the epoch ends: a receive
	// cut short by the end of an epoch leaves what SQS handed it hidden
	// until its timeout (the answer is never read), which is not what this
	// test is about.
	g := eventbridge.New(eventbridge.Options{Seed: 1})
	for _, e := range g.Stream(10)[:25] {
		r.send(t, e.Body)
	}
	st, _ := r.src.Resume(source.Checkpoint{})
	out := newOutput()
	stop := run(t, st, out)
	out.wait(t, 25)
	out.mu.Lock()
	for _, ev := range out.events[:20] {
		ev.Ack.Committed(ev.AckID)
	}
	out.mu.Unlock()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := r.srv.Stats(); s.Deleted != 20 {
		t.Fatalf("deleted %d, want the 20 committed", s.Deleted)
	}
	if n := r.srv.InFlight("genesys"); n != 0 {
		t.Fatalf("%d messages still in flight after Close, want 0: the 5 uncommitted must be visible again (%+v)", n, r.srv.Stats())
	}
	res, err := r.client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(r.url), MaxNumberOfMessages: 10})
	if err != nil || len(res.Messages) != 5 {
		t.Fatalf("received %d again (err %v), want the 5 uncommitted at once", len(res.Messages), err)
	}
}

func TestRefusals(t *testing.T) {
	t.Run("access denied names the IAM action", func(t *testing.T) {
		r := newRig(t, "genesys")
		r.srv.FailNext("ReceiveMessage", sqsfake.AccessDenied, 100)
		st, _ := r.src.Resume(source.Checkpoint{})
		err := st.Run(context.Background(), newOutput())
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "grant sqs:ReceiveMessage") {
			t.Fatalf("Run: %v, want a refusal naming sqs:ReceiveMessage", err)
		}
	})
	t.Run("a queue that does not exist", func(t *testing.T) {
		r := newRig(t, "no-such-queue")
		st, _ := r.src.Resume(source.Checkpoint{})
		err := st.Run(context.Background(), newOutput())
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "does not exist") {
			t.Fatalf("Run: %v, want a refusal saying the queue does not exist", err)
		}
	})
	t.Run("a window not longer than the visibility timeout", func(t *testing.T) {
		r := newRig(t, "genesys")
		r.src.window = 30 * time.Second // the queue's default visibility timeout
		st, _ := r.src.Resume(source.Checkpoint{})
		err := st.Run(context.Background(), newOutput())
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "DEDUP_WINDOW") {
			t.Fatalf("Run: %v, want a refusal naming DEDUP_WINDOW", err)
		}
	})
}

// Throttling and server errors are retried until the queue answers.
func TestThrottlingIsRetried(t *testing.T) {
	r := newRig(t, "genesys")
	r.send(t, []byte(genesysBody))
	r.srv.FailNext("ReceiveMessage", sqsfake.ThrottlingException, 6)
	r.srv.FailNext("ReceiveMessage", sqsfake.InternalFailure, 6)
	st, _ := r.src.Resume(source.Checkpoint{})
	out := newOutput()
	stop := run(t, st, out)
	out.wait(t, 1)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	_ = st.Close(context.Background())
	if s := r.srv.Stats(); s.FailedCalls != 12 {
		t.Fatalf("%d failed calls, want all 12 injected to have been met and retried", s.FailedCalls)
	}
}

// A message that is not an EventBridge event is dead-lettered, acknowledged
// like an event, and deleted once committed.
func TestBadMessagesAreDeadLettered(t *testing.T) {
	r := newRig(t, "genesys")
	r.send(t, []byte("not json"), []byte(`{"detail":{"a":1}}`))
	st, _ := r.src.Resume(source.Checkpoint{})
	out := newOutput()
	stop := run(t, st, out)
	out.wait(t, 2)
	out.mu.Lock()
	for _, dl := range out.dead {
		dl.Ack.Committed(dl.AckID)
	}
	out.mu.Unlock()
	_ = stop()
	if err := st.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(out.dead) != 2 || r.srv.Stats().Deleted != 2 {
		t.Fatalf("%d dead letters, %d deleted; want 2 and 2", len(out.dead), r.srv.Stats().Deleted)
	}
	for _, dl := range out.dead {
		if dl.KeyTime.IsZero() || !strings.Contains(dl.Reason, "SQS message") {
			t.Errorf("dead letter %q: key time %v, want the receive time and the message id in the reason", dl.Reason, dl.KeyTime)
		}
	}
}

// A message waiting for Kafka past half its visibility timeout is
// extended, and does not come back while it waits.
func TestHeldMessagesAreExtended(t *testing.T) {
	r := newRigWith(t, "genesys", map[string]string{"VisibilityTimeout": "2"})
	r.send(t, []byte(genesysBody))
	st, _ := r.src.Resume(source.Checkpoint{})
	out := newOutput()
	stop := run(t, st, out)
	out.wait(t, 1)
	// Never committed: wait until it was extended twice, well past the
	// 2 s timeout it was received with.
	deadline := time.Now().Add(30 * time.Second)
	for testutil.ToFloat64(r.src.metrics.extended) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the held message was not extended within 30 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if s := r.srv.Stats(); s.Redelivered != 0 || s.Received != 1 {
		t.Fatalf("received %d, redelivered %d while held; want 1 and 0", s.Received, s.Redelivered)
	}
	_ = stop()
	_ = st.Close(context.Background())
}

// A receive the server never answers (a half-open connection) times out
// and is retried; the message still arrives.
func TestUnansweredReceiveIsRetried(t *testing.T) {
	r := newRig(t, "genesys")
	r.send(t, []byte(genesysBody))
	var mu sync.Mutex
	hung := 0
	release := make(chan struct{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Header.Get("X-Amz-Target") == "AmazonSQS.ReceiveMessage" {
			mu.Lock()
			hang := hung < 2
			hung++
			mu.Unlock()
			if hang {
				<-release // never answers while the test runs
				return
			}
		}
		r.srv.ServeHTTP(w, req)
	}))
	t.Cleanup(func() { close(release); hs.Close() }) // the hung handlers end first
	r.src.client = sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String(hs.URL),
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")})
	r.src.callTimeout = 200 * time.Millisecond
	r.src.receivers = 1
	st, _ := r.src.Resume(source.Checkpoint{})
	out := newOutput()
	stop := run(t, st, out)
	out.wait(t, 1)
	_ = stop()
	_ = st.Close(context.Background())
	mu.Lock()
	defer mu.Unlock()
	if hung < 3 {
		t.Fatalf("%d receives, want the 2 unanswered ones and one more", hung)
	}
}

// blockedOutput takes one event, then blocks every other until the epoch
// ends: a core under back-pressure when the epoch stops.
type blockedOutput struct {
	*output
	taken bool
}

func (o *blockedOutput) Event(ctx context.Context, ev *source.Event) error {
	if !o.taken {
		o.taken = true
		return o.output.Event(ctx, ev)
	}
	<-ctx.Done()
	return ctx.Err()
}

// An epoch that ends while a receive loop is handing on a batch releases
// the whole batch at Close: none of it waits out the visibility timeout.
func TestEpochEndReleasesTheBatchBeingHandedOn(t *testing.T) {
	r := newRig(t, "genesys")
	// One loop: no other receive is in flight when the epoch ends (an
	// answer cut short is hidden until its timeout, another matter).
	r.src.receivers = 1
	g := eventbridge.New(eventbridge.Options{Seed: 3})
	for _, e := range g.Stream(20)[:40] {
		r.send(t, e.Body)
	}
	st, _ := r.src.Resume(source.Checkpoint{})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	errc := make(chan error, 1)
	go func() { errc <- st.Run(ctx, &blockedOutput{output: newOutput()}) }()
	// The core takes one and blocks on the next; the hand-over channel (10)
	// fills with the rest of the first batch and the start of the second:
	// once the second is answered, the loop holds most of it, not handed on.
	// Twelve held (ten of the first batch, two of the second handed on)
	// means the second answer was read: the loop is handing it on.
	held := func() int {
		h := st.(*stream).held
		h.mu.Lock()
		defer h.mu.Unlock()
		return len(h.msgs)
	}
	deadline := time.Now().Add(30 * time.Second)
	for held() < 12 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d held (%+v)", held(), r.srv.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if err := st.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := r.srv.InFlight("genesys"); n != 0 {
		t.Fatalf("%d messages still in flight after Close, want 0: every received message must be released (%+v)", n, r.srv.Stats())
	}
}

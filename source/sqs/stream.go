package sqs

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/analytics-bridge/analytics-bridge/bridge/retry"
	"github.com/analytics-bridge/analytics-bridge/source"
)

// stream is one epoch of the source. Run owns the receive loops, the
// visibility extender and the queue poller; the delete loops start with
// Run and end in Close, after the epoch's last commit.
type stream struct {
	src  *Source
	held *held

	refusals chan error // the first refusal of any loop
	status   chan bool  // receivers' latest connected state

	deleters sync.WaitGroup
	closing  chan struct{} // closed by Close: deleters drain and stop
	stop     context.CancelFunc
	started  bool
}

func newStream(s *Source) *stream {
	return &stream{src: s, held: newHeld(), refusals: make(chan error, 1), status: make(chan bool, 1), closing: make(chan struct{})}
}

// Position: the queue keeps the position. Since is where the dedup window
// begins on its own clock (when messages were read), so that the scan at
// the next start reaches every record whose key is still kept.
func (st *stream) Position(p source.Progress) source.Position {
	return source.Position{Since: st.Horizon(p), HighWater: p.HighWater}
}

// Horizon: a message read more than DEDUP_WINDOW ago is not expected back.
func (st *stream) Horizon(source.Progress) time.Time {
	return time.Now().Add(-st.src.window).UTC()
}

// message is one received message, held under id.
type message struct {
	id         uint64
	body       []byte
	messageID  string
	receivedAt time.Time
}

// Run receives until ctx ends or the queue refuses for good.
func (st *stream) Run(ctx context.Context, out source.Output) error {
	st.startDeleters()
	out.Connected(false)
	visibility, err := st.visibilityTimeout(ctx)
	if err != nil || ctx.Err() != nil {
		return err
	}
	if st.src.window <= visibility {
		return fmt.Errorf("%w: DEDUP_WINDOW %s must be longer than the queue's visibility timeout %s, or a message redelivered after it could be written twice", ErrRefused, st.src.window, visibility)
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	msgs := make(chan message, st.src.receivers*st.src.maxMessages)
	var loops sync.WaitGroup
	for i := range st.src.receivers {
		loops.Go(func() { st.receive(runCtx, msgs, visibility, st.src.seed+uint64(i)) })
	}
	loops.Go(func() { st.extend(runCtx, visibility) })
	loops.Go(func() { st.pollQueue(runCtx) })
	err = st.dispatch(runCtx, msgs, out)
	cancel()
	loops.Wait()
	return err
}

// dispatch hands each received message to the core, in the order the
// receivers delivered them; the one goroutine that calls out.
func (st *stream) dispatch(ctx context.Context, msgs <-chan message, out source.Output) error {
	p := parser{value: st.src.value, keyPath: st.src.keyPath}
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-st.refusals:
			return err
		case up := <-st.status:
			out.Connected(up)
		case m := <-msgs:
			if err := st.deliver(ctx, &p, m, out); err != nil {
				return nil // the epoch is over
			}
		}
	}
}

func (st *stream) deliver(ctx context.Context, p *parser, m message, out source.Output) error {
	got := p.parse(m.body, m.messageID)
	if got.reject != nil {
		raw := m.body
		if len(raw) > maxDeadLetterBytes {
			raw = raw[:maxDeadLetterBytes]
		}
		return out.DeadLetter(ctx, &source.DeadLetter{Raw: raw, Reason: got.reject.Error() + " (SQS message " + m.messageID + ")",
			KeyTime: m.receivedAt, Ack: st.held, AckID: m.id})
	}
	ev := &got.event
	ev.Arrived, ev.KeyTime = m.receivedAt, m.receivedAt
	ev.Ack, ev.AckID = st.held, m.id
	return out.Event(ctx, ev)
}

// refuse reports a refusal to Run (the first one wins).
func (st *stream) refuse(err error) {
	select {
	case st.refusals <- err:
	default:
	}
}

// setStatus reports the receivers' connected state (the latest wins).
func (st *stream) setStatus(up bool) {
	select {
	case <-st.status:
	default:
	}
	select {
	case st.status <- up:
	default:
	}
}

// visibilityTimeout reads the queue's visibility timeout, retrying until
// the queue answers or refuses.
func (st *stream) visibilityTimeout(ctx context.Context) (time.Duration, error) {
	bo := retry.NewBackoff(st.src.minBackoff, st.src.maxBackoff, st.src.seed)
	for {
		callCtx, cancel := context.WithTimeout(ctx, st.src.callTimeout)
		res, err := st.src.client.GetQueueAttributes(callCtx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(st.src.queueURL),
			AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameVisibilityTimeout}})
		cancel()
		if err == nil {
			secs, convErr := strconv.Atoi(res.Attributes[string(types.QueueAttributeNameVisibilityTimeout)])
			if convErr != nil {
				return 0, fmt.Errorf("reading the queue's VisibilityTimeout %q: %w", res.Attributes[string(types.QueueAttributeNameVisibilityTimeout)], convErr)
			}
			return time.Duration(secs) * time.Second, nil
		}
		if ctx.Err() != nil {
			return 0, nil
		}
		if r := classify(err, st.src.settings); r != nil {
			return 0, r
		}
		st.src.log.Warn().Err(err).Msg("reading the queue's attributes failed; retrying")
		if retry.Sleep(ctx, bo.Next()) != nil {
			return 0, nil
		}
	}
}

// startDeleters starts the delete loops once per epoch; they outlive Run
// (the epoch's last commit comes after it) and end in Close.
func (st *stream) startDeleters() {
	if st.started {
		return
	}
	st.started = true
	ctx, stop := context.WithCancel(context.Background())
	st.stop = stop
	for i := range st.src.receivers {
		st.deleters.Go(func() { st.deleteLoop(ctx, st.closing, st.src.seed+100+uint64(i)) })
	}
}

// Close deletes what the last commit made durable, then makes what was
// never committed visible again at once. A refusal seen by a delete loop
// after Run returned is returned here.
func (st *stream) Close(ctx context.Context) error {
	if !st.started {
		return nil
	}
	close(st.closing)
	done := make(chan struct{})
	go func() {
		defer close(done)
		st.deleters.Wait()
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("%d committed messages not deleted before SHUTDOWN_TIMEOUT (they come back and are dropped as duplicates): %w",
			st.held.pendingDeletes(), ctx.Err())
	}
	st.stop()
	<-done
	if releaseErr := st.releaseAll(ctx); releaseErr != nil {
		err = errors.Join(err, fmt.Errorf("making uncommitted messages visible again (they come back at their visibility timeout): %w", releaseErr))
	}
	select {
	case r := <-st.refusals:
		err = errors.Join(err, r)
	default:
	}
	return err
}

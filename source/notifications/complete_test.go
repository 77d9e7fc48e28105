package notifications_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/source/notifications"
)

// blocking is a recorder whose Event waits for release: a Handler under
// back-pressure.
type blocking struct {
	*recorder
	entered chan time.Time // the Received of each event entered
	release chan struct{}
}

func (b *blocking) Event(ctx context.Context, ev *notifications.Event) error {
	b.entered <- ev.Received
	select {
	case <-b.release:
	case <-ctx.Done():
	}
	return b.recorder.Event(ctx, ev)
}

// A frame read but not yet handed over holds CompleteUntil back to its
// receipt, even once a later frame has been read.
func TestCompleteUntilWaitsForFramesNotHandedOver(t *testing.T) {
	r := newRig(t, config{})
	topics := r.queueTopics()
	if err := r.client.Subscribe(topics, time.Time{}); err != nil {
		t.Fatal(err)
	}
	h := &blocking{recorder: r.rec, entered: make(chan time.Time, 4), release: make(chan struct{})}
	ctx, cancel := context.WithCancel(r.ctx)
	ended := make(chan error, 1)
	go func() { ended <- r.client.Run(ctx, h) }()
	t.Cleanup(func() {
		cancel()
		close(h.release)
		if err := <-ended; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	r.connected(len(topics))
	ch := r.channelOf()

	frame := func(n string) []byte {
		return []byte(`{"topicName":"` + topics[0] + `","version":"2","eventBody":{"id":"` + n + `"}}`)
	}
	if !r.kit.Relay.Inject(r.ctx, ch, frame("first")) {
		t.Fatal("no socket to inject into")
	}
	first := <-h.entered
	r.advance(10 * time.Second)
	before := r.client.Stats().Sockets.Frames
	if !r.kit.Relay.Inject(r.ctx, ch, frame("second")) {
		t.Fatal("no socket to inject into")
	}
	// The second frame is read (the socket's last frame moves past the
	// first) while the first is still in the Handler.
	r.waitStats("the second frame read", func(s notifications.Stats) bool { return s.Sockets.Frames > before })
	if got := r.client.CompleteUntil(); got.After(first) {
		t.Fatalf("CompleteUntil %v with the frame read at %v still in the Handler", got, first)
	}
	h.release <- struct{}{}
	second := <-h.entered
	if got := r.client.CompleteUntil(); got.After(second) || !got.After(first) {
		t.Fatalf("CompleteUntil %v with the first frame handed over and the second (read at %v) in the Handler", got, second)
	}
	h.release <- struct{}{}
	r.waitFor("CompleteUntil at the second frame", func() bool { return r.client.CompleteUntil().Equal(second) })
}

// A socket that drops holds CompleteUntil at its last frame while no new
// socket connects, however far the clock moves.
func TestCompleteUntilStopsAtADroppedSocket(t *testing.T) {
	r := newRig(t, config{})
	topics := r.queueTopics()
	if err := r.client.Subscribe(topics, time.Time{}); err != nil {
		t.Fatal(err)
	}
	r.run()
	r.connected(len(topics))
	ch := r.channelOf()
	r.advance(31 * time.Second) // a heartbeat: a frame to stop at
	r.waitStats("a heartbeat read", func(s notifications.Stats) bool { return s.Sockets.Beats >= 1 })
	last := r.client.CompleteUntil()

	r.kit.Relay.Refuse(http.StatusServiceUnavailable, 1000)
	r.kit.Relay.Drop(ch)
	r.waitFor("the client disconnected", func() bool { return !r.client.Status().Connected })
	for range 3 {
		r.advance(time.Minute)
		if got := r.client.CompleteUntil(); got.After(last) {
			t.Fatalf("CompleteUntil %v with the socket down since its last frame at %v (now %v)", got, last, r.kit.Clock.Now())
		}
	}
}

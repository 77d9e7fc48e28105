package socket_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
	"github.com/analytics-bridge/analytics-bridge/integration/genesystest"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/api"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/socket"
)

const testTimeout = 20 * time.Second

// rig is a channel of the stand-in subscribed to its queues'
// conversations, and a socket on it read by Run in the background.
type rig struct {
	t      *testing.T
	ctx    context.Context
	kit    *genesystest.Kit
	ch     api.Channel
	topics map[string]bool
	opts   socket.Options

	conn  *socket.Conn
	ended chan struct{} // closed when Run returned, with err
	err   error

	mu   sync.Mutex
	got  []socket.Message
	hold chan struct{} // while not nil, deliver blocks until it is closed
}

func newRig(t *testing.T) *rig {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	kit := genesystest.Start(t, genesys.Options{})
	c, err := api.New(api.Options{LoginURL: kit.Server.LoginURL(), APIURL: kit.Server.APIURL(),
		ClientID: genesys.DefaultClientID, ClientSecret: genesys.DefaultClientSecret, HTTPClient: kit.HTTPClient()})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := c.CreateChannel(ctx)
	if err != nil {
		t.Fatal(err)
	}
	topics := map[string]bool{}
	var list []string
	for _, q := range kit.Server.Queues() {
		topics[genesys.QueueConversationsTopic(q.ID)] = true
		list = append(list, genesys.QueueConversationsTopic(q.ID))
	}
	if _, err := c.SetSubscriptions(ctx, ch.ID, list); err != nil {
		t.Fatal(err)
	}
	return &rig{t: t, ctx: ctx, kit: kit, ch: ch, topics: topics,
		opts: socket.Options{HTTPClient: kit.HTTPClient(), Clock: kit.Clock}}
}

// start dials the channel and runs the socket until the test ends.
func (r *rig) start() {
	r.t.Helper()
	conn, err := socket.Dial(r.ctx, r.ch.ConnectURI, r.opts)
	if err != nil {
		r.t.Fatal(err)
	}
	r.conn, r.ended = conn, make(chan struct{})
	go func() {
		defer close(r.ended)
		r.err = conn.Run(context.Background(), r.deliver)
	}()
	r.t.Cleanup(func() {
		conn.Close()
		<-r.ended
	})
}

func (r *rig) deliver(ctx context.Context, m socket.Message) error {
	r.mu.Lock()
	r.got = append(r.got, m)
	hold := r.hold
	r.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	return nil
}

func (r *rig) received() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

// advance moves the shared clock and waits for the stand-in to act.
func (r *rig) advance(d time.Duration) { r.kit.Advance(r.ctx, r.t, d) }

// waitStats waits until the socket's counters satisfy cond.
func (r *rig) waitStats(what string, cond func(socket.Stats) bool) {
	r.t.Helper()
	genesystest.WaitFor(r.t, testTimeout, what, func() bool { return cond(r.conn.Stats()) })
}

func (r *rig) running() bool {
	select {
	case <-r.ended:
		return false
	default:
		return true
	}
}

// end waits for Run to return and gives its error.
func (r *rig) end() error {
	r.t.Helper()
	select {
	case <-r.ended:
		return r.err
	case <-time.After(testTimeout):
		r.t.Fatal("socket still running after the test timeout")
		return nil
	}
}

// The socket is dialled at connectUri without an Authorization header; a
// channel that is gone is refused with 401.
func TestDialCarriesNoAuthorization(t *testing.T) {
	r := newRig(t)
	r.start()
	hs := r.kit.Relay.Handshakes()
	if len(hs) != 1 {
		t.Fatalf("%d handshakes, want 1", len(hs))
	}
	if v := hs[0].Get("Authorization"); v != "" {
		t.Errorf("handshake carries Authorization %q, want none", v)
	}
	_, err := socket.Dial(r.ctx, r.kit.Server.StreamingURL()+"/channels/streaming-0-gone", r.opts)
	var refused *socket.RefusedError
	if !errors.As(err, &refused) || refused.Status != http.StatusUnauthorized {
		t.Errorf("dial to a gone channel: %v, want refused with 401", err)
	}
}

// A socket that keeps its heartbeats is never pinged; events are
// delivered with their bytes, heartbeats are not.
func TestHeartbeatsNeedNoPing(t *testing.T) {
	r := newRig(t)
	r.start()
	r.kit.Server.AddConversations(r.kit.Clock.Now(), 3, 20*time.Second)
	for i := 1; i <= 10; i++ {
		r.advance(30 * time.Second)
		r.waitStats("the heartbeat", func(s socket.Stats) bool { return s.Beats >= uint64(i) })
	}
	if s := r.conn.Stats(); s.Pings != 0 || s.Checks == 0 {
		t.Errorf("stats %+v, want no ping and some checks", s)
	}
	if !r.running() {
		t.Fatalf("socket ended: %v", r.end())
	}
	published := 0
	for _, p := range r.kit.Server.Published() {
		if r.topics[p.Topic] && len(p.Delivered) == 1 {
			published++
		}
	}
	genesystest.WaitFor(t, testTimeout, "every event", func() bool { return r.received() == published })
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.got {
		if m.Kind != socket.KindEvent || !r.topics[m.Topic] {
			t.Errorf("delivered %s %q, want only events of the queues' topics", m.Kind, m.Topic)
		}
	}
	if published == 0 {
		t.Error("no event published: the test proves nothing")
	}
}

// A socket that goes silent (the relay stops forwarding; the connection
// stays open) is pinged after QuietAfter, and declared silent PongTimeout
// later.
func TestSilentSocketIsDeclaredDead(t *testing.T) {
	r := newRig(t)
	r.opts.QuietAfter, r.opts.PongTimeout = 45*time.Second, 15*time.Second
	r.start()
	r.advance(30 * time.Second)
	r.waitStats("the first heartbeat", func(s socket.Stats) bool { return s.Beats == 1 })
	if r.kit.Relay.Freeze(r.ch.ID) != 1 {
		t.Fatal("no socket to freeze")
	}
	r.advance(30 * time.Second) // 60 s: a frame came in the first period
	r.waitStats("the first check", func(s socket.Stats) bool { return s.Checks == 1 })
	r.advance(45 * time.Second) // 105 s: nothing for a whole period
	r.waitStats("a ping", func(s socket.Stats) bool { return s.Pings == 1 })
	if !r.running() {
		t.Fatal("socket ended before its ping went unanswered")
	}
	r.advance(15 * time.Second)
	if err := r.end(); !errors.Is(err, socket.ErrSilent) {
		t.Errorf("Run ended with %v, want ErrSilent", err)
	}
}

// A consumer that holds the reader (back-pressure) is not a silent
// socket: no ping, no death, and the frames queued meanwhile follow.
func TestSlowConsumerIsNotSilent(t *testing.T) {
	r := newRig(t)
	r.start()
	hold := make(chan struct{})
	r.mu.Lock()
	r.hold = hold
	r.mu.Unlock()
	r.kit.Server.AddConversations(r.kit.Clock.Now(), 3, 0)
	r.advance(5 * time.Minute) // the calls' events and snapshots are due
	genesystest.WaitFor(t, testTimeout, "the first event", func() bool { return r.received() == 1 })
	// The jump may have had the watchdog ping before the events came; from
	// the first check after the reader is held on, none may follow.
	checks := r.conn.Stats().Checks
	r.advance(45 * time.Second)
	r.waitStats("a check while held", func(s socket.Stats) bool { return s.Checks > checks })
	pings, checks := r.conn.Stats().Pings, r.conn.Stats().Checks
	for i := 1; i <= 6; i++ {
		r.advance(45 * time.Second)
		r.waitStats("a check", func(s socket.Stats) bool { return s.Checks >= checks+uint64(i) })
	}
	if s := r.conn.Stats(); s.Pings != pings || !r.running() {
		t.Fatalf("stats %+v, running %v: want no ping while the consumer holds the reader", s, r.running())
	}
	r.mu.Lock()
	r.hold = nil
	r.mu.Unlock()
	close(hold)
	r.advance(30 * time.Second)
	genesystest.WaitFor(t, testTimeout, "the frames queued meanwhile", func() bool { return r.received() > 1 })
	if !r.running() {
		t.Fatalf("socket ended: %v", r.end())
	}
}

// A server close ends Run with the close's code.
func TestServerCloseEndsRun(t *testing.T) {
	r := newRig(t)
	r.start()
	if err := r.kit.Server.DropSocket(r.ch.ID, websocket.StatusGoingAway); err != nil {
		t.Fatal(err)
	}
	if err := r.end(); socket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Errorf("Run ended with %v, want the server's 1001", err)
	}
}

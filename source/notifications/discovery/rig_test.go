package discovery

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
	"github.com/analytics-bridge/analytics-bridge/integration/genesystest"
	"github.com/analytics-bridge/analytics-bridge/integration/syncbuf"
	"github.com/analytics-bridge/analytics-bridge/source/notifications"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/api"
)

// testTimeout bounds every wait; waits end as soon as their condition
// holds.
const testTimeout = 20 * time.Second

// call is one call to the recording Subscriber.
type call struct {
	unsubscribe bool
	topics      []string
	since       time.Time
}

// recorder is a Subscriber that records its calls and the wanted set.
type recorder struct {
	mu     sync.Mutex
	calls  []call
	wanted map[string]time.Time
}

func newRecorder() *recorder { return &recorder{wanted: map[string]time.Time{}} }

func (r *recorder) Subscribe(topics []string, since time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call{topics: slices.Clone(topics), since: since})
	for _, t := range topics {
		if _, ok := r.wanted[t]; !ok {
			r.wanted[t] = since
		}
	}
	return nil
}

func (r *recorder) Unsubscribe(topics []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call{unsubscribe: true, topics: slices.Clone(topics)})
	for _, t := range topics {
		delete(r.wanted, t)
	}
}

func (r *recorder) callList() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// wantedSet returns the wanted topics and their since.
func (r *recorder) wantedSet() map[string]time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]time.Time, len(r.wanted))
	for t, s := range r.wanted {
		out[t] = s
	}
	return out
}

// callsOf returns the calls that name topic.
func (r *recorder) callsOf(topic string) []call {
	var out []call
	for _, c := range r.callList() {
		if slices.Contains(c.topics, topic) {
			out = append(out, c)
		}
	}
	return out
}

// rig is a Discovery against the stand-in (through a proxy that can hide
// queues from the listing), on its manual clock, with a recording
// Subscriber.
type rig struct {
	t     *testing.T
	ctx   context.Context
	kit   *genesystest.Kit
	proxy *queueProxy
	rec   *recorder
	d     *Discovery
	logs  *syncbuf.Buffer

	amu      sync.Mutex
	attempts []api.Attempt

	ended chan struct{}
	err   error
}

type rigConfig struct {
	standin  genesys.Options
	opts     Options // API, Subscriber and Logger are the rig's
	clientID string  // default genesys.DefaultClientID
	hidden   []int   // indexes of stand-in queues hidden from the listing at first
}

func newRig(t *testing.T, cfg rigConfig) *rig {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*testTimeout)
	t.Cleanup(cancel)
	kit := genesystest.Start(t, cfg.standin)
	r := &rig{t: t, ctx: ctx, kit: kit, rec: newRecorder(), logs: &syncbuf.Buffer{}}
	r.proxy = newQueueProxy(t, kit.Server.APIURL())
	for _, i := range cfg.hidden {
		r.proxy.hide(kit.Server.Queues()[i].ID)
	}
	if cfg.clientID == "" {
		cfg.clientID = genesys.DefaultClientID
	}
	secret := genesys.DefaultClientSecret
	for _, c := range cfg.standin.Clients {
		if c.ID == cfg.clientID {
			secret = c.Secret
		}
	}
	a, err := api.New(api.Options{LoginURL: kit.Server.LoginURL(), APIURL: r.proxy.URL(),
		ClientID: cfg.clientID, ClientSecret: secret, HTTPClient: kit.HTTPClient(), Clock: kit.Clock,
		Observe: func(at api.Attempt) {
			r.amu.Lock()
			defer r.amu.Unlock()
			r.attempts = append(r.attempts, at)
		}})
	if err != nil {
		t.Fatal(err)
	}
	o := cfg.opts
	o.API, o.Subscriber, o.Logger = a, r.rec, zerolog.New(r.logs)
	d, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	r.d = d
	return r
}

// run starts Run(since) in the background; the test ends it and checks it
// returned nil.
func (r *rig) run(since time.Time) {
	r.t.Helper()
	ctx, cancel := context.WithCancel(r.ctx)
	r.ended = make(chan struct{})
	go func() {
		defer close(r.ended)
		r.err = r.d.Run(ctx, since)
	}()
	r.t.Cleanup(func() {
		cancel()
		<-r.ended
		if r.err != nil {
			r.t.Errorf("Run: %v", r.err)
		}
	})
}

// listingRequests counts the queue listing requests answered.
func (r *rig) listingRequests() int {
	r.amu.Lock()
	defer r.amu.Unlock()
	n := 0
	for _, a := range r.attempts {
		if a.Path == queuesPath && a.Status == http.StatusOK {
			n++
		}
	}
	return n
}

// advance moves the shared clock and waits for the stand-in to act on it.
func (r *rig) advance(d time.Duration) { r.kit.Advance(r.ctx, r.t, d) }

// advanceTo moves the clock to t.
func (r *rig) advanceTo(t time.Time) {
	r.t.Helper()
	if d := t.Sub(r.kit.Clock.Now()); d > 0 {
		r.advance(d)
	}
}

func (r *rig) waitFor(what string, cond func() bool) {
	r.t.Helper()
	genesystest.WaitFor(r.t, testTimeout, what, cond)
}

// snapshots returns the queue conversation snapshots the stand-in has
// published about conversation id, in order, as events read when
// published.
func (r *rig) snapshots(id string) []*notifications.Event {
	var out []*notifications.Event
	for _, p := range r.kit.Server.Published() {
		if p.Conversation != id {
			continue
		}
		if _, ok := queueOfSnapshotTopic(p.Topic); ok {
			out = append(out, &notifications.Event{Topic: p.Topic, Frame: p.Frame, EventBody: p.EventBody, Received: p.At})
		}
	}
	return out
}

// queueIDs are the stand-in's queue ids.
func (r *rig) queueIDs() []string {
	var out []string
	for _, q := range r.kit.Server.Queues() {
		out = append(out, q.ID)
	}
	return out
}

package backfill

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	iclock "github.com/analytics-bridge/analytics-bridge/integration/clock"
	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
	"github.com/analytics-bridge/analytics-bridge/integration/genesystest"
	"github.com/analytics-bridge/analytics-bridge/integration/syncbuf"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/api"
)

// testTimeout bounds every test against the stand-in; nothing sleeps, the
// manual clock is driven.
const testTimeout = 30 * time.Second

// rig is a Fetcher against the stand-in on its manual clock. The API
// client's clock is a watchedClock over it, so that a test sees every wait
// the client arms and moves the clock to it.
type rig struct {
	t       *testing.T
	ctx     context.Context
	kit     *genesystest.Kit
	clock   *watchedClock
	fetcher *Fetcher
	logs    *syncbuf.Buffer

	mu        sync.Mutex
	attempts  []api.Attempt
	answers   [][]byte          // bodies of the API's 2xx answers
	onAttempt func(api.Attempt) // set before the fetch starts
}

func newRig(t *testing.T, standin genesys.Options, o Options) *rig {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	kit := genesystest.Start(t, standin)
	r := &rig{t: t, ctx: ctx, kit: kit, clock: newWatchedClock(kit.Clock), logs: &syncbuf.Buffer{}}
	hc := kit.HTTPClient()
	hc.Transport = &recorder{next: hc.Transport, r: r}
	a, err := api.New(api.Options{LoginURL: kit.Server.LoginURL(), APIURL: kit.Server.APIURL(),
		ClientID: genesys.DefaultClientID, ClientSecret: genesys.DefaultClientSecret, HTTPClient: hc, Clock: r.clock,
		Observe: func(at api.Attempt) {
			r.mu.Lock()
			r.attempts = append(r.attempts, at)
			hook := r.onAttempt
			r.mu.Unlock()
			if hook != nil {
				hook(at)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	o.API, o.Logger = a, zerolog.New(r.logs)
	if r.fetcher, err = New(o); err != nil {
		t.Fatal(err)
	}
	return r
}

// recorder keeps the body of every 2xx answer from the API host.
type recorder struct {
	next http.RoundTripper
	r    *rig
}

func (rt *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := rt.next.RoundTrip(req)
	if err != nil || res.StatusCode/100 != 2 {
		return res, err
	}
	body, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if err != nil {
		return nil, err
	}
	rt.r.mu.Lock()
	rt.r.answers = append(rt.r.answers, body)
	rt.r.mu.Unlock()
	res.Body = io.NopCloser(bytes.NewReader(body))
	return res, nil
}

// attemptsTo are the attempts of method ("": any) on paths starting with
// prefix.
func (r *rig) attemptsTo(method, prefix string) []api.Attempt {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []api.Attempt
	for _, a := range r.attempts {
		if (method == "" || a.Method == method) && strings.HasPrefix(a.Path, prefix) {
			out = append(out, a)
		}
	}
	return out
}

// served reports whether raw is, byte for byte, part of an answer the API
// gave.
func (r *rig) served(raw []byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.ContainsFunc(r.answers, func(a []byte) bool { return bytes.Contains(a, raw) })
}

// run calls fetch on its own goroutine and drives the clock to every wait
// the API client arms until fetch returns.
func (r *rig) run(fetch func(ctx context.Context) ([]Conversation, error)) ([]Conversation, error) {
	r.t.Helper()
	var (
		got  []Conversation
		err  error
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		got, err = fetch(r.ctx)
	}()
	r.drive(done)
	return got, err
}

// drive moves the clock to the earliest wait armed and not yet over, each
// time one is, until done is closed.
func (r *rig) drive(done <-chan struct{}) {
	r.t.Helper()
	for {
		if due, ok := r.clock.earliest(); ok {
			r.kit.Advance(r.ctx, r.t, due.Sub(r.clock.Now()))
			continue
		}
		select {
		case <-done:
			return
		case <-r.clock.armed:
		case <-r.ctx.Done():
			r.t.Fatal("timed out driving the clock")
		}
	}
}

// active is Fetcher.Active with the clock driven.
func (r *rig) active(from, to time.Time) ([]Conversation, error) {
	r.t.Helper()
	return r.run(func(ctx context.Context) ([]Conversation, error) { return r.fetcher.Active(ctx, from, to) })
}

// watchedClock is the stand-in's manual clock, knowing which waits are
// armed: those not stopped whose time has not come.
type watchedClock struct {
	*iclock.Manual
	armed chan struct{} // capacity 1: a wait was armed

	mu    sync.Mutex
	waits map[int]time.Time
	next  int
}

func newWatchedClock(m *iclock.Manual) *watchedClock {
	return &watchedClock{Manual: m, armed: make(chan struct{}, 1), waits: map[int]time.Time{}}
}

func (c *watchedClock) Until(t time.Time) (<-chan struct{}, func()) {
	ch, stop := c.Manual.Until(t)
	c.mu.Lock()
	id := c.next
	c.next++
	c.waits[id] = t
	c.mu.Unlock()
	select {
	case c.armed <- struct{}{}:
	default:
	}
	return ch, func() {
		stop()
		c.mu.Lock()
		delete(c.waits, id)
		c.mu.Unlock()
	}
}

// earliest is the time of the earliest wait still to come.
func (c *watchedClock) earliest() (time.Time, bool) {
	now := c.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	var first time.Time
	for _, t := range c.waits {
		if t.After(now) && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	return first, !first.IsZero()
}

// expected are the ids of convs (in queues, nil: all) active in [from,
// to) by the ledger, sorted.
func expected(convs []genesys.Conversation, queues []string, from, to time.Time) []string {
	var out []string
	for _, c := range convs {
		if (queues == nil || slices.Contains(queues, c.QueueID)) && c.Start.Before(to) && !c.End.Before(from) {
			out = append(out, c.ID)
		}
	}
	slices.Sort(out)
	return out
}

// ids are the conversations' ids, sorted; a repeated one fails t.
func ids(t *testing.T, convs []Conversation) []string {
	t.Helper()
	var out []string
	seen := map[string]bool{}
	for _, c := range convs {
		if seen[c.ID] {
			t.Errorf("conversation %s returned twice", c.ID)
		}
		seen[c.ID] = true
		out = append(out, c.ID)
	}
	slices.Sort(out)
	return out
}

// sameIDs fails t unless got holds exactly want.
func sameIDs(t *testing.T, got []Conversation, want []string) {
	t.Helper()
	if g := ids(t, got); !slices.Equal(g, want) {
		t.Errorf("got %d conversations, want %d\n got  %v\n want %v", len(g), len(want), g, want)
	}
	if len(want) == 0 {
		t.Fatal("no conversation expected: the scenario exercises nothing")
	}
}

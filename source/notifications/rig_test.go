package notifications_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
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

// rig is a notifications Client against the stand-in, sharing its manual
// clock, reading the streaming host through the kit's relay, with a
// recorder for a Handler.
type rig struct {
	t      *testing.T
	ctx    context.Context
	kit    *genesystest.Kit
	client *notifications.Client
	rec    *recorder
	logs   *syncbuf.Buffer

	amu      sync.Mutex
	attempts []api.Attempt
	stalled  func() // set by stallNextChannel

	ended chan struct{}
	err   error
}

// config is what a test changes of the defaults.
type config struct {
	standin      genesys.Options
	opts         notifications.Options // API and Logger are the rig's
	clientID     string                // default genesys.DefaultClientID
	clientSecret string
}

func newRig(t *testing.T, cfg config) *rig {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*testTimeout)
	t.Cleanup(cancel)
	kit := genesystest.Start(t, cfg.standin)
	r := &rig{t: t, ctx: ctx, kit: kit, rec: &recorder{}, logs: &syncbuf.Buffer{}}
	if cfg.clientID == "" {
		cfg.clientID, cfg.clientSecret = genesys.DefaultClientID, genesys.DefaultClientSecret
	}
	a, err := api.New(api.Options{LoginURL: kit.Server.LoginURL(), APIURL: kit.Server.APIURL(),
		ClientID: cfg.clientID, ClientSecret: cfg.clientSecret, HTTPClient: kit.HTTPClient(), Clock: kit.Clock,
		Observe: func(at api.Attempt) {
			r.amu.Lock()
			defer r.amu.Unlock()
			r.attempts = append(r.attempts, at)
		}})
	if err != nil {
		t.Fatal(err)
	}
	o := cfg.opts
	o.API, o.Logger = a, zerolog.New(r.logs)
	if o.SubscribeEvery == 0 {
		o.SubscribeEvery = -1 // the manual clock stands still: pacing is tested on its own
	}
	c, err := notifications.New(o)
	if err != nil {
		t.Fatal(err)
	}
	r.client = c
	return r
}

// run starts Run in the background until the test ends.
func (r *rig) run() {
	r.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r.ended = make(chan struct{})
	go func() {
		defer close(r.ended)
		r.err = r.client.Run(ctx, r.rec)
	}()
	r.t.Cleanup(func() {
		cancel()
		<-r.ended
		if r.err != nil {
			r.t.Errorf("Run: %v", r.err)
		}
	})
}

// queueTopics are the topics of the stand-in's queues' conversations.
func (r *rig) queueTopics() []string {
	var out []string
	for _, q := range r.kit.Server.Queues() {
		out = append(out, genesys.QueueConversationsTopic(q.ID))
	}
	return out
}

func (r *rig) attemptList() []api.Attempt {
	r.amu.Lock()
	defer r.amu.Unlock()
	return slices.Clone(r.attempts)
}

// advance moves the shared clock and waits for the stand-in to act on it.
func (r *rig) advance(d time.Duration) { r.kit.Advance(r.ctx, r.t, d) }

// waitFor waits until cond holds.
func (r *rig) waitFor(what string, cond func() bool) {
	r.t.Helper()
	genesystest.WaitFor(r.t, testTimeout, what, cond)
}

// waitStats waits until the client's counters satisfy cond.
func (r *rig) waitStats(what string, cond func(notifications.Stats) bool) {
	r.t.Helper()
	r.waitFor(what, func() bool { return cond(r.client.Stats()) })
}

// connected waits until every channel with topics has a socket and n
// topics are subscribed.
func (r *rig) connected(n int) {
	r.t.Helper()
	r.waitFor("the client connected", func() bool {
		st := r.client.Status()
		return st.Connected && st.Budget.Subscribed == n
	})
}

// caughtUp waits until the client has passed on every notification the
// stand-in queued for a socket of channel ch: after it, what the next
// clock move loses is judged against everything read.
func (r *rig) caughtUp(ch string) { r.caughtUpFrom(time.Time{}, ch) }

// caughtUpFrom is caughtUp for the notifications due from `from` on (what
// a socket given up on swallowed before is not waited for).
func (r *rig) caughtUpFrom(from time.Time, channels ...string) {
	r.t.Helper()
	r.waitFor("the client to catch up", func() bool {
		got := r.rec.pairs()
		for _, p := range r.kit.Server.Published() {
			if p.At.Before(from) {
				continue
			}
			for _, id := range p.Delivered {
				if slices.Contains(channels, id) && !got[p.Topic+"\x00"+string(p.EventBody)] {
					return false
				}
			}
		}
		return true
	})
}

// channels lists the client's live channels on the stand-in, with their
// subscribed topics.
func (r *rig) channels() map[string][]string {
	r.t.Helper()
	tok := r.kit.Server.IssueToken(genesys.DefaultClientID)
	get := func(path string, v any) {
		req, _ := http.NewRequestWithContext(r.ctx, http.MethodGet, r.kit.Server.APIURL()+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			r.t.Fatal(err)
		}
		defer res.Body.Close()
		if err := json.NewDecoder(res.Body).Decode(v); err != nil {
			r.t.Fatal(err)
		}
	}
	var list struct{ Entities []struct{ ID string } }
	get("/api/v2/notifications/channels?includechannels=oauthclient", &list)
	out := map[string][]string{}
	for _, e := range list.Entities {
		var subs struct{ Entities []struct{ ID string } }
		get("/api/v2/notifications/channels/"+e.ID+"/subscriptions", &subs)
		out[e.ID] = []string{}
		for _, s := range subs.Entities {
			out[e.ID] = append(out[e.ID], s.ID)
		}
		slices.Sort(out[e.ID])
	}
	return out
}

// channelOf is the id of the one live channel.
func (r *rig) channelOf() string {
	r.t.Helper()
	chs := r.channels()
	if len(chs) != 1 {
		r.t.Fatalf("%d live channels, want 1", len(chs))
	}
	for id := range chs {
		return id
	}
	return ""
}

// logCount counts the log lines containing every one of subs.
func (r *rig) logCount(subs ...string) int {
	n := 0
	for _, line := range strings.Split(r.logs.String(), "\n") {
		all := line != ""
		for _, s := range subs {
			all = all && strings.Contains(line, s)
		}
		if all {
			n++
		}
	}
	return n
}

// recorder is the Handler: it keeps everything it is given.
type recorder struct {
	mu       sync.Mutex
	events   []notifications.Event
	eventSeq []int // each event's place among events and gaps
	gaps     []notifications.Gap
	gapSeq   []int
	bad      []notifications.Malformed
	statuses []notifications.Status
}

func (h *recorder) Event(_ context.Context, ev *notifications.Event) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, *ev)
	h.eventSeq = append(h.eventSeq, len(h.events)+len(h.gaps))
	return nil
}

func (h *recorder) Gap(_ context.Context, g notifications.Gap) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.gaps = append(h.gaps, g)
	h.gapSeq = append(h.gapSeq, len(h.events)+len(h.gaps))
	return nil
}

func (h *recorder) Malformed(_ context.Context, m notifications.Malformed) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.bad = append(h.bad, m)
	return nil
}

func (h *recorder) Status(s notifications.Status) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.statuses = append(h.statuses, s)
}

func (h *recorder) pairs() map[string]bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]bool{}
	for _, e := range h.events {
		out[e.Topic+"\x00"+string(e.EventBody)] = true
	}
	return out
}

func (h *recorder) eventList() []notifications.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.events)
}

func (h *recorder) gapList() []notifications.Gap {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.gaps)
}

// earlyEvents lists the events handed over before a gap they come after:
// of a topic of the gap, read from the moment it ended (To less its
// millisecond) on.
func (h *recorder) earlyEvents() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for gi, g := range h.gaps {
		for ei, ev := range h.events {
			if h.eventSeq[ei] < h.gapSeq[gi] && slices.Contains(g.Topics, ev.Topic) && !ev.Received.Before(g.To.Add(-time.Millisecond)) {
				out = append(out, ev.Topic+" read at "+ev.Received.Format(time.RFC3339Nano)+" before the gap ending "+g.To.Format(time.RFC3339Nano))
			}
		}
	}
	return out
}

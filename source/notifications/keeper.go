package notifications

import (
	"context"
	"errors"
	"maps"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/analytics-bridge/analytics-bridge/bridge/retry"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/api"
)

// keeper keeps one slot's channel: the channel, its subscriptions, its
// socket (two during a handover), and the gaps of its topics. One
// goroutine runs it (run); its sockets' readers are its own goroutines,
// which talk to it through ctrl and hand events straight to Run's inbox.
//
// Everything below the mailbox is touched by the keeper's goroutine only.
type keeper struct {
	c     *Client
	slot  int
	inbox chan<- item
	log   zerolog.Logger

	mu      sync.Mutex // guards next and hasNext: the conductor's mailbox
	next    map[string]time.Time
	hasNext bool
	changed chan struct{} // capacity 1

	ctx        context.Context // run's
	want       map[string]time.Time
	ch         *api.Channel
	aliveAt    time.Time // when ch was last known to live (created, answered, connected)
	checkCh    bool      // HEAD ch before the next dial: its socket dropped
	subscribed map[string]bool
	renewAt    time.Time
	renewDue   bool
	putAt      time.Time // the last subscription PUT
	putDue     time.Time // a paced change of topics is due then; zero: none
	cur        *sock
	draining   map[*sock]time.Time // old sockets of a handover -> when the client closes them
	handover   *handover
	open       map[string]gapStart // topic -> the start of its open gap
	ctrl       chan ctrlMsg
	stopping   chan struct{} // closed when the keeper stops: readers stop sending
	socks      sync.WaitGroup
	bo         *retry.Backoff
	reported   slotState
	view       viewSlot // for Client.CompleteUntil
}

// handover is a socket_closing being acted on.
type handover struct {
	from      *sock
	announced time.Time
}

func newKeeper(c *Client, slot int, inbox chan<- item) *keeper {
	return &keeper{c: c, slot: slot, inbox: inbox, log: c.log.With().Int("slot", slot).Logger(),
		changed: make(chan struct{}, 1), want: map[string]time.Time{}, subscribed: map[string]bool{},
		draining: map[*sock]time.Time{}, open: map[string]gapStart{}, ctrl: make(chan ctrlMsg, 16),
		stopping: make(chan struct{}), bo: retry.NewBackoff(c.opts.MinBackoff, c.opts.MaxBackoff, rand.Uint64())}
}

// set gives the keeper its topics (topic -> since); the latest wins.
func (k *keeper) set(topics map[string]time.Time) {
	k.mu.Lock()
	k.next, k.hasNext = topics, true
	k.mu.Unlock()
	select {
	case k.changed <- struct{}{}:
	default:
	}
}

// reasonLate is the gap of topics subscribed later than wanted.
const reasonLate = "subscribed later than wanted"

// errAgain: the channel was replaced; bring the new one up at once.
var errAgain = errors.New("channel replaced")

// run keeps the slot until ctx ends (nil) or a failure retrying cannot
// help (returned).
func (k *keeper) run(ctx context.Context) error {
	k.ctx = ctx
	defer k.shutdown()
	var retryAt time.Time
	for {
		k.takeTopics()
		if retryAt.IsZero() || !k.c.clock.Now().Before(retryAt) {
			retryAt = time.Time{}
			err := k.converge(ctx)
			switch {
			case ctx.Err() != nil:
				return nil
			case err == nil:
				k.bo.Reset()
			case permanent(err):
				return err
			default:
				d := k.bo.Next()
				retryAt = k.c.clock.Now().Add(d)
				k.log.Warn().Err(err).Dur("retry_in", d).Msg("channel not up; retrying")
			}
		}
		k.report()
		if k.wait(ctx, k.deadline(retryAt)) != nil {
			return nil
		}
	}
}

// converge takes the steps the slot needs, replacing its channel up to
// three times in a row.
func (k *keeper) converge(ctx context.Context) error {
	for range 3 {
		if err := k.step(ctx); !errors.Is(err, errAgain) {
			return err
		}
	}
	return errors.New("the channel was replaced three times in a row")
}

// permanent reports whether retrying cannot help: refused credentials, or
// a request the platform calls malformed or forbidden (more topics than it
// allows on a channel, a channel the client may not create).
func permanent(err error) bool {
	s := api.StatusOf(err)
	return errors.Is(err, api.ErrCredentials) || s == http.StatusBadRequest || s == http.StatusForbidden
}

// deadline is when the keeper must act next without being told: a retry,
// a renewal, the end of an old socket's drain; zero for none.
func (k *keeper) deadline(retryAt time.Time) time.Time {
	d := retryAt
	earlier := func(t time.Time) {
		if !t.IsZero() && (d.IsZero() || t.Before(d)) {
			d = t
		}
	}
	if k.ch != nil && len(k.subscribed) > 0 {
		earlier(k.renewAt)
	}
	earlier(k.putDue)
	for _, t := range k.draining {
		earlier(t)
	}
	return d
}

// wait blocks until something needs the keeper: new topics, a socket's
// message, the deadline, or ctx's end (then its error).
func (k *keeper) wait(ctx context.Context, deadline time.Time) error {
	var due <-chan struct{}
	if !deadline.IsZero() {
		var stop func()
		due, stop = k.c.clock.Until(deadline)
		defer stop()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-k.changed:
	case m := <-k.ctrl:
		k.control(m)
		k.report()
	case <-due:
	}
	return nil
}

// takeTopics applies the conductor's latest topics. A topic wanted from a
// since opens its gap there; it closes when the topic is read.
func (k *keeper) takeTopics() {
	k.mu.Lock()
	next, ok := k.next, k.hasNext
	k.next, k.hasNext = nil, false
	k.mu.Unlock()
	if !ok {
		return
	}
	for t := range k.want {
		if _, still := next[t]; !still {
			delete(k.want, t)
			delete(k.open, t)
		}
	}
	var reading []string
	for t, since := range next {
		if _, had := k.want[t]; had {
			continue
		}
		k.want[t] = since
		if !since.IsZero() {
			k.openGap(t, since, reasonLate)
			if k.subscribed[t] && k.cur != nil {
				reading = append(reading, t) // wanted again before its PUT: read all along, but since when is not known
			}
		}
	}
	_ = k.closeGaps(reading, k.c.clock.Now()) // an error: the keeper is stopping
}

// report tells Run the slot's state when it changed.
func (k *keeper) report() {
	k.publishView()
	st := slotState{topics: len(k.want), subscribed: len(k.subscribed), connected: k.cur != nil}
	if k.ch != nil {
		st.channel = k.ch.ID
	}
	if st == k.reported {
		return
	}
	if k.send(item{slot: k.slot, state: &st}) == nil {
		k.reported = st
	}
}

// send hands it to Run, unless the keeper is stopping.
func (k *keeper) send(it item) error {
	select {
	case k.inbox <- it:
		return nil
	case <-k.ctx.Done():
		return context.Cause(k.ctx)
	case <-k.stopping:
		return errStopping
	}
}

var errStopping = errors.New("keeper stopping")

// shutdown closes the sockets and waits for their readers.
func (k *keeper) shutdown() {
	close(k.stopping)
	if k.cur != nil {
		k.cur.conn.Close()
	}
	for s := range k.draining {
		s.conn.Close()
	}
	k.socks.Wait()
}

// idle drops the channel of a slot left without topics: its sockets are
// closed and it is left to expire.
func (k *keeper) idle() {
	if k.ch == nil {
		return
	}
	k.log.Info().Str("channel", k.ch.ID).Msg("no topics left on the channel: closing it")
	k.closeSockets()
	k.ch, k.subscribed, k.open = nil, map[string]bool{}, map[string]gapStart{}
}

// closeSockets closes every socket of the channel; their readers' last
// messages are then ignored.
func (k *keeper) closeSockets() {
	if k.cur != nil {
		k.cur.conn.Close()
		k.cur = nil
	}
	for s := range k.draining {
		s.conn.Close()
	}
	k.draining, k.handover = map[*sock]time.Time{}, nil
}

func sameSet(a map[string]bool, b map[string]time.Time) bool {
	if len(a) != len(b) {
		return false
	}
	for t := range b {
		if !a[t] {
			return false
		}
	}
	return true
}

func setOf(m map[string]time.Time) map[string]bool {
	out := make(map[string]bool, len(m))
	for t := range maps.Keys(m) {
		out[t] = true
	}
	return out
}

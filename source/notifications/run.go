package notifications

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/analytics-bridge/analytics-bridge/source/notifications/api"
)

// item is one thing for Run's goroutine: what a keeper or a socket reader
// has to tell the handler or the plan.
type item struct {
	slot     int
	sock     *sock // the socket an event or malformed frame was read on
	ev       *Event
	gap      *Gap
	mal      *Malformed
	state    *slotState
	rejected []api.Rejection
	fatal    error
}

// slotState is what a keeper reports of its channel.
type slotState struct {
	channel    string
	topics     int // wanted on this slot
	subscribed int
	connected  bool
}

// run is the state of one Run: the plan (which topic is on which slot) and
// the keepers of the slots. Only Run's goroutine touches it.
type run struct {
	c       *Client
	h       Handler
	ctx     context.Context // the keepers'
	inbox   chan item
	wg      sync.WaitGroup // the keepers
	keepers []*keeper      // by slot
	slots   []map[string]time.Time
	assign  map[string]int // topic -> slot
	states  []slotState
	refused map[string]bool // topics rejected since Run started
	budget  Budget
}

// Run keeps the wanted topics subscribed and hands everything read to h,
// until ctx ends (it returns nil) or something retrying cannot help
// happens (refused credentials, a request the platform calls malformed,
// h's error): it returns that. Every goroutine it starts has ended when it
// returns; its sockets are closed and its channels left to expire. Run may
// be called once.
func (c *Client) Run(ctx context.Context, h Handler) error {
	if !c.started.CompareAndSwap(false, true) {
		return errors.New("notifications: Run may be called once")
	}
	kctx, cancel := context.WithCancel(ctx)
	r := &run{c: c, h: h, ctx: kctx, inbox: make(chan item, c.opts.Inbox), assign: map[string]int{}, refused: map[string]bool{}}
	defer func() {
		cancel()
		r.wg.Wait()
	}()
	r.budget = Budget{MaxChannels: c.opts.MaxChannels, TopicsPerChannel: c.opts.TopicsPerChannel}
	r.plan()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-c.poke:
			r.plan()
		case it := <-r.inbox:
			if err := r.handle(ctx, it); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
	}
}

// handle passes one item on.
func (r *run) handle(ctx context.Context, it item) error {
	switch {
	case it.ev != nil:
		defer r.c.unhandled.done(it.sock)
		return r.h.Event(ctx, it.ev)
	case it.gap != nil:
		r.c.stats.gaps.Add(1)
		return r.h.Gap(ctx, *it.gap)
	case it.mal != nil:
		defer r.c.unhandled.done(it.sock)
		return r.h.Malformed(ctx, *it.mal)
	case it.state != nil:
		r.states[it.slot] = *it.state
		r.publish()
	case it.rejected != nil:
		r.reject(it.rejected)
	case it.fatal != nil:
		return it.fatal
	}
	return nil
}

// reject drops topics the platform refused from the wanted set, logging
// each once with the permissions it lacks.
func (r *run) reject(rs []api.Rejection) {
	r.c.mu.Lock()
	for _, rej := range rs {
		delete(r.c.wanted, rej.Topic)
	}
	r.c.mu.Unlock()
	for _, rej := range rs {
		if r.refused[rej.Topic] {
			continue
		}
		r.refused[rej.Topic] = true
		ev := r.c.log.Warn().Str("topic", rej.Topic).Str("reason", rej.Reason)
		if len(rej.MissingPermissions) > 0 {
			ev = ev.Strs("missing_permissions", rej.MissingPermissions)
			ev.Msgf("topic rejected: the OAuth client lacks %s; dropped from the wanted topics", strings.Join(rej.MissingPermissions, ", "))
		} else {
			ev.Msg("topic rejected by the platform; dropped from the wanted topics")
		}
	}
	r.budget.Rejected = len(r.refused)
	r.plan()
}

// plan assigns the wanted topics to slots: a topic stays on its slot
// until it is no longer wanted; a new one goes to the first slot with
// room, up to MaxChannels slots; what does not fit waits, unplaced.
// Every slot whose topics changed is told.
func (r *run) plan() {
	r.c.mu.Lock()
	wanted := make(map[string]time.Time, len(r.c.wanted))
	for t, since := range r.c.wanted {
		wanted[t] = since
	}
	r.c.mu.Unlock()
	dirty := map[int]bool{}
	for t, s := range r.assign {
		if _, ok := wanted[t]; !ok {
			delete(r.assign, t)
			delete(r.slots[s], t)
			dirty[s] = true
		}
	}
	var fresh []string
	for t := range wanted {
		if _, ok := r.assign[t]; !ok {
			fresh = append(fresh, t)
		}
	}
	slices.Sort(fresh)
	unplaced := 0
	for _, t := range fresh {
		s := r.room()
		if s < 0 {
			unplaced++
			continue
		}
		r.assign[t] = s
		r.slots[s][t] = wanted[t]
		dirty[s] = true
	}
	for s := range dirty {
		topics := make(map[string]time.Time, len(r.slots[s]))
		for t, since := range r.slots[s] {
			topics[t] = since
		}
		r.keeperOf(s).set(topics)
	}
	if unplaced > 0 && r.budget.Unplaced != unplaced {
		r.c.log.Warn().Int("unplaced", unplaced).Int("capacity", r.budget.Capacity()).
			Msg("more topics wanted than the channels can hold: the rest wait for room")
	}
	r.budget.Wanted, r.budget.Placed, r.budget.Unplaced = len(wanted), len(r.assign), unplaced
	r.publish()
}

// room is the first slot with room for a topic, opening one if the limit
// allows; -1 when all are full.
func (r *run) room() int {
	for s, topics := range r.slots {
		if len(topics) < r.c.opts.TopicsPerChannel {
			return s
		}
	}
	if len(r.slots) < r.c.opts.MaxChannels {
		r.slots = append(r.slots, map[string]time.Time{})
		r.states = append(r.states, slotState{})
		return len(r.slots) - 1
	}
	return -1
}

// keeperOf returns slot s's keeper, starting it if needed.
func (r *run) keeperOf(s int) *keeper {
	for len(r.keepers) <= s {
		k := newKeeper(r.c, len(r.keepers), r.inbox)
		r.keepers = append(r.keepers, k)
		r.c.views.add(k)
		r.wg.Go(func() {
			if err := k.run(r.ctx); err != nil {
				select {
				case r.inbox <- item{slot: k.slot, fatal: err}:
				case <-r.ctx.Done():
				}
			}
		})
	}
	return r.keepers[s]
}

// publish recomputes the status and tells the handler when it changed.
func (r *run) publish() {
	b := r.budget
	b.Channels, b.Connected, b.Subscribed = 0, 0, 0
	for s, st := range r.states {
		if len(r.slots[s]) == 0 {
			continue
		}
		b.Channels++
		b.Subscribed += st.subscribed
		if st.connected {
			b.Connected++
		}
	}
	st := Status{Connected: b.Channels > 0 && b.Connected == b.Channels, Budget: b}
	r.c.mu.Lock()
	changed := st != r.c.status
	r.c.status = st
	r.c.mu.Unlock()
	if changed {
		r.h.Status(st)
	}
}

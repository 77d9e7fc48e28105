package notifications

import (
	"sync"
	"sync/atomic"
	"time"
)

// CompleteUntil is the time before which the client has missed nothing
// unreported: every event of a subscribed topic that reached a socket
// before it has been handed to the Handler (its Event call returned), or
// lies in a Gap already reported or still open (reported once its topics
// are read again). A source checkpoints it, so that a restart back-fills
// from there: what was read but not yet handed over when the process died
// is after it.
//
// It is the earliest of: now; each slot's current socket's last frame (a
// frame proves the socket delivered everything sent before it, and
// heartbeats keep it within about 30 s of now); the start of each slot's
// open gaps; the receipt of every frame read but not yet handed over.
// Topics wanted with a since but not yet taken up by a slot do not hold it
// back: a caller that needs them covered records that itself.
func (c *Client) CompleteUntil() time.Time {
	t := c.clock.Now()
	earlier := func(u time.Time) {
		if !u.IsZero() && u.Before(t) {
			t = u
		}
	}
	c.views.mu.Lock()
	keepers := c.views.keepers
	c.views.mu.Unlock()
	for _, k := range keepers {
		v := k.view.Load()
		if v == nil {
			continue
		}
		earlier(v.floor)
		if v.cur != nil {
			earlier(v.cur.conn.LastReceived())
		}
	}
	earlier(c.unhandled.oldest())
	return t
}

// views is the client's registry of keepers, for CompleteUntil.
type views struct {
	mu      sync.Mutex
	keepers []*keeper
}

func (v *views) add(k *keeper) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.keepers = append(v.keepers, k)
}

// keeperView is what a keeper publishes of itself for CompleteUntil.
type keeperView struct {
	cur   *sock     // the current socket; nil: none
	floor time.Time // the earliest start of its open gaps; zero: none
}

// publishView publishes the keeper's socket and the floor of its open
// gaps, recomputed. Called by the keeper's goroutine.
func (k *keeper) publishView() {
	var floor time.Time
	for _, g := range k.open {
		if floor.IsZero() || g.from.Before(floor) {
			floor = g.from
		}
	}
	k.view.Store(&keeperView{cur: k.cur, floor: floor})
}

// lowerFloor publishes a gap opened at from without walking every open gap.
func (k *keeper) lowerFloor(from time.Time) {
	v := k.view.Load()
	nv := keeperView{cur: k.cur, floor: from}
	if v != nil && !v.floor.IsZero() && v.floor.Before(from) {
		nv.floor = v.floor
	}
	k.view.Store(&nv)
}

// unhandled tracks the frames read but not yet handed over: per socket, in
// the order read (one reader per socket, and Run hands one socket's items
// over in that order).
type unhandled struct {
	mu      sync.Mutex
	pending map[*sock][]int64 // receipt times (UnixNano), oldest first
}

// add records a frame read on s at t, before it is sent to Run.
func (u *unhandled) add(s *sock, t time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.pending == nil {
		u.pending = map[*sock][]int64{}
	}
	u.pending[s] = append(u.pending[s], t.UnixNano())
}

// done records that s's oldest pending frame was handed over (or will
// never be: Run is ending).
func (u *unhandled) done(s *sock) { u.drop(s, true) }

// undo forgets s's newest pending frame, which could not be sent.
func (u *unhandled) undo(s *sock) { u.drop(s, false) }

// drop removes s's oldest or newest pending frame.
func (u *unhandled) drop(s *sock, oldest bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	q := u.pending[s]
	switch {
	case len(q) <= 1:
		delete(u.pending, s)
	case oldest:
		u.pending[s] = q[1:]
	default:
		u.pending[s] = q[:len(q)-1]
	}
}

// oldest is the receipt of the oldest frame not yet handed over; zero for
// none.
func (u *unhandled) oldest() time.Time {
	u.mu.Lock()
	defer u.mu.Unlock()
	var min int64
	for _, q := range u.pending {
		if min == 0 || q[0] < min {
			min = q[0]
		}
	}
	if min == 0 {
		return time.Time{}
	}
	return time.Unix(0, min)
}

// viewSlot is the keeper's published view (a field of keeper).
type viewSlot = atomic.Pointer[keeperView]

package discovery

import (
	"time"

	"github.com/analytics-bridge/analytics-bridge/source/notifications"
)

// Sighting is what a queue conversation snapshot showed.
type Sighting struct {
	ConversationID string
	// Start is the conversation's start as its first snapshot shows it
	// (the earliest startTime or connectedTime of its participants and
	// their communications; the snapshot's receipt when none has one): the
	// since its detail topics are subscribed from. Later snapshots do not
	// move it (the client keeps a topic's first since).
	Start time.Time
	// New: the first time this conversation is seen.
	New bool
	// Followed: its detail topics are subscribed. False when MaxFollowed
	// were followed already at its first sighting, when DetailTypes is
	// empty, and for a conversation already dropped.
	Followed bool
	// Ended: the snapshot shows the conversation over (package doc: every
	// participant ended, after-call work done where required).
	Ended bool
}

// conversation is what is kept of a conversation seen in a snapshot.
type conversation struct {
	start    time.Time
	followed bool
	lastSeen time.Time // the last snapshot or detail event read
	endedAt  time.Time // when a snapshot showing it over was read; zero: not over
}

// due is when the conversation is dropped: Linger after its end was seen,
// else StaleAfter after it was last seen.
func (c *conversation) due(o *Options) time.Time {
	if !c.endedAt.IsZero() {
		return c.endedAt.Add(o.Linger)
	}
	return c.lastSeen.Add(o.StaleAfter)
}

// Seen reads one event (call it for every event read, from one
// goroutine). For a queue conversation snapshot it returns a Sighting,
// and subscribes the detail topics of a new conversation from its Start;
// for a followed conversation's detail event it notes that the
// conversation lives. A snapshot whose body cannot be read is ignored and
// counted (Stats.Malformed).
func (d *Discovery) Seen(ev *notifications.Event) (Sighting, bool) {
	received := ev.Received
	if received.IsZero() {
		received = d.clock.Now()
	}
	if _, ok := queueOfSnapshotTopic(ev.Topic); !ok {
		if id, ok := ConversationOfTopic(ev.Topic); ok {
			d.noteAlive(id, received)
		}
		return Sighting{}, false
	}
	snap, err := parseSnapshot(ev.EventBody)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stats.Snapshots++
	if err != nil {
		d.stats.Malformed++
		if n := d.stats.Malformed; n&(n-1) == 0 { // the 1st, 2nd, 4th, 8th, ...
			d.log.Warn().Err(err).Str("topic", ev.Topic).Uint64("malformed", n).Msg("queue conversation snapshot ignored")
		}
		return Sighting{}, false
	}
	if snap.start.IsZero() {
		snap.start = received
	}
	s := Sighting{ConversationID: snap.id, Start: snap.start, Ended: snap.over}
	if _, gone := d.forgotten[snap.id]; gone {
		return s, true // dropped already: a late snapshot
	}
	c, known := d.convs[snap.id]
	if !known {
		c = &conversation{start: snap.start}
		d.convs[snap.id] = c
		s.New = true
		c.followed = d.followLocked(snap.id, snap.start)
	}
	c.lastSeen = received
	switch {
	case snap.over && c.endedAt.IsZero():
		c.endedAt = received
	case !snap.over:
		c.endedAt = time.Time{} // alive again: the drop is off
	}
	d.wakeLocked(c.due(&d.opts))
	s.Start, s.Followed = c.start, c.followed
	return s, true
}

// followLocked subscribes the detail topics of a new conversation if the
// budget allows; it reports whether they are. d.mu held.
func (d *Discovery) followLocked(id string, since time.Time) bool {
	if len(d.opts.DetailTypes) == 0 {
		return false
	}
	if d.followed >= d.opts.MaxFollowed {
		d.stats.NotFollowed++
		if !d.full {
			d.full = true
			d.log.Warn().Int("max_followed", d.opts.MaxFollowed).Msg("topic budget full: new conversations are not followed")
		}
		return false
	}
	if err := d.opts.Subscriber.Subscribe(d.detailTopics(id), since); err != nil {
		d.log.Error().Err(err).Str("conversation", id).Msg("subscribing a conversation's detail topics")
		return false
	}
	if d.full {
		d.full = false
		d.log.Info().Int("followed", d.followed).Msg("topic budget has room again: new conversations are followed")
	}
	d.followed++
	d.stats.FollowedTotal++
	return true
}

// noteAlive records a detail event of conversation id.
func (d *Discovery) noteAlive(id string, at time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if c, ok := d.convs[id]; ok && at.After(c.lastSeen) {
		c.lastSeen = at
	}
}

// wakeLocked wakes Run if due is earlier than what it waits for. d.mu held.
func (d *Discovery) wakeLocked(due time.Time) {
	if !d.armed.IsZero() && !due.Before(d.armed) {
		return
	}
	select {
	case d.poke <- struct{}{}:
	default:
	}
}

// expire drops the conversations due by now (unsubscribing the followed
// ones) and forgets the dropped ids remembered long enough. It returns
// when Run should wake next: the next drop due, or `also` if earlier
// (zero: neither), and records it so that Seen wakes Run for anything
// earlier.
func (d *Discovery) expire(now, also time.Time) (next time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	defer func() { d.armed = next }()
	next = also
	for id, c := range d.convs {
		due := c.due(&d.opts)
		if now.Before(due) {
			if next.IsZero() || due.Before(next) {
				next = due
			}
			continue
		}
		if c.followed {
			d.opts.Subscriber.Unsubscribe(d.detailTopics(id))
			d.followed--
			if c.endedAt.IsZero() {
				d.stats.Stale++
				d.log.Warn().Str("conversation", id).Time("last_seen", c.lastSeen).
					Msg("conversation dropped without its end seen: nothing of it read for StaleAfter")
			} else {
				d.stats.Dropped++
			}
		}
		delete(d.convs, id)
		d.forgotten[id] = now.Add(d.opts.Remember)
	}
	for id, until := range d.forgotten {
		if !now.Before(until) {
			delete(d.forgotten, id)
		}
	}
	return next
}

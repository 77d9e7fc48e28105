package notifications

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/analytics-bridge/analytics-bridge/source/notifications/api"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/socket"
)

// step brings the slot one pass closer to its wanted state: a channel, the
// wanted topics subscribed on it (renewed when due), a socket connected,
// a pending handover done. It returns errAgain after replacing the
// channel.
func (k *keeper) step(ctx context.Context) error {
	now := k.c.clock.Now()
	k.closeDrained(now)
	if len(k.want) == 0 {
		k.idle()
		return nil
	}
	if k.ch != nil && len(k.subscribed) > 0 && !now.Before(k.renewAt) {
		k.renewDue = true
	}
	if k.ch == nil {
		ch, err := k.c.api.CreateChannel(ctx)
		if err != nil {
			return fmt.Errorf("creating a channel: %w", err)
		}
		k.c.stats.channels.Add(1)
		k.ch, k.subscribed, k.checkCh, k.renewDue = &ch, map[string]bool{}, false, false
		k.aliveAt = k.c.clock.Now()
		expires := ch.Expires
		if expires.IsZero() {
			expires = k.aliveAt.Add(k.c.opts.ChannelLifetime)
		}
		k.renewAt = expires.Add(-k.c.opts.RenewBefore)
		k.log.Info().Str("channel", ch.ID).Time("expires", expires).Msg("channel created")
	}
	k.putDue = time.Time{}
	if !sameSet(k.subscribed, k.want) || k.renewDue {
		if next := k.putAt.Add(k.c.opts.SubscribeEvery); k.c.opts.SubscribeEvery > 0 && !k.renewDue && k.cur != nil && now.Before(next) {
			k.putDue = next // paced: what changes until then goes in the same PUT
		} else if err := k.subscribe(ctx); err != nil {
			return err
		}
	}
	if k.cur == nil {
		if err := k.connect(ctx); err != nil {
			return err
		}
	}
	if k.handover != nil {
		return k.handOver(ctx)
	}
	return nil
}

// subscribe PUTs the full wanted list with ignoreErrors=true. Rejected
// topics leave the wanted set (Run logs each once); topics subscribed
// while a socket reads the channel are read from the answer on.
func (k *keeper) subscribe(ctx context.Context) error {
	renewal := sameSet(k.subscribed, k.want)
	topics := slices.Sorted(maps.Keys(k.want))
	subs, err := k.c.api.SetSubscriptions(ctx, k.ch.ID, topics)
	if api.StatusOf(err) == http.StatusNotFound {
		k.replace(k.lastAlive(), "the channel is gone: 404 on its subscriptions")
		return errAgain
	}
	if err != nil {
		return fmt.Errorf("subscribing %d topics on channel %s: %w", len(topics), k.ch.ID, err)
	}
	at := k.c.clock.Now()
	k.aliveAt, k.putAt = at, at
	k.c.stats.subscriptions.Add(1)
	if renewal {
		k.c.stats.renewals.Add(1)
		k.log.Info().Str("channel", k.ch.ID).Int("topics", len(topics)).Msg("subscriptions renewed")
	}
	k.renewDue = false
	k.renewAt = at.Add(k.c.opts.ChannelLifetime - k.c.opts.RenewBefore)
	for _, r := range subs.Rejected {
		delete(k.want, r.Topic)
		delete(k.open, r.Topic)
	}
	if len(subs.Rejected) > 0 {
		if err := k.send(item{slot: k.slot, rejected: subs.Rejected}); err != nil {
			return err
		}
	}
	var fresh []string
	for t := range k.want {
		if !k.subscribed[t] {
			fresh = append(fresh, t)
		}
	}
	k.subscribed = setOf(k.want)
	if k.cur != nil {
		return k.closeGaps(fresh, at)
	}
	return nil
}

// connect dials the channel's socket. After a drop the channel is asked
// for first (HEAD): 404, or a 401 on the socket, means it is gone and is
// replaced.
func (k *keeper) connect(ctx context.Context) error {
	if k.checkCh {
		alive, err := k.c.api.ChannelExists(ctx, k.ch.ID)
		if err == nil && !alive {
			k.replace(k.lastAlive(), "the channel is gone: 404 on HEAD")
			return errAgain
		}
		if err == nil {
			k.aliveAt = k.c.clock.Now()
		}
		k.checkCh = false // on a failed HEAD, the dial tells
	}
	conn, err := k.dial(ctx)
	if err != nil {
		return err
	}
	k.log.Info().Str("channel", k.ch.ID).Msg("socket connected")
	// The gaps go first, so that no event the new socket reads is handed
	// over before the gap it ends.
	err = k.closeGaps(slices.Collect(maps.Keys(k.subscribed)), conn.Connected())
	k.cur = k.start(conn)
	return err
}

// dial connects a socket to the channel; a 401 replaces the channel.
func (k *keeper) dial(ctx context.Context) (*socket.Conn, error) {
	conn, err := socket.Dial(ctx, k.ch.ConnectURI, k.c.opts.Socket)
	var refused *socket.RefusedError
	if errors.As(err, &refused) && refused.Status == http.StatusUnauthorized {
		k.replace(k.lastAlive(), "the channel's socket was refused with 401: the channel expired")
		return nil, errAgain
	}
	if err != nil {
		return nil, fmt.Errorf("connecting channel %s: %w", k.ch.ID, err)
	}
	k.c.stats.sockets.Add(1)
	k.aliveAt = k.c.clock.Now()
	return conn, nil
}

// handOver answers socket_closing: a new socket is connected to the
// channel while the old one is still read, and the old one drains until
// it closes (or DrainFor has passed). Events read on both are passed on
// twice, with the same dedup key. It is seamless, no gap, unless the old
// socket had already ended and the new one came later than
// HandoverWithin after the announcement: then what the old one read last
// starts a gap.
func (k *keeper) handOver(ctx context.Context) error {
	h := k.handover
	if h.from != k.cur {
		k.handover = nil // the old socket dropped first: an ordinary reconnect followed
		return nil
	}
	conn, err := k.dial(ctx)
	if err != nil {
		return err // the old socket still reads; retried with backoff
	}
	old, now := k.cur, k.c.clock.Now()
	ended := false
	select {
	case <-old.conn.Done():
		ended = true
	default:
	}
	k.handover = nil
	k.draining[old] = h.announced.Add(k.c.opts.DrainFor)
	k.c.stats.handovers.Add(1)
	k.log.Info().Str("channel", k.ch.ID).Dur("after", now.Sub(h.announced)).Msg("socket_closing: new socket connected, the old one drains")
	if ended && now.Sub(h.announced) > k.c.opts.HandoverWithin {
		for t := range k.subscribed {
			k.openGap(t, old.conn.LastReceived(), "socket_closing: the old socket ended before the new one connected")
		}
		err = k.closeGaps(slices.Collect(maps.Keys(k.subscribed)), conn.Connected())
	}
	k.cur = k.start(conn)
	return err
}

// replace abandons the channel: its sockets are closed, and a new one
// will be created, subscribed and connected. Topics read until from (if a
// socket was reading them) have their gap start there.
func (k *keeper) replace(from time.Time, reason string) {
	k.c.stats.replacements.Add(1)
	k.log.Warn().Str("channel", k.ch.ID).Str("reason", reason).Msg("replacing the channel")
	if k.cur != nil {
		for t := range k.subscribed {
			k.openGap(t, from, "channel replaced: "+reason)
		}
	}
	k.closeSockets()
	k.ch, k.subscribed, k.checkCh, k.renewDue = nil, map[string]bool{}, false, false
}

// lastAlive is when the channel was last known to deliver: the latest of
// its last answer and the current socket's last event.
func (k *keeper) lastAlive() time.Time {
	t := k.aliveAt
	if k.cur != nil {
		if e := k.cur.lastEvent(); e.After(t) {
			t = e
		}
	}
	return t
}

// closeDrained closes the old sockets of handovers past their drain.
func (k *keeper) closeDrained(now time.Time) {
	for s, until := range k.draining {
		if !now.Before(until) {
			s.conn.Close()
			delete(k.draining, s)
		}
	}
}

package notifications

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/analytics-bridge/analytics-bridge/source/contentkey"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/socket"
)

// sock is one socket of the keeper's channel.
type sock struct {
	conn    *socket.Conn
	channel string
	event   atomic.Int64 // Received of the last event read (UnixNano), 0 before any
}

func (s *sock) lastEvent() time.Time {
	if n := s.event.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// ctrlMsg is what a socket's reader tells its keeper: a control message,
// or (ended) that the socket ended, and why.
type ctrlMsg struct {
	s     *sock
	m     socket.Message
	ended bool
	err   error
}

// start runs conn's reader: events and malformed frames go to Run's
// inbox, with the content dedup key computed here (one contentkey.Pair per
// socket); control messages and the socket's end go to the keeper.
func (k *keeper) start(conn *socket.Conn) *sock {
	s := &sock{conn: conn, channel: k.ch.ID}
	k.socks.Go(func() {
		var keys contentkey.Pair
		err := conn.Run(k.ctx, func(ctx context.Context, m socket.Message) error {
			switch m.Kind {
			case socket.KindEvent:
				key, err := keys.Key(m.TopicName, m.EventBody)
				if err != nil {
					return k.hand(s, m.Received, item{slot: k.slot, mal: &Malformed{Frame: m.Frame, Received: m.Received, Channel: s.channel,
						Problem: "eventBody is not valid JSON: " + err.Error()}})
				}
				s.event.Store(m.Received.UnixNano())
				return k.hand(s, m.Received, item{slot: k.slot, ev: &Event{Topic: m.Topic, Frame: m.Frame, EventBody: m.EventBody,
					EventTime: m.EventTime, Received: m.Received, DedupKey: key, Channel: s.channel}})
			case socket.KindMalformed:
				return k.hand(s, m.Received, item{slot: k.slot, mal: &Malformed{Frame: m.Frame, Problem: m.Problem, Received: m.Received, Channel: s.channel}})
			case socket.KindSystem:
				k.log.Info().Str("channel", s.channel).Str("topic", m.Topic).Bytes("body", m.EventBody).Msg("system message")
				return nil
			}
			return k.tell(ctrlMsg{s: s, m: m})
		})
		_ = k.tell(ctrlMsg{s: s, ended: true, err: err})
	})
	return s
}

// hand sends Run a frame read on s at received, tracked as not yet handed
// over until Run has passed it to the Handler (CompleteUntil).
func (k *keeper) hand(s *sock, received time.Time, it item) error {
	it.sock = s
	k.c.unhandled.add(s, received)
	if err := k.send(it); err != nil {
		k.c.unhandled.undo(s)
		return err
	}
	return nil
}

// tell hands m to the keeper, unless it is stopping.
func (k *keeper) tell(m ctrlMsg) error {
	select {
	case k.ctrl <- m:
		return nil
	case <-k.stopping:
		return errStopping
	}
}

// control acts on what a socket's reader said.
func (k *keeper) control(c ctrlMsg) {
	ours := k.ch != nil && c.s.channel == k.ch.ID
	switch {
	case c.ended && c.s == k.cur:
		k.cur = nil
		if errors.Is(c.err, socket.ErrSilent) {
			k.c.stats.silent.Add(1)
		}
		for t := range k.subscribed {
			k.openGap(t, c.s.conn.LastReceived(), "socket ended: "+c.err.Error())
		}
		k.checkCh = true
		k.log.Warn().Str("channel", c.s.channel).Err(c.err).Msg("socket ended; reconnecting")
	case c.ended:
		delete(k.draining, c.s) // an old socket, drained or closed
	case !ours:
		// a message from a socket of a channel already replaced
	case c.m.Kind == socket.KindSocketClosing:
		if c.s == k.cur && k.handover == nil {
			k.handover = &handover{from: c.s, announced: c.m.Received}
			k.log.Info().Str("channel", c.s.channel).Msg("socket_closing: connecting a new socket before the old one closes")
		}
	case c.m.Kind == socket.KindNoLongerSubscribed, c.m.Kind == socket.KindDuplicateID:
		k.replace(c.m.Received, c.m.Kind.String())
	case c.m.Kind == socket.KindExpiring:
		k.renewDue = true
		k.log.Info().Str("channel", c.s.channel).Msg("subscriptions expiring: renewing them")
	}
}

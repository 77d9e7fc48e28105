package genesys

import (
	"context"
	"fmt"
	"time"

	"github.com/coder/websocket"
)

// pump is the one goroutine that acts on time: it publishes notifications
// when the clock reaches them and runs heartbeats, expiry warnings,
// expiries, planned closes and generated conversations, all in time order.
// Doing them in one place is what makes a compressed clock safe: after a
// jump of a day, a socket still gets the events due before its channel
// expired, then the close, in that order.
func (s *Server) pump() {
	for {
		s.mu.Lock()
		now := s.clock.Now()
		for {
			it, ok := s.popDueLocked(now)
			if !ok {
				break
			}
			s.runLocked(it, now)
		}
		s.world.settle(now)
		next, ok := s.nextDueLocked()
		s.mu.Unlock()
		due, stop := make(<-chan struct{}), func() {}
		if ok {
			due, stop = s.clock.Until(next)
		}
		select {
		case <-s.ctx.Done():
			stop()
			return
		case <-due:
		case <-s.wake:
		}
		stop()
	}
}

// runLocked does one due item; s.mu held.
func (s *Server) runLocked(it item, now time.Time) {
	switch it.kind {
	case itemPublish:
		s.publishLocked(it.at, it.pub)
	case itemHeartbeat:
		if it.sock.detached {
			return
		}
		// After a clock jump only the last heartbeat due is sent: one
		// stands for the missed ones.
		every := s.opts.HeartbeatEvery
		if next := it.at.Add(every); !next.After(now) {
			s.scheduleLocked(item{at: it.at.Add(now.Sub(it.at) / every * every), kind: itemHeartbeat, sock: it.sock})
			return
		}
		it.sock.enqueue(outFrame{data: []byte(heartbeatFrame)})
		s.scheduleLocked(item{at: it.at.Add(every), kind: itemHeartbeat, sock: it.sock})
	case itemExpiring:
		if !it.ch.gone && it.ch.expires.Equal(it.base) && it.ch.sock != nil {
			it.ch.sock.enqueue(outFrame{data: s.expiringFrameLocked(s.opts.ExpiringWarning)})
		}
	case itemExpire:
		if !it.ch.gone && it.ch.expires.Equal(it.base) {
			s.removeChannelLocked(it.ch, websocket.StatusGoingAway, "channel expired")
		}
	case itemClose:
		s.closeSocketLocked(it.sock, websocket.StatusGoingAway, "socket closing")
	case itemGenerate:
		s.generateLocked(it.at, 1, 0)
		s.scheduleLocked(item{at: it.at.Add(s.opts.ConversationEvery), kind: itemGenerate})
	}
}

// Settle waits until the pump has done everything due at the clock's time
// of the call, scheduled before the call included: then every notification
// due by then is published (queued for the sockets, or missed), and the
// ledger is complete up to that time. It waits for a whole pass that began
// after the call (a pass runs under Server.mu, so none is half done).
func (s *Server) Settle(ctx context.Context) error {
	s.mu.Lock()
	target, start := s.clock.Now(), s.world.passes
	s.mu.Unlock()
	s.poke()
	for {
		s.mu.Lock()
		done := s.world.passes > start && !s.world.settled.Before(target)
		signal := s.world.settledSignal
		s.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("failed to settle at %v: %w", target, ctx.Err())
		case <-s.ctx.Done():
			return fmt.Errorf("failed to settle at %v: the stand-in is closed", target)
		case <-signal:
		}
	}
}

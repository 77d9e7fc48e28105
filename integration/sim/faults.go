package sim

import (
	"time"

	"github.com/coder/websocket"
)

// Faults apply to every connection registered at the time of the call,
// including one whose upgrade is in flight. A stalled connection ignores
// every fault but ResetConnections: it is silent by definition.

// sessionsSnapshot returns the current sessions.
func (s *Server) sessionsSnapshot() []*session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*session, 0, len(s.sessions))
	for ss := range s.sessions {
		out = append(out, ss)
	}
	return out
}

// CloseConnections closes every current connection with a clean close frame.
func (s *Server) CloseConnections(code websocket.StatusCode, reason string) {
	s.logger.Info().Int("code", int(code)).Str("reason", reason).Msg("fault: close connections")
	for _, ss := range s.sessionsSnapshot() {
		ss.command(control{kind: ctrlClose, code: code, reason: reason})
	}
}

// ResetConnections aborts every current connection with a TCP reset.
func (s *Server) ResetConnections() {
	s.logger.Info().Msg("fault: reset connections")
	for _, ss := range s.sessionsSnapshot() {
		ss.reset()
	}
}

// Stall makes every current connection a half-open link: nothing is sent
// (no events, heartbeats or pongs, not even WebSocket pongs), client frames
// are read and discarded, and the TCP connection stays open. New connections
// are normal.
func (s *Server) Stall() {
	s.logger.Info().Msg("fault: stall connections")
	for _, ss := range s.sessionsSnapshot() {
		ss.stall()
	}
}

// DropAfter resets each current connection, and the next new one, after it
// has sent n more events (replayed or live). n = 0 resets at once.
func (s *Server) DropAfter(n int) {
	n = max(n, 0)
	s.logger.Info().Int("after", n).Msg("fault: drop after n events")
	s.mu.Lock()
	s.dropNext = n
	sessions := make([]*session, 0, len(s.sessions))
	for ss := range s.sessions {
		sessions = append(sessions, ss)
	}
	s.mu.Unlock()
	for _, ss := range sessions {
		ss.dropLeft.Store(int64(n))
		ss.command(control{kind: ctrlWake})
	}
}

// RefuseNext answers the next k upgrade attempts with HTTP status (for
// example 503, or 429), with a Retry-After header in whole seconds, rounded
// up, when retryAfter > 0. It replaces any previous refusal budget.
func (s *Server) RefuseNext(k int, status int, retryAfter time.Duration) {
	s.logger.Info().Int("count", k).Int("status", status).Dur("retry_after", retryAfter).Msg("fault: refuse upgrades")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refusals = refusal{count: k, status: status, retryAfter: retryAfter}
}

// ExpireTokens expires every token known now, issued and static. Open
// sessions get v2.system.token_revoked and a 1008 close; later upgrades with
// those tokens get 401. Tokens issued afterwards are valid.
func (s *Server) ExpireTokens() {
	s.logger.Info().Msg("fault: expire tokens")
	expired := s.tokens.expireAll(time.Now())
	for _, ss := range s.sessionsSnapshot() {
		if _, ok := expired[ss.token]; ok {
			ss.command(control{kind: ctrlRevoke, reason: "access token revoked"})
		}
	}
}

// SocketClosing sends v2.system.socket_closing to every open connection and
// closes it with 1001 after the given delay, unless the client left first.
// Events keep flowing in between, as on the real platform.
func (s *Server) SocketClosing(after time.Duration) {
	s.logger.Info().Dur("after", after).Msg("fault: socket closing")
	for _, ss := range s.sessionsSnapshot() {
		ss.command(control{kind: ctrlSocketClosing, after: after})
	}
}

// InjectFrame sends raw as one text frame on every current connection, in
// order with the events around it: malformed input for the client's error
// handling. Nothing is added to the ledger.
func (s *Server) InjectFrame(raw []byte) {
	s.logger.Info().Int("bytes", len(raw)).Msg("fault: inject frame")
	frame := append([]byte(nil), raw...)
	for _, ss := range s.sessionsSnapshot() {
		ss.command(control{kind: ctrlRaw, raw: frame})
	}
}

// InjectLogged sends raw as an element of a frame of its own on every
// current connection, like InjectFrame, and also keeps it in the replay log
// as if it were an event emitted now: a connection whose since is not after
// now gets it again in its replay. Nothing is added to the ledger: it is
// input the bridge must dead-letter, once.
func (s *Server) InjectLogged(raw []byte) {
	s.logger.Info().Int("bytes", len(raw)).Msg("fault: inject logged element")
	e := &entry{time: time.Now().UTC().Truncate(time.Millisecond), raw: append([]byte(nil), raw...)}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retained = append(s.retained, e)
	for ss := range s.sessions {
		ss.enqueue(frame{events: []*entry{e}})
	}
}

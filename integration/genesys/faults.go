package genesys

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// faults is the injected misbehaviour, guarded by Server.mu.
type faults struct {
	rules      []failRule
	repeatRows int // the next details query page starts this many rows early
	failJobs   int // details jobs left to fail
}

// failRule fails the next `left` requests whose path starts with prefix.
type failRule struct {
	prefix     string
	status     int
	retryAfter time.Duration // 429 only
	left       int
}

// rateLimitAllowed is what inin-ratelimit-allowed says: requests a minute
// per client-credentials token.
const rateLimitAllowed = 300

// Throttle answers the next n requests whose path starts with pathPrefix
// ("" for any, on any host) with 429, Retry-After and the
// inin-ratelimit-allowed, -count and -reset headers. Rules stack: the
// oldest matching one with requests left applies.
func (s *Server) Throttle(pathPrefix string, n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.rules = append(s.faults.rules, failRule{prefix: pathPrefix, status: http.StatusTooManyRequests,
		retryAfter: retryAfter, left: n})
}

// FailNext answers the next n requests whose path starts with pathPrefix
// with status (a 5xx, say) and a platform error body.
func (s *Server) FailNext(pathPrefix string, status, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.rules = append(s.faults.rules, failRule{prefix: pathPrefix, status: status, left: n})
}

// RepeatRows makes the next details query for a page after the first start
// n rows early: its first n rows repeat the previous page's last, as when
// data arriving mid-paging shifts the rows.
func (s *Server) RepeatRows(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.repeatRows = n
}

// FailJobs makes the next n details jobs end FAILED.
func (s *Server) FailJobs(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.failJobs = n
}

// injectFaults answers a request from the first matching rule, if any.
func (s *Server) injectFaults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, adminPrefix) {
			next.ServeHTTP(w, r)
			return
		}
		s.mu.Lock()
		var hit *failRule
		for i := range s.faults.rules {
			if rule := &s.faults.rules[i]; rule.left > 0 && strings.HasPrefix(r.URL.Path, rule.prefix) {
				rule.left--
				hit = &failRule{status: rule.status, retryAfter: rule.retryAfter}
				break
			}
		}
		s.mu.Unlock()
		switch {
		case hit == nil:
			next.ServeHTTP(w, r)
		case hit.status == http.StatusTooManyRequests:
			secs := strconv.Itoa(int((hit.retryAfter + time.Second - 1) / time.Second))
			w.Header().Set("Retry-After", secs)
			w.Header().Set("inin-ratelimit-allowed", strconv.Itoa(rateLimitAllowed))
			w.Header().Set("inin-ratelimit-count", strconv.Itoa(rateLimitAllowed+1))
			w.Header().Set("inin-ratelimit-reset", secs)
			writeError(w, hit.status, "too.many.requests",
				fmt.Sprintf("Rate limit exceeded the maximum [%d] requests within [60] seconds. Retry the request in [%s] seconds", rateLimitAllowed, secs))
		default:
			writeError(w, hit.status, "injected.failure", fmt.Sprintf("injected failure %d", hit.status))
		}
	})
}

// socketLocked returns the socket of channel id, or an error; s.mu held.
func (s *Server) socketLocked(id string) (*socket, error) {
	ch := s.channels[id]
	if ch == nil {
		return nil, fmt.Errorf("no channel %s", id)
	}
	if ch.sock == nil {
		return nil, fmt.Errorf("channel %s has no socket", id)
	}
	return ch.sock, nil
}

// SocketClosing sends v2.system.socket_closing on channel id's socket and
// closes it with 1001 Options.ClosingGrace later. The channel stays: a new
// socket may connect to it (before the old one closes, as a good client
// does, which kicks the old one).
func (s *Server) SocketClosing(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sk, err := s.socketLocked(id)
	if err != nil {
		return err
	}
	sk.enqueue(outFrame{data: s.systemFrameLocked(TopicSocketClosing, "socket_closing", sk.ch, "maintenance",
		"The socket will close in about a minute; connect a new socket to the channel.")})
	s.scheduleLocked(item{at: s.clock.Now().Add(s.opts.ClosingGrace), kind: itemClose, sock: sk})
	return nil
}

// DropSocket ends channel id's socket at once: with code (1001 is an idle
// close), or with no close frame at all when code is 0. The channel stays.
func (s *Server) DropSocket(id string, code websocket.StatusCode) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sk, err := s.socketLocked(id)
	if err != nil {
		return err
	}
	if code == 0 {
		s.detachLocked(sk)
		sk.cancel()
		return nil
	}
	s.closeSocketLocked(sk, code, "closed by the server")
	return nil
}

// NoLongerSubscribed sends v2.system.no_longer_subscribed.{channel id} on
// channel id's socket (if it has one) and kills the channel: its
// subscriptions are gone, HEAD answers 404, a new socket is refused. The
// socket stays open and keeps its heartbeats, carrying nothing else: a
// client that ignores the message waits forever.
func (s *Server) NoLongerSubscribed(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channels[id]
	if ch == nil {
		return fmt.Errorf("no channel %s", id)
	}
	if ch.sock != nil {
		ch.sock.enqueue(outFrame{data: s.systemFrameLocked(TopicNoLongerSubscribedPrefix+ch.id, "no_longer_subscribed",
			ch, "channel removed", "This channel is no longer subscribed; create a new channel.")})
	}
	ch.gone = true
	delete(s.channels, id)
	setSubscriptions(ch, nil)
	return nil
}

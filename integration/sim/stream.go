package sim

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// sinceFutureSlack is how far ahead of the server's clock a since may be
// before it counts as "in the future": client and server clocks differ a
// little even on one machine's view of a request in flight.
const sinceFutureSlack = time.Second

// handleEvents serves GET /api/v2/analytics/events: every check that can
// fail happens before the upgrade, as HTTP errors, like the real upstream.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		methodNotAllowed(w, r, http.MethodGet)
		return
	}
	if s.refuse(w) {
		return
	}
	token, ok := bearerToken(r)
	if !ok || !s.tokens.valid(token, time.Now()) {
		writeAPIError(w, http.StatusUnauthorized, "bad.credentials", "Invalid login credentials.")
		return
	}
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		badRequest(w, fmt.Sprintf("malformed query string: %v", err))
		return
	}
	var unknown []string
	for k := range query {
		if k != "since" {
			unknown = append(unknown, strconv.Quote(k))
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		badRequest(w, fmt.Sprintf("unknown query parameter %s; the only parameter is \"since\"", strings.Join(unknown, ", ")))
		return
	}
	sinceRaw, hasSince := "", false
	var since time.Time
	if vs, ok := query["since"]; ok {
		hasSince = true
		if len(vs) != 1 {
			badRequest(w, fmt.Sprintf("malformed since: given %d times", len(vs)))
			return
		}
		sinceRaw = vs[0]
		since, err = time.Parse(time.RFC3339Nano, sinceRaw)
		if err != nil {
			badRequest(w, fmt.Sprintf("malformed since %q: want an RFC 3339 timestamp such as 2026-11-28T10:15:30.123Z", sinceRaw))
			return
		}
	}

	raw, _ := r.Context().Value(rawConnKey{}).(*rawConn)
	ss := s.newSession(raw, token)
	defer ss.cancel()

	// Validate since against the window, take the replay snapshot and
	// register for live events under one lock: the generator appends and
	// fans out under the same lock, so replay and live neither overlap nor
	// leave a gap.
	s.mu.Lock()
	now := time.Now()
	if hasSince {
		if since.After(now.Add(sinceFutureSlack)) {
			s.mu.Unlock()
			badRequest(w, fmt.Sprintf("since %s is in the future (server time %s)",
				since.UTC().Format(time.RFC3339Nano), now.UTC().Format(TimestampLayout)))
			return
		}
		if oldest := now.Add(-s.cfg.Retention); since.Before(oldest) {
			s.mu.Unlock()
			badRequest(w, fmt.Sprintf("since %s is outside the retention window of %s: the oldest retained time is %s",
				since.UTC().Format(time.RFC3339Nano), s.cfg.Retention, oldest.UTC().Format(TimestampLayout)))
			return
		}
		ss.replay = s.snapshotLocked(since)
	}
	if s.dropNext >= 0 {
		ss.dropLeft.Store(int64(s.dropNext))
		s.dropNext = -1
	}
	s.sessions[ss] = struct{}{}
	// Count the connection before the upgrade: a client that has its 101
	// must already find itself in Connections and Active.
	info := &ConnInfo{Since: sinceRaw, Token: token, At: now}
	s.conns = append(s.conns, info)
	id := len(s.conns)
	s.active++
	s.mu.Unlock()

	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		// Accept has already written the HTTP error; the upgrade never
		// happened, so it is not a connection.
		s.mu.Lock()
		delete(s.sessions, ss)
		s.active--
		for i, c := range s.conns {
			if c == info {
				s.conns = append(s.conns[:i], s.conns[i+1:]...)
				break
			}
		}
		s.mu.Unlock()
		s.logger.Debug().Err(err).Msg("upgrade failed")
		return
	}
	conn.SetReadLimit(s.cfg.MaxClientFrame)
	ss.conn = conn
	ss.logger = s.logger.With().Int("conn", id).Str("since", sinceRaw).Logger()
	ss.logger.Info().Int("replay", len(ss.replay)).Msg("connection accepted")

	ss.run()

	s.mu.Lock()
	delete(s.sessions, ss)
	s.active--
	s.mu.Unlock()
	ss.logger.Info().Msg("connection ended")
}

// refuse answers the request with the RefuseNext status if any refusals are
// left, and reports whether it did.
func (s *Server) refuse(w http.ResponseWriter) bool {
	s.mu.Lock()
	if s.refusals.count <= 0 {
		s.mu.Unlock()
		return false
	}
	s.refusals.count--
	ref := s.refusals
	s.mu.Unlock()

	if ref.retryAfter > 0 {
		secs := int64(math.Ceil(ref.retryAfter.Seconds()))
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	code, msg := "service.unavailable", "The service is temporarily unavailable; retry later."
	if ref.status == http.StatusTooManyRequests {
		code, msg = "too.many.requests", "Rate limit exceeded the maximum; retry later."
	} else if ref.status < 500 {
		code, msg = "refused", http.StatusText(ref.status)
	}
	s.logger.Info().Int("status", ref.status).Msg("refusing upgrade")
	writeAPIError(w, ref.status, code, msg)
	return true
}

func badRequest(w http.ResponseWriter, message string) {
	writeAPIError(w, http.StatusBadRequest, "bad.request", message)
}

// bearerToken extracts the token of an "Authorization: Bearer" header.
func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

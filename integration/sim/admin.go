package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// The admin API drives the same faults as the Go methods, for the demo and
// for users poking a running simulator with curl:
//
//	POST /admin/faults/close[?code=1000&reason=...]
//	POST /admin/faults/reset
//	POST /admin/faults/stall
//	POST /admin/faults/drop?after=N
//	POST /admin/faults/refuse[?count=1&status=503&retry_after=2s]
//	POST /admin/faults/expire-tokens
//	POST /admin/faults/socket-closing[?after=5s]
//	POST /admin/pause
//	POST /admin/resume
//	POST /admin/tokens[?lifetime=1h]
//	GET  /admin/stats
//	GET  /admin/ledger   (JSON lines)

// adminParams reads and validates query parameters, collecting every problem.
type adminParams struct {
	q    url.Values
	errs []string
}

func (p *adminParams) int(name string, def int, min, max int) int {
	v := p.q.Get(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		p.errs = append(p.errs, fmt.Sprintf("%s=%q must be an integer in [%d, %d]", name, v, min, max))
		return def
	}
	return n
}

func (p *adminParams) duration(name string, def time.Duration) time.Duration {
	v := p.q.Get(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		// Bare numbers are seconds, as in Retry-After.
		n, nerr := strconv.ParseFloat(v, 64)
		if nerr != nil {
			p.errs = append(p.errs, fmt.Sprintf("%s=%q must be a duration such as 2s", name, v))
			return def
		}
		d = time.Duration(n * float64(time.Second))
	}
	if d < 0 {
		p.errs = append(p.errs, fmt.Sprintf("%s=%q must not be negative", name, v))
		return def
	}
	return d
}

func (p *adminParams) require(name string) {
	if p.q.Get(name) == "" {
		p.errs = append(p.errs, fmt.Sprintf("%s is required", name))
	}
}

func (p *adminParams) only(names ...string) {
	for k := range p.q {
		found := false
		for _, n := range names {
			found = found || k == n
		}
		if !found {
			p.errs = append(p.errs, fmt.Sprintf("unknown parameter %q", k))
		}
	}
}

type adminResult struct {
	OK      bool   `json:"ok"`
	Message string `json:"message"`
}

// handleAdmin routes /admin/*.
func (s *Server) handleAdmin(w http.ResponseWriter, r *http.Request) {
	route := strings.TrimPrefix(r.URL.Path, AdminPath+"/")
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		badRequest(w, fmt.Sprintf("malformed query string: %v", err))
		return
	}
	p := &adminParams{q: q}

	if route == "stats" || route == "ledger" {
		if r.Method != http.MethodGet {
			methodNotAllowed(w, r, http.MethodGet)
			return
		}
		if route == "stats" {
			s.adminStats(w)
		} else {
			s.adminLedger(w)
		}
		return
	}

	var act func() any
	if simple, ok := s.simpleActions()[route]; ok {
		p.only()
		act = func() any { simple.do(); return adminResult{OK: true, Message: simple.done} }
	} else {
		switch route {
		case "faults/close":
			p.only("code", "reason")
			code := p.int("code", int(websocket.StatusNormalClosure), 1000, 4999)
			reason := q.Get("reason")
			if len(reason) > 123 {
				p.errs = append(p.errs, "reason must be at most 123 bytes")
			}
			act = func() any {
				s.CloseConnections(websocket.StatusCode(code), reason)
				return adminDone("closing connections with %d", code)
			}
		case "faults/drop":
			p.only("after")
			p.require("after")
			n := p.int("after", 0, 0, 1<<30)
			act = func() any { s.DropAfter(n); return adminDone("dropping connections after %d events", n) }
		case "faults/refuse":
			p.only("count", "status", "retry_after")
			k := p.int("count", 1, 0, 1<<30)
			status := p.int("status", http.StatusServiceUnavailable, 400, 599)
			ra := p.duration("retry_after", 0)
			act = func() any {
				s.RefuseNext(k, status, ra)
				return adminDone("refusing the next %d upgrades with %d", k, status)
			}
		case "faults/socket-closing":
			p.only("after")
			after := p.duration("after", 5*time.Second)
			act = func() any {
				s.SocketClosing(after)
				return adminDone("socket_closing sent; closing after %s", after)
			}
		case "tokens":
			p.only("lifetime")
			lifetime := p.duration("lifetime", s.cfg.TokenLifetime)
			act = func() any {
				return struct {
					AccessToken string `json:"access_token"`
					ExpiresIn   int64  `json:"expires_in"`
				}{s.IssueToken(lifetime), int64(lifetime / time.Second)}
			}
		default:
			writeAPIError(w, http.StatusNotFound, "not.found", fmt.Sprintf("no admin resource %s", r.URL.Path))
			return
		}
	}
	if r.Method != http.MethodPost {
		methodNotAllowed(w, r, http.MethodPost)
		return
	}
	if len(p.errs) > 0 {
		badRequest(w, strings.Join(p.errs, "; "))
		return
	}
	writeJSON(w, http.StatusOK, act())
}

// simpleAction is an admin action without parameters: the fault or switch
// it applies and what it answers.
type simpleAction struct {
	do   func()
	done string
}

// simpleActions are the admin routes that take no parameter.
func (s *Server) simpleActions() map[string]simpleAction {
	return map[string]simpleAction{
		"faults/reset":         {s.ResetConnections, "connections reset"},
		"faults/stall":         {s.Stall, "connections stalled"},
		"faults/expire-tokens": {s.ExpireTokens, "tokens expired"},
		"pause":                {s.Pause, "generation paused"},
		"resume":               {s.Resume, "generation resumed"},
	}
}

// adminDone is the answer of an action that took effect.
func adminDone(format string, args ...any) adminResult {
	return adminResult{OK: true, Message: fmt.Sprintf(format, args...)}
}

// Stats is the body of GET /admin/stats.
type Stats struct {
	Emitted     int         `json:"emitted"`
	Active      int         `json:"active"`
	Paused      bool        `json:"paused"`
	Connections []statsConn `json:"connections"`
}

type statsConn struct {
	Since string    `json:"since,omitempty"`
	At    time.Time `json:"at"`
}

func (s *Server) adminStats(w http.ResponseWriter) {
	s.mu.Lock()
	st := Stats{Emitted: s.emitted, Active: s.active, Paused: s.paused.Load(), Connections: make([]statsConn, len(s.conns))}
	for i, c := range s.conns {
		// Tokens stay out of the stats: they are credentials.
		st.Connections[i] = statsConn{Since: c.Since, At: c.At}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, st)
}

// ledgerLine is one line of GET /admin/ledger.
type ledgerLine struct {
	Seq  int             `json:"seq"`
	ID   string          `json:"id,omitempty"`
	Time string          `json:"time"`
	Raw  json.RawMessage `json:"raw"`
}

func (s *Server) adminLedger(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	for _, e := range s.Ledger() {
		if err := enc.Encode(ledgerLine{Seq: e.Seq, ID: e.ID, Time: e.Time.UTC().Format(TimestampLayout), Raw: e.Raw}); err != nil {
			return // client gone
		}
	}
}

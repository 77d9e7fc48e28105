package genesys

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/coder/websocket"
)

// adminPrefix is where the admin API lives on the API host. It takes no
// token and is never throttled: it is how a test or a demo in another
// process injects faults and reads the ledger.
const adminPrefix = "/admin/"

// adminRoutes registers the admin API:
//
//	POST /admin/conversations?n=10&every=1s       generate n conversations from now
//	POST /admin/throttle?path=/api/v2/analytics&n=3&retryAfter=5s
//	POST /admin/fail?path=/api/v2&status=503&n=1
//	POST /admin/repeat-rows?n=2                   the next query page starts 2 rows early
//	POST /admin/fail-jobs?n=1
//	POST /admin/expire-tokens
//	POST /admin/channels/{id}/socket-closing
//	POST /admin/channels/{id}/drop?code=1001      (code 0: no close frame)
//	POST /admin/channels/{id}/no-longer-subscribed
//	GET  /admin/ledger                            counts
func (s *Server) adminRoutes(mux *http.ServeMux) {
	// handle registers an admin route whose query parameters params reads;
	// a bad one is a 400 before do runs.
	handle := func(method, path string, do func(w http.ResponseWriter, r *http.Request, p *params)) {
		mux.HandleFunc(method+" "+adminPrefix+path, func(w http.ResponseWriter, r *http.Request) {
			p := &params{q: r.URL.Query()}
			do(w, r, p)
		})
	}
	done := func(w http.ResponseWriter, p *params) {
		if p.err != nil {
			badRequest(w, "%v", p.err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
	handle("POST", "conversations", func(w http.ResponseWriter, r *http.Request, p *params) {
		n, every := p.int("n", 1), p.duration("every", time.Second)
		if p.err != nil {
			badRequest(w, "%v", p.err)
			return
		}
		ids := []string{}
		for _, c := range s.AddConversations(s.clock.Now(), n, every) {
			ids = append(ids, c.ID)
		}
		writeJSON(w, http.StatusOK, map[string][]string{"conversationIds": ids})
	})
	handle("POST", "throttle", func(w http.ResponseWriter, r *http.Request, p *params) {
		if n, d := p.int("n", 1), p.duration("retryAfter", 5*time.Second); p.err == nil {
			s.Throttle(p.q.Get("path"), n, d)
		}
		done(w, p)
	})
	handle("POST", "fail", func(w http.ResponseWriter, r *http.Request, p *params) {
		if n, status := p.int("n", 1), p.int("status", http.StatusServiceUnavailable); p.err == nil {
			s.FailNext(p.q.Get("path"), status, n)
		}
		done(w, p)
	})
	handle("POST", "repeat-rows", func(w http.ResponseWriter, r *http.Request, p *params) {
		if n := p.int("n", 1); p.err == nil {
			s.RepeatRows(n)
		}
		done(w, p)
	})
	handle("POST", "fail-jobs", func(w http.ResponseWriter, r *http.Request, p *params) {
		if n := p.int("n", 1); p.err == nil {
			s.FailJobs(n)
		}
		done(w, p)
	})
	handle("POST", "expire-tokens", func(w http.ResponseWriter, r *http.Request, p *params) {
		s.ExpireTokens()
		done(w, p)
	})
	channelFault := func(name string, fault func(id string, p *params) error) {
		handle("POST", "channels/{id}/"+name, func(w http.ResponseWriter, r *http.Request, p *params) {
			err := fault(r.PathValue("id"), p)
			if p.err == nil && err != nil {
				notFound(w, "%v", err)
				return
			}
			done(w, p)
		})
	}
	channelFault("socket-closing", func(id string, _ *params) error { return s.SocketClosing(id) })
	channelFault("no-longer-subscribed", func(id string, _ *params) error { return s.NoLongerSubscribed(id) })
	channelFault("drop", func(id string, p *params) error {
		if code := p.int("code", 0); p.err == nil {
			return s.DropSocket(id, websocket.StatusCode(code))
		}
		return nil
	})
	handle("GET", "ledger", func(w http.ResponseWriter, r *http.Request, p *params) {
		writeJSON(w, http.StatusOK, s.Summary())
	})
}

// params reads query parameters, keeping the first error.
type params struct {
	q   url.Values
	err error
}

// int reads a whole number 0 or more (def when absent).
func (p *params) int(name string, def int) int {
	raw := p.q.Get(name)
	if raw == "" || p.err != nil {
		return def
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 0 {
		p.err = fmt.Errorf("%s %q: want a whole number", name, raw)
	}
	return n
}

// duration reads a Go duration such as 5s (def when absent).
func (p *params) duration(name string, def time.Duration) time.Duration {
	raw := p.q.Get(name)
	if raw == "" || p.err != nil {
		return def
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d < 0 {
		p.err = fmt.Errorf("%s %q: want a duration such as 5s", name, raw)
	}
	return d
}

// Summary counts what the ledger holds.
type Summary struct {
	Conversations int `json:"conversations"` // generated
	Ended         int `json:"ended"`         // of them, whose last event was published
	Published     int `json:"published"`     // notifications
	Delivered     int `json:"delivered"`     // notification copies queued for a socket
	Missed        int `json:"missed"`        // copies lost: subscribed channel without a socket
	Sockets       int `json:"sockets"`       // sockets accepted
}

// Summary returns the ledger's counts.
func (s *Server) Summary() Summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := Summary{Conversations: len(s.ledger.conversations), Published: len(s.ledger.published), Sockets: s.ledger.sockets}
	for _, c := range s.ledger.conversations {
		if !c.End.After(s.world.settled) {
			sum.Ended++
		}
	}
	for _, p := range s.ledger.published {
		sum.Delivered += len(p.Delivered)
		sum.Missed += len(p.Missed)
	}
	return sum
}

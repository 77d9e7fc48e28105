package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// Paths served by the simulator.
const (
	EventsPath = "/api/v2/analytics/events"
	TokenPath  = "/oauth/token"
	AdminPath  = "/admin"
)

// Server is a running simulator. All methods are safe for concurrent use.
//
// Goroutines and their owners: the HTTP server's Serve loop and the
// generator are owned by the Server and waited for in Close. Every HTTP
// handler registers with the Server's WaitGroup on entry, because
// http.Server.Close does not wait for hijacked (WebSocket) connections; each
// WebSocket handler in turn owns its session's reader and writer goroutines.
type Server struct {
	cfg    Config
	logger zerolog.Logger
	ln     net.Listener
	http   *http.Server
	tokens *tokenStore

	ctx    context.Context // cancelled by Close; parent of every session
	cancel context.CancelFunc
	wg     sync.WaitGroup

	closeOnce sync.Once
	closeErr  error

	// genMu is held for a whole generator tick, so that Pause can wait for
	// a tick in progress: once Pause returns nothing is emitted until Resume.
	genMu  sync.Mutex
	paused atomic.Bool

	done chan struct{} // closed when MaxEvents have been emitted

	mu sync.Mutex // guards the fields below; the generator appends and fans out under it
	// closed is set by Close; handlers that start afterwards do nothing, so
	// that wg.Add never races with wg.Wait.
	closed     bool
	retained   []*entry // retained log, emission order, pruned by event time
	ledger     []*entry // every emitted event, emission order
	emitted    int
	emitSignal chan struct{} // closed and replaced on every emission
	sessions   map[*session]struct{}
	conns      []*ConnInfo // upgrades, recorded before Accept so that a dialer sees them at once
	active     int
	dropNext   int // DropAfter budget for the next new connection; -1 = none
	refusals   refusal
}

// entry is one emitted event.
type entry struct {
	seq  int
	id   string
	time time.Time
	raw  []byte
}

// LedgerEntry is one emitted event as recorded by the ledger.
type LedgerEntry struct {
	Seq  int             // 1-based position in emission (log) order
	ID   string          // "" in IDLess mode
	Time time.Time       // event time (UTC, millisecond precision)
	Raw  json.RawMessage // bytes as first emitted
}

// ConnInfo describes one accepted (upgraded) connection.
type ConnInfo struct {
	Since string    // raw since query value, "" if absent
	Token string    // bearer token used
	At    time.Time // when the upgrade was accepted
}

// refusal is the RefuseNext budget.
type refusal struct {
	count      int
	status     int
	retryAfter time.Duration
}

// New validates cfg, listens on cfg.Addr and starts serving and generating.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("failed to listen on %s: %w", cfg.Addr, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg:        cfg,
		logger:     cfg.Logger,
		ln:         &listener{Listener: ln},
		tokens:     newTokenStore(cfg.StaticTokens),
		ctx:        ctx,
		cancel:     cancel,
		done:       make(chan struct{}),
		emitSignal: make(chan struct{}),
		sessions:   make(map[*session]struct{}),
		dropNext:   -1,
	}
	mux := http.NewServeMux()
	mux.HandleFunc(EventsPath, s.handleEvents)
	mux.HandleFunc(TokenPath, s.handleToken)
	mux.HandleFunc(AdminPath+"/", s.handleAdmin)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeAPIError(w, http.StatusNotFound, "not.found", fmt.Sprintf("no resource at %s", r.URL.Path))
	})
	s.http = &http.Server{
		Handler:           s.track(mux),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, rawConnKey{}, c)
		},
	}

	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		if err := s.http.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error().Err(err).Msg("simulator HTTP server stopped")
		}
	}()
	go func() {
		defer s.wg.Done()
		s.generate(ctx)
	}()
	s.logger.Info().Str("addr", s.ln.Addr().String()).Msg("simulator listening")
	return s, nil
}

// track registers every handler with the Server's WaitGroup, so that Close
// can wait for handlers that outlive http.Server.Close (hijacked ones).
func (s *Server) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			writeAPIError(w, http.StatusServiceUnavailable, "service.unavailable", "simulator is shutting down")
			return
		}
		s.wg.Add(1)
		s.mu.Unlock()
		defer s.wg.Done()
		h.ServeHTTP(w, r)
	})
}

// Close stops serving and generating, drops every connection without a close
// handshake, and waits for every goroutine. It is idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel() // ends the generator and every session
		if err := s.http.Close(); err != nil {
			s.closeErr = fmt.Errorf("failed to close simulator HTTP server: %w", err)
		}
		s.wg.Wait()
		s.logger.Info().Msg("simulator stopped")
	})
	return s.closeErr
}

// Addr returns the listen address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// hostPort is the listen address with an unspecified IP replaced by loopback,
// so the URLs are dialable.
func (s *Server) hostPort() string {
	addr, ok := s.ln.Addr().(*net.TCPAddr)
	if !ok || addr.IP.IsUnspecified() {
		port := 0
		if ok {
			port = addr.Port
		}
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	}
	return addr.String()
}

// EventsURL returns the WebSocket URL of the event stream.
func (s *Server) EventsURL() string { return "ws://" + s.hostPort() + EventsPath }

// TokenURL returns the OAuth token endpoint.
func (s *Server) TokenURL() string { return "http://" + s.hostPort() + TokenPath }

// AdminURL returns the base URL of the admin API.
func (s *Server) AdminURL() string { return "http://" + s.hostPort() + AdminPath }

// Config returns the effective configuration (defaults filled in).
func (s *Server) Config() Config {
	c := s.cfg
	c.StaticTokens = append([]string(nil), c.StaticTokens...)
	return c
}

// Ledger returns a copy of every event emitted so far (or the newest
// LedgerLimit), in emission order.
func (s *Server) Ledger() []LedgerEntry {
	s.mu.Lock()
	entries := s.ledger
	if lim := s.cfg.LedgerLimit; lim > 0 && len(entries) > lim {
		entries = entries[len(entries)-lim:]
	}
	entries = append([]*entry(nil), entries...)
	s.mu.Unlock()
	out := make([]LedgerEntry, len(entries))
	for i, e := range entries {
		out[i] = LedgerEntry{Seq: e.seq, ID: e.id, Time: e.time, Raw: append(json.RawMessage(nil), e.raw...)}
	}
	return out
}

// Emitted returns the number of events emitted so far.
func (s *Server) Emitted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.emitted
}

// WaitEmitted waits until at least n events have been emitted.
func (s *Server) WaitEmitted(ctx context.Context, n int) error {
	for {
		s.mu.Lock()
		emitted, signal := s.emitted, s.emitSignal
		s.mu.Unlock()
		if emitted >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("failed to wait for %d events (emitted %d): %w", n, emitted, ctx.Err())
		case <-s.ctx.Done():
			return fmt.Errorf("failed to wait for %d events (emitted %d): simulator closed", n, emitted)
		case <-signal:
		}
	}
}

// Done is closed once MaxEvents have been emitted; never if MaxEvents is 0.
func (s *Server) Done() <-chan struct{} { return s.done }

// Pause stops generation (and the emission of pending late events). When it
// returns, no event is emitted until Resume, so Ledger is stable. The wall
// clock keeps going: events generated after Resume carry current times.
func (s *Server) Pause() {
	s.genMu.Lock()
	defer s.genMu.Unlock()
	s.paused.Store(true)
}

// Resume restarts generation after Pause.
func (s *Server) Resume() { s.paused.Store(false) }

// Connections returns every accepted (upgraded) connection, in order.
func (s *Server) Connections() []ConnInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ConnInfo, len(s.conns))
	for i, c := range s.conns {
		out[i] = *c
	}
	return out
}

// Active returns the number of currently open WebSocket connections.
func (s *Server) Active() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active
}

// apiError is the upstream's error body.
type apiError struct {
	Message string `json:"message"`
	Code    string `json:"code"`
	Status  int    `json:"status"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client may be gone; nothing to do about it
}

func writeAPIError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, apiError{Message: message, Code: code, Status: status})
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request, allowed string) {
	w.Header().Set("Allow", allowed)
	writeAPIError(w, http.StatusMethodNotAllowed, "method.not.allowed",
		fmt.Sprintf("method %s is not allowed on %s; use %s", r.Method, r.URL.Path, allowed))
}

// rawConnKey carries the listener's *rawConn in a request context.
type rawConnKey struct{}

// listener wraps accepted connections in rawConn, so that faults can reach
// the TCP connection under a hijacked WebSocket.
type listener struct{ net.Listener }

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &rawConn{Conn: c}, nil
}

// rawConn is an accepted TCP connection that can be reset or stalled.
//
// Stalling happens below the WebSocket library on purpose: a stalled
// connection must not even answer WebSocket pings, and the library answers
// those from inside Read. Once stalled, writes are swallowed (reported as
// sent) and reads are drained and discarded, so the peer sees an open but
// silent TCP connection, a half-open link, until either side closes it.
type rawConn struct {
	net.Conn
	stalled atomic.Bool
}

func (c *rawConn) Read(p []byte) (int, error) {
	for {
		n, err := c.Conn.Read(p)
		if !c.stalled.Load() {
			return n, err
		}
		if err != nil {
			return 0, err
		}
	}
}

func (c *rawConn) Write(p []byte) (int, error) {
	if c.stalled.Load() {
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// reset aborts the connection with a TCP RST: SO_LINGER 0 then close.
func (c *rawConn) reset() {
	if tc, ok := c.Conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Conn.Close()
}

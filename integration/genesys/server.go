package genesys

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/clock"
	"github.com/analytics-bridge/analytics-bridge/integration/eventbridge"
)

// host is one of the three hosts a Genesys Cloud region has.
type host int

const (
	loginHost     host = iota // login.<region>: /oauth/token
	apiHost                   // api.<region>: the REST API
	streamingHost             // streaming.<region>: channel sockets
	hostCount
)

// Server is a running stand-in. All methods are safe for concurrent use.
//
// Goroutines and their owners: the Server owns one http.Server Serve loop per
// host and the pump (pump.go); every HTTP handler registers with the
// Server's WaitGroup on entry, because http.Server.Close does not wait for
// hijacked (WebSocket) connections; each socket handler owns its socket's
// reader and writer (socket.go). Close waits for all of them.
type Server struct {
	opts  Options
	clock clock.Clock
	orgID string
	lns   [hostCount]net.Listener
	https [hostCount]*http.Server

	ctx       context.Context // cancelled by Close; parent of the pump and every socket
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
	wake      chan struct{} // capacity 1: the pump looks at its schedule again

	mu       sync.Mutex // guards every field below
	closed   bool       // set by Close: handlers that start afterwards do nothing
	rng      *rand.Rand // ids
	seq      uint64     // the last sequence number given to a channel or a schedule item
	gen      *eventbridge.Generator
	clients  map[string]Client
	tokens   map[string]token
	channels map[string]*channel
	queues   []queue
	world    world
	jobs     map[string]*job
	faults   faults
	ledger   ledger
}

// New validates o, listens on the three addresses and starts serving.
func New(o Options) (*Server, error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("genesys stand-in options: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{opts: o, clock: o.Clock, ctx: ctx, cancel: cancel, wake: make(chan struct{}, 1),
		rng:     rand.New(rand.NewPCG(o.Seed, o.Seed^0x2545f4914f6cdd1d)),
		clients: map[string]Client{}, tokens: map[string]token{}, channels: map[string]*channel{}, jobs: map[string]*job{}}
	for _, c := range o.Clients {
		s.clients[c.ID] = c
	}
	s.orgID = s.uuidLocked()
	s.queues = s.newQueuesLocked(o.Queues, s.clock.Now())
	refs := make([]eventbridge.QueueRef, len(s.queues))
	for i, q := range s.queues {
		refs[i] = eventbridge.QueueRef{ID: q.ID, DivisionID: q.Division.ID}
	}
	s.gen = eventbridge.New(eventbridge.Options{Seed: o.Seed, OrgID: s.orgID, AbandonRate: o.AbandonRate, Queues: refs, Pace: o.CallPace})
	s.world = newWorld()
	if o.ConversationEvery > 0 {
		s.scheduleLocked(item{at: s.clock.Now(), kind: itemGenerate})
	}

	addrs := [hostCount]string{o.LoginAddr, o.APIAddr, o.StreamingAddr}
	handlers := [hostCount]http.Handler{s.loginMux(), s.apiMux(), s.streamingMux()}
	for h := range hostCount {
		ln, err := net.Listen("tcp", addrs[h])
		if err != nil {
			for _, l := range s.lns[:h] {
				_ = l.Close()
			}
			cancel()
			return nil, fmt.Errorf("failed to listen on %s: %w", addrs[h], err)
		}
		s.lns[h] = ln
		s.https[h] = &http.Server{Handler: s.track(s.injectFaults(handlers[h])), ReadHeaderTimeout: 10 * time.Second,
			ErrorLog: log.New(io.Discard, "", 0), BaseContext: func(net.Listener) context.Context { return ctx }}
	}
	for h := range hostCount {
		s.wg.Go(func() {
			if err := s.https[h].Serve(s.lns[h]); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Printf("genesys stand-in: %s host stopped: %v", h, err)
			}
		})
	}
	s.wg.Go(s.pump)
	return s, nil
}

func (h host) String() string { return [...]string{"login", "api", "streaming"}[h] }

// track registers every handler with the Server's WaitGroup, so that Close
// can wait for handlers that outlive http.Server.Close (hijacked ones).
func (s *Server) track(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			writeError(w, http.StatusServiceUnavailable, "service.unavailable", "the stand-in is shutting down")
			return
		}
		s.wg.Add(1)
		s.mu.Unlock()
		defer s.wg.Done()
		next.ServeHTTP(w, r)
	})
}

// Close stops serving, drops every socket without a close handshake and
// waits for every goroutine. It is idempotent.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel() // ends the pump and every socket
		for _, hs := range s.https {
			err = errors.Join(err, hs.Close())
		}
		s.wg.Wait()
	})
	return err
}

// poke makes the pump look at its schedule again without blocking.
func (s *Server) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// base is the URL of host h with scheme; an unspecified listen IP is
// replaced by loopback so the URL is dialable.
func (s *Server) base(h host, scheme string) string {
	addr := s.lns[h].Addr().(*net.TCPAddr)
	ip := addr.IP
	if ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return scheme + "://" + net.JoinHostPort(ip.String(), fmt.Sprint(addr.Port))
}

// LoginURL is the login host: the token endpoint is LoginURL()+"/oauth/token".
func (s *Server) LoginURL() string { return s.base(loginHost, "http") }

// APIURL is the REST API host: paths start with /api/v2.
func (s *Server) APIURL() string { return s.base(apiHost, "http") }

// StreamingURL is the host of the channel sockets (ws://).
func (s *Server) StreamingURL() string { return s.base(streamingHost, "ws") }

// OrgID is the organization id in system messages.
func (s *Server) OrgID() string { return s.orgID }

// uuidLocked returns a version 4 UUID from the server's seed; s.mu held
// (or the server not yet shared).
func (s *Server) uuidLocked() string {
	a, b := s.rng.Uint64(), s.rng.Uint64()
	a = a&^(0xf<<12) | 0x4<<12
	b = b&^(0x3<<62) | 0x2<<62
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, a>>16&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

package genesystest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"
)

// Relay stands between a client and the stand-in's streaming host, socket
// by socket, to do what the stand-in cannot: go silent without closing
// (a half-open connection), slip a frame of its own into a socket, refuse
// a handshake, and record the handshakes' headers.
//
// Goroutines: one http.Server Serve loop, and per relayed socket its
// handler and two pumps, all waited for by Close.
type Relay struct {
	upstream string // ws://host:port of the streaming host
	ln       net.Listener
	srv      *http.Server
	wg       sync.WaitGroup
	ctx      context.Context
	cancel   context.CancelFunc

	mu         sync.Mutex
	conns      map[string][]*relayed // by channel id, newest last
	refuse     []refusal
	greet      [][]byte // frames for the next relayed socket's client, first
	handshakes []http.Header
	paths      []string
	closed     bool
}

// refusal answers the next n handshakes with status.
type refusal struct {
	status, n int
}

// relayed is one relayed socket.
type relayed struct {
	client, upstream *websocket.Conn
	frozen           atomic.Bool
}

func newRelay(upstream string) (*Relay, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Relay{upstream: upstream, ln: ln, ctx: ctx, cancel: cancel, conns: map[string][]*relayed{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /channels/{id}", r.serve)
	r.srv = &http.Server{Handler: mux, BaseContext: func(net.Listener) context.Context { return ctx }}
	r.wg.Go(func() { _ = r.srv.Serve(ln) })
	return r, nil
}

// Addr is the relay's listen address.
func (r *Relay) Addr() string { return r.ln.Addr().String() }

// Freeze makes channel id's open sockets relay nothing more in either
// direction while their connections stay open: half-open sockets. Sockets
// connected later relay as usual. It reports how many it froze.
func (r *Relay) Freeze(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.conns[id] {
		c.frozen.Store(true)
	}
	return len(r.conns[id])
}

// Sockets reports how many sockets of channel id the relay holds open.
func (r *Relay) Sockets(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.conns[id])
}

// Refuse answers the next n handshakes with status, without asking the
// stand-in.
func (r *Relay) Refuse(status, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refuse = append(r.refuse, refusal{status, n})
}

// Greet makes the next socket relayed start with frame, written to the
// client before anything the stand-in sends: a notification that arrives
// the moment a socket connects.
func (r *Relay) Greet(frame []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.greet = append(r.greet, frame)
}

// Inject writes frame to the client on channel id's newest socket, as if
// the stand-in had sent it; false when there is none.
func (r *Relay) Inject(ctx context.Context, id string, frame []byte) bool {
	r.mu.Lock()
	cs := r.conns[id]
	r.mu.Unlock()
	if len(cs) == 0 {
		return false
	}
	return cs[len(cs)-1].client.Write(ctx, websocket.MessageText, frame) == nil
}

// Handshakes returns the headers of every handshake the relay received.
func (r *Relay) Handshakes() []http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]http.Header, len(r.handshakes))
	for i, h := range r.handshakes {
		out[i] = h.Clone()
	}
	return out
}

// HandshakePaths returns the path of every handshake the relay received
// (/channels/{id}), in order.
func (r *Relay) HandshakePaths() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.paths...)
}

// Drop ends channel id's sockets at once, on both sides, without a close
// frame: a connection reset.
func (r *Relay) Drop(id string) int {
	r.mu.Lock()
	cs := append([]*relayed(nil), r.conns[id]...)
	r.mu.Unlock()
	for _, c := range cs {
		_ = c.client.CloseNow()
		_ = c.upstream.CloseNow()
	}
	return len(cs)
}

// Close drops every socket and waits for the relay's goroutines.
func (r *Relay) Close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.cancel()
	_ = r.srv.Close()
	r.wg.Wait()
}

func (r *Relay) serve(w http.ResponseWriter, req *http.Request) {
	id := req.PathValue("id")
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		http.Error(w, "relay closed", http.StatusServiceUnavailable)
		return
	}
	r.wg.Add(1)
	defer r.wg.Done()
	r.handshakes = append(r.handshakes, req.Header.Clone())
	r.paths = append(r.paths, req.URL.Path)
	status := 0
	for i := range r.refuse {
		if r.refuse[i].n > 0 {
			r.refuse[i].n--
			status = r.refuse[i].status
			break
		}
	}
	r.mu.Unlock()
	if status != 0 {
		http.Error(w, http.StatusText(status), status)
		return
	}
	up, res, err := websocket.Dial(req.Context(), r.upstream+"/channels/"+id, nil)
	if err != nil {
		code := http.StatusBadGateway
		if res != nil && res.StatusCode != http.StatusSwitchingProtocols {
			code = res.StatusCode
		}
		http.Error(w, "upstream refused", code)
		return
	}
	up.SetReadLimit(-1)
	client, err := websocket.Accept(w, req, nil)
	if err != nil {
		_ = up.CloseNow()
		return
	}
	client.SetReadLimit(-1)
	rc := &relayed{client: client, upstream: up}
	r.mu.Lock()
	r.conns[id] = append(r.conns[id], rc)
	greet := r.greet
	r.greet = nil
	r.mu.Unlock()
	for _, f := range greet {
		_ = client.Write(req.Context(), websocket.MessageText, f)
	}
	rc.run(r.ctx)
	r.mu.Lock()
	cs := r.conns[id]
	for i, c := range cs {
		if c == rc {
			r.conns[id] = append(cs[:i:i], cs[i+1:]...)
			break
		}
	}
	r.mu.Unlock()
}

// run pumps both ways until either side ends; a close from one side is
// passed to the other with its code and reason. A frozen socket passes
// nothing, not even the stand-in's close: the client's connection stays
// open until the client gives up on it.
func (rc *relayed) run(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pump := func(from, to *websocket.Conn, fromUpstream bool) {
		for {
			typ, b, err := from.Read(ctx)
			if err != nil {
				if fromUpstream && rc.frozen.Load() {
					return // the client keeps its half-open connection
				}
				var ce websocket.CloseError
				switch {
				case errors.As(err, &ce):
					_ = to.Close(ce.Code, ce.Reason)
				case ctx.Err() == nil:
					_ = to.CloseNow()
				}
				cancel()
				return
			}
			if rc.frozen.Load() {
				continue
			}
			if to.Write(ctx, typ, b) != nil {
				cancel()
				return
			}
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { pump(rc.upstream, rc.client, true) })
	wg.Go(func() { pump(rc.client, rc.upstream, false) })
	wg.Wait()
	_ = rc.client.CloseNow()
	_ = rc.upstream.CloseNow()
}

package genesys

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// socket is one connected channel socket.
//
// Goroutines: the upgrade handler (connect) owns the socket and runs its
// reader and writer, waiting for both. Only the writer writes, and it writes
// exactly what comes through out, in order: the pump queues notifications,
// heartbeats and closes, the reader queues pongs. So a pong the client asked
// for after the pump settled comes after everything published before it.
type socket struct {
	ch        *channel
	connected time.Time
	conn      *websocket.Conn // set before the reader and writer start

	ctx    context.Context // cancelled when the reader or writer ends, or the server closes
	cancel context.CancelFunc

	out          chan outFrame // bounded by Options.SocketQueue
	overflow     chan struct{} // closed once when out is full
	overflowOnce sync.Once

	detached bool // guarded by Server.mu: closed, dropped or replaced; nothing more is queued
}

// outFrame is one thing for the writer to do.
type outFrame struct {
	data   []byte
	close  bool // close with code and reason, then stop
	code   websocket.StatusCode
	reason string
}

func newSocket(parent context.Context, ch *channel, now time.Time, queue int) *socket {
	ctx, cancel := context.WithCancel(parent)
	return &socket{ch: ch, connected: now, ctx: ctx, cancel: cancel,
		out: make(chan outFrame, queue), overflow: make(chan struct{})}
}

// enqueue queues f without blocking. On a full queue it reports false and
// the writer closes the socket with 1013.
func (sk *socket) enqueue(f outFrame) bool {
	select {
	case sk.out <- f:
		return true
	default:
		sk.overflowOnce.Do(func() { close(sk.overflow) })
		return false
	}
}

// detachLocked takes sk off its channel; s.mu held.
func (s *Server) detachLocked(sk *socket) {
	sk.detached = true
	if sk.ch.sock == sk {
		sk.ch.sock = nil
	}
}

// closeSocketLocked queues a close after what sk already has queued; from
// then on the channel has no socket. s.mu held.
func (s *Server) closeSocketLocked(sk *socket, code websocket.StatusCode, reason string) {
	if sk.detached {
		return
	}
	s.detachLocked(sk)
	sk.enqueue(outFrame{close: true, code: code, reason: reason})
}

// connect serves GET /channels/{id} on the streaming host: the channel's
// socket. It carries no Authorization header: a channel that does not exist
// (any more) is refused with 401 before the upgrade, which is how a client
// learns that its channel expired. A second socket kicks the first.
func (s *Server) connect(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	ch := s.channels[r.PathValue("id")]
	now := s.clock.Now()
	if ch == nil || ch.gone || !now.Before(ch.expires) {
		s.mu.Unlock()
		unauthorized(w)
		return
	}
	sk := newSocket(s.ctx, ch, now, s.opts.SocketQueue)
	defer sk.cancel()
	if old := ch.sock; old != nil {
		s.closeSocketLocked(old, websocket.StatusGoingAway, "another socket connected to this channel")
	}
	// Attached before the upgrade: what is published from here on is queued
	// for this socket, so a client that has dialled misses nothing.
	ch.sock = sk
	s.ledger.sockets++
	s.scheduleLocked(item{at: now.Add(s.opts.HeartbeatEvery), kind: itemHeartbeat, sock: sk})
	s.mu.Unlock()

	conn, err := websocket.Accept(w, r, nil)
	if err == nil {
		sk.conn = conn
		s.runSocket(sk)
	}
	s.mu.Lock()
	s.detachLocked(sk)
	s.mu.Unlock()
}

// runSocket runs the reader and the writer until either ends.
func (s *Server) runSocket(sk *socket) {
	var wg sync.WaitGroup
	wg.Go(func() {
		defer sk.cancel()
		sk.read()
	})
	wg.Go(func() {
		defer sk.cancel()
		sk.write()
	})
	wg.Wait()
	_ = sk.conn.CloseNow()
}

// read answers {"message":"ping"} with a pong; anything else a client
// sends is ignored.
func (sk *socket) read() {
	for {
		_, data, err := sk.conn.Read(sk.ctx)
		if err != nil {
			return
		}
		var m struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &m) == nil && m.Message == "ping" {
			sk.enqueue(outFrame{data: []byte(pongFrame)})
		}
	}
}

// write writes queued frames until a close, an overflow or the end.
func (sk *socket) write() {
	for {
		select {
		case <-sk.ctx.Done():
			return
		case <-sk.overflow:
			_ = sk.conn.Close(websocket.StatusTryAgainLater, "outbound queue full: client too slow")
			return
		case f := <-sk.out:
			if f.close {
				_ = sk.conn.Close(f.code, f.reason)
				return
			}
			if err := sk.conn.Write(sk.ctx, websocket.MessageText, f.data); err != nil {
				return
			}
		}
	}
}

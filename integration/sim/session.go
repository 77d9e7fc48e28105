package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"
)

// frame is one outbound data frame: a batch of events.
type frame struct {
	events []*entry
	single bool // send a one-event frame as a bare object
	replay bool // replayed, not live: IDLess mode re-serialises it
}

type controlKind int

const (
	ctrlClose controlKind = iota
	ctrlRevoke
	ctrlSocketClosing
	ctrlWake // re-check flags (stall, drop budget)
	ctrlRaw  // send a frame as given (InjectFrame)
)

// control is a fault or lifecycle command for a session's writer.
type control struct {
	kind   controlKind
	code   websocket.StatusCode
	reason string
	after  time.Duration
	raw    []byte
}

// session is one upgraded connection.
//
// Goroutines: the upgrade handler owns the session and runs the supervisor
// (run); run owns exactly one reader and one writer goroutine and waits for
// both. Only the writer writes data frames; faults reach it through the
// control list, except reset and stall, which act on the raw connection and
// so work even when the writer is blocked.
type session struct {
	srv    *Server
	raw    *rawConn // nil only if the listener was bypassed
	conn   *websocket.Conn
	token  string
	replay []*entry // the since snapshot, written before any live frame
	logger zerolog.Logger

	ctx    context.Context // cancelled when either goroutine ends or the server closes
	cancel context.CancelFunc

	queue      chan frame // live frames; bounded by SlowClientQueue
	overflowed atomic.Bool
	overflow   chan struct{} // closed once when queue overflows

	stalled  atomic.Bool
	dropLeft atomic.Int64 // events left before a reset; -1 = no drop armed

	pongs      atomic.Int64  // pongs owed to the client
	pongNotify chan struct{} // capacity 1

	ctrlMu     sync.Mutex // guards ctrls
	ctrls      []control
	ctrlNotify chan struct{} // capacity 1
}

func (s *Server) newSession(raw *rawConn, token string) *session {
	ctx, cancel := context.WithCancel(s.ctx)
	ss := &session{
		srv:        s,
		raw:        raw,
		token:      token,
		logger:     s.logger,
		ctx:        ctx,
		cancel:     cancel,
		queue:      make(chan frame, s.cfg.SlowClientQueue),
		overflow:   make(chan struct{}),
		pongNotify: make(chan struct{}, 1),
		ctrlNotify: make(chan struct{}, 1),
	}
	ss.dropLeft.Store(-1)
	return ss
}

// enqueue queues a live frame without blocking. It reports false when the
// queue is full; the session is then closed with 1013 by its supervisor.
func (ss *session) enqueue(f frame) bool {
	if ss.overflowed.Load() {
		return false
	}
	select {
	case ss.queue <- f:
		return true
	default:
		if !ss.overflowed.Swap(true) {
			close(ss.overflow)
		}
		return false
	}
}

// command hands a control to the writer without blocking.
func (ss *session) command(c control) {
	ss.ctrlMu.Lock()
	ss.ctrls = append(ss.ctrls, c)
	ss.ctrlMu.Unlock()
	select {
	case ss.ctrlNotify <- struct{}{}:
	default:
	}
}

// stall makes the connection a silent, half-open link.
func (ss *session) stall() {
	ss.stalled.Store(true)
	if ss.raw != nil {
		ss.raw.stalled.Store(true)
	}
	ss.command(control{kind: ctrlWake})
}

// reset aborts the TCP connection.
func (ss *session) reset() {
	if ss.raw != nil {
		ss.raw.reset()
		return
	}
	ss.cancel()
}

// run supervises the reader and writer until the connection ends.
func (ss *session) run() {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer ss.cancel()
		ss.readLoop()
	}()
	go func() {
		defer wg.Done()
		defer ss.cancel()
		ss.writeLoop()
	}()
	select {
	case <-ss.ctx.Done():
	case <-ss.overflow:
		ss.logger.Warn().Msg("outbound queue full, closing slow client with 1013")
		// Close takes the write lock with its own timeout, then closes the
		// TCP connection, which unblocks a writer stuck on a full socket.
		_ = ss.conn.Close(websocket.StatusTryAgainLater, "outbound queue full: client too slow")
		ss.cancel()
	}
	wg.Wait()
	_ = ss.conn.CloseNow()
}

// readLoop reads client frames: pings are answered, unknown JSON is ignored,
// anything that is not a JSON text frame closes the connection with 1003.
// The read limit (MaxClientFrame) closes oversize frames with 1009.
func (ss *session) readLoop() {
	for {
		typ, data, err := ss.conn.Read(ss.ctx)
		if err != nil {
			ss.logger.Debug().Err(err).Msg("connection read ended")
			return
		}
		if typ != websocket.MessageText {
			ss.logger.Info().Msg("binary client frame, closing with 1003")
			_ = ss.conn.Close(websocket.StatusUnsupportedData, "binary frames are not supported")
			return
		}
		if !json.Valid(data) {
			ss.logger.Info().Msg("non-JSON client frame, closing with 1003")
			_ = ss.conn.Close(websocket.StatusUnsupportedData, "client frames must be JSON")
			return
		}
		var msg struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &msg) == nil && msg.Message == "ping" {
			ss.pongs.Add(1)
			select {
			case ss.pongNotify <- struct{}{}:
			default:
			}
		}
		// Anything else (subscribe requests, unknown messages) is ignored,
		// as the real platform does.
	}
}

// controlsFirst runs pending controls, if any, without waiting: they take
// precedence over the replay. ok is false when the connection must end.
func (ss *session) controlsFirst(closing *<-chan time.Time) (ran, ok bool) {
	select {
	case <-ss.ctx.Done():
		return false, false
	case <-ss.ctrlNotify:
		return true, ss.runControls(closing)
	default:
		return false, true
	}
}

// writeLoop is the only writer of data frames: the replay first, then live
// frames, heartbeats, pongs and controls, until the connection ends.
func (ss *session) writeLoop() {
	heartbeat := time.NewTicker(ss.srv.cfg.HeartbeatInterval)
	defer heartbeat.Stop()

	var expiry <-chan time.Time
	if exp, ok := ss.srv.tokens.expiry(ss.token); ok && !exp.IsZero() {
		t := time.NewTimer(time.Until(exp))
		defer t.Stop()
		expiry = t.C
	}
	var closing <-chan time.Time // armed by socket_closing
	replay := ss.replay
	ss.replay = nil

	for {
		if ss.stalled.Load() {
			// Silent until the client or the server gives up.
			<-ss.ctx.Done()
			return
		}
		ran, ok := ss.controlsFirst(&closing)
		if !ok {
			return
		}
		if ran {
			continue
		}
		if len(replay) > 0 {
			k := min(len(replay), ss.srv.cfg.BatchSize)
			f := frame{events: replay[:k:k], replay: true}
			replay = replay[k:]
			if !ss.writeEvents(f) {
				return
			}
			continue
		}
		select {
		case <-ss.ctx.Done():
			return
		case <-ss.ctrlNotify:
			if !ss.runControls(&closing) {
				return
			}
		case f := <-ss.queue:
			if !ss.writeEvents(f) {
				return
			}
		case <-heartbeat.C:
			if !ss.write([]byte(heartbeatFrame)) {
				return
			}
		case <-ss.pongNotify:
			for n := ss.pongs.Swap(0); n > 0; n-- {
				if !ss.write([]byte(pongFrame)) {
					return
				}
			}
		case <-expiry:
			ss.revoke("access token expired")
			return
		case <-closing:
			ss.logger.Info().Msg("planned close, 1001")
			_ = ss.conn.Close(websocket.StatusGoingAway, "socket closing")
			return
		}
	}
}

// runControls executes pending controls. It reports false when the
// connection is finished.
func (ss *session) runControls(closing *<-chan time.Time) bool {
	ss.ctrlMu.Lock()
	ctrls := ss.ctrls
	ss.ctrls = nil
	ss.ctrlMu.Unlock()
	for _, c := range ctrls {
		if ss.stalled.Load() {
			return true // the writer loop notices and goes silent
		}
		switch c.kind {
		case ctrlClose:
			ss.logger.Info().Int("code", int(c.code)).Str("reason", c.reason).Msg("closing connection")
			if err := ss.conn.Close(c.code, c.reason); err != nil {
				ss.logger.Debug().Err(err).Msg("close handshake incomplete")
			}
			return false
		case ctrlRevoke:
			ss.revoke(c.reason)
			return false
		case ctrlSocketClosing:
			if !ss.write(systemFrame(TopicSocketClosing, "The socket will close soon; reconnect.")) {
				return false
			}
			if *closing == nil {
				*closing = time.After(max(c.after, 0))
			}
		case ctrlRaw:
			if !ss.write(c.raw) {
				return false
			}
		case ctrlWake:
		}
	}
	if ss.dropLeft.Load() == 0 {
		ss.logger.Info().Msg("drop budget spent, resetting connection")
		ss.reset()
		return false
	}
	return true
}

// revoke tells the client its token is no longer valid and closes with 1008.
func (ss *session) revoke(reason string) {
	ss.logger.Info().Str("reason", reason).Msg("token revoked, closing with 1008")
	if ss.write(systemFrame(TopicTokenRevoked, reason)) {
		_ = ss.conn.Close(websocket.StatusPolicyViolation, "token revoked")
	}
}

// writeEvents writes an event frame, honouring a DropAfter budget: when the
// budget runs out inside the frame, only the events within it are sent and
// the connection is reset right after.
func (ss *session) writeEvents(f frame) bool {
	evs := f.events
	resetAfter := false
	for {
		left := ss.dropLeft.Load()
		if left < 0 {
			break
		}
		take := min(int64(len(evs)), left)
		if ss.dropLeft.CompareAndSwap(left, left-take) {
			resetAfter = take == left
			if take < int64(len(evs)) {
				evs = evs[:take]
				f.single = false
			}
			break
		}
	}
	if len(evs) > 0 {
		b, err := ss.encode(evs, f.single, f.replay)
		if err != nil {
			ss.logger.Error().Err(err).Msg("failed to encode frame")
		} else if !ss.write(b) {
			return false
		}
	}
	if resetAfter {
		ss.logger.Info().Msg("drop budget spent, resetting connection")
		ss.reset()
		return false
	}
	return true
}

// encode renders events as a frame: a bare object or an array.
func (ss *session) encode(evs []*entry, single, replay bool) ([]byte, error) {
	raws := make([][]byte, len(evs))
	for i, e := range evs {
		raws[i] = e.raw
		if replay && ss.srv.cfg.IDLess {
			r, err := reserialise(e.raw)
			if err != nil {
				return nil, err
			}
			raws[i] = r
		}
	}
	if single && len(raws) == 1 {
		return raws[0], nil
	}
	var b bytes.Buffer
	b.WriteByte('[')
	b.Write(bytes.Join(raws, []byte{','}))
	b.WriteByte(']')
	return b.Bytes(), nil
}

func (ss *session) write(b []byte) bool {
	if err := ss.conn.Write(ss.ctx, websocket.MessageText, b); err != nil {
		ss.logger.Debug().Err(err).Msg("connection write failed")
		return false
	}
	return true
}

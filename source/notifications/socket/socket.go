// Package socket is one notification channel's streaming socket: the dial
// (connectUri, no Authorization header: the channel id is the credential),
// the reader, and the watchdog on the platform's ~30 s heartbeat.
//
// The watchdog: a socket on which nothing at all (event, heartbeat, pong)
// has arrived for Options.QuietAfter is sent a client ping
// ({"message":"ping"}); if nothing arrives for Options.PongTimeout after
// that either, the socket is declared silent (ErrSilent) and closed, so
// that the caller replaces it. A half-open TCP connection, a proxy that
// stopped forwarding, a server that stopped writing all end this way. Time
// the reader spends handing a message over (the caller's back-pressure)
// counts as activity: a slow consumer is not a dead socket.
package socket

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/analytics-bridge/analytics-bridge/source/notifications/clock"
)

// Errors Run ends with, beside the server's close (see CloseStatus) and a
// read failure.
var (
	// ErrSilent: the watchdog heard nothing, not even an answer to a ping.
	ErrSilent = errors.New("socket silent: no heartbeat, no answer to a ping")
	// ErrClosed: Close was called.
	ErrClosed = errors.New("socket closed by the client")
)

// RefusedError is a handshake the server answered with a status other
// than 101. A 401 on a channel's socket means the channel is gone.
type RefusedError struct {
	Status int
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("socket refused: %d %s", e.Status, http.StatusText(e.Status))
}

// Conn is one connected socket. Run reads it; Close ends it from any
// goroutine.
type Conn struct {
	opts      Options
	ws        *websocket.Conn
	connected time.Time

	counts Counters     // this socket's
	last   atomic.Int64 // Received of the last frame (UnixNano); connected before any
	busy   atomic.Bool  // the reader is handing a message over

	ctx    context.Context // ended by Close, the watchdog, or Run's end
	cancel context.CancelCauseFunc
	once   sync.Once
	done   chan struct{} // closed when Run returns
}

// Dial connects to connectURI. The request carries no Authorization
// header; a refusal is a *RefusedError.
func Dial(ctx context.Context, connectURI string, o Options) (*Conn, error) {
	o = o.withDefaults()
	ws, res, err := websocket.Dial(ctx, connectURI, &websocket.DialOptions{HTTPClient: o.HTTPClient})
	if err != nil {
		if res != nil && res.StatusCode != http.StatusSwitchingProtocols {
			if res.Body != nil {
				res.Body.Close()
			}
			return nil, &RefusedError{Status: res.StatusCode}
		}
		return nil, fmt.Errorf("dialing the channel's socket: %w", err)
	}
	ws.SetReadLimit(o.MaxFrame)
	c := &Conn{opts: o, ws: ws, connected: o.Clock.Now(), done: make(chan struct{})}
	c.last.Store(c.connected.UnixNano())
	c.ctx, c.cancel = context.WithCancelCause(context.Background())
	return c, nil
}

// Connected is when the dial completed, on the socket's clock.
func (c *Conn) Connected() time.Time { return c.connected }

// LastReceived is when the last frame (of any kind) was read, or
// Connected before any.
func (c *Conn) LastReceived() time.Time {
	return time.Unix(0, c.last.Load()).In(c.connected.Location())
}

// Done is closed when Run has returned: the socket has ended.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Close ends the socket: Run returns ErrClosed. Safe from any goroutine,
// more than once.
func (c *Conn) Close() { c.end(ErrClosed) }

// end records why the socket ends (the first reason wins) and closes it.
func (c *Conn) end(cause error) {
	c.once.Do(func() {
		c.cancel(cause)
		// Close waits up to 5 s for the peer's close frame: a dead peer
		// must not hold the caller, so the handshake runs on its own and
		// the connection is dropped after a second.
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = c.ws.Close(websocket.StatusNormalClosure, "")
		}()
		select {
		case <-done:
		case <-time.After(time.Second):
			_ = c.ws.CloseNow()
			<-done
		}
	})
}

// Run reads the socket and hands every message but heartbeats to deliver,
// in order, until the socket ends; it returns why (never nil): the
// server's close (CloseStatus tells its code), ErrSilent, ErrClosed,
// deliver's error, or ctx's cause. The socket is closed when Run returns.
func (c *Conn) Run(ctx context.Context, deliver func(context.Context, Message) error) error {
	defer close(c.done)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := context.AfterFunc(c.ctx, func() { cancel(context.Cause(c.ctx)) })
	defer stop()
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := c.watch(ctx); err != nil {
			c.end(err)
		}
	})
	err := c.read(ctx, deliver)
	if cause := context.Cause(c.ctx); cause != nil {
		err = cause // the watchdog or Close ended it
	} else if ctx.Err() != nil {
		err = context.Cause(ctx)
	}
	c.end(err)
	cancel(err)
	wg.Wait()
	return err
}

// read is Run's loop.
func (c *Conn) read(ctx context.Context, deliver func(context.Context, Message) error) error {
	for {
		_, frame, err := c.ws.Read(ctx)
		if err != nil {
			if websocket.CloseStatus(err) != -1 {
				return fmt.Errorf("socket closed by the server: %w", err)
			}
			return fmt.Errorf("reading the socket: %w", err)
		}
		now := c.opts.Clock.Now()
		c.last.Store(now.UnixNano())
		c.count(func(t *Counters) *atomic.Uint64 { return &t.Frames })
		m := Parse(frame, now)
		if m.Kind == KindHeartbeat {
			c.count(func(t *Counters) *atomic.Uint64 { return &t.Beats })
			continue
		}
		c.busy.Store(true)
		err = deliver(ctx, m)
		c.busy.Store(false)
		if err != nil {
			return err
		}
	}
}

// pingFrame is the client ping the platform answers with a pong.
var pingFrame = []byte(`{"message":"ping"}`)

// watch is the watchdog: it returns ErrSilent when a quiet socket does not
// answer a ping, nil when ctx ends. Its first period starts at the
// connect, each later one when the previous ended, all on the clock.
func (c *Conn) watch(ctx context.Context) error {
	clk := c.opts.Clock
	var seen uint64 // frames when the period started
	next := c.connected.Add(c.opts.QuietAfter)
	for {
		if clock.SleepUntil(ctx, clk, next) != nil {
			return nil
		}
		if c.check(seen) {
			seen, next = c.counts.Frames.Load(), clk.Now().Add(c.opts.QuietAfter)
			continue
		}
		pinged := time.Now()
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := c.ws.Write(wctx, websocket.MessageText, pingFrame)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: the ping could not be written: %v", ErrSilent, err)
		}
		c.count(func(t *Counters) *atomic.Uint64 { return &t.Pings })
		if clock.Sleep(ctx, clk, c.opts.PongTimeout) != nil {
			return nil
		}
		if !c.check(seen) {
			// A compressed clock may have moved faster than the pong.
			if rest := c.opts.PongFloor - time.Since(pinged); rest > 0 {
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(rest):
				}
			}
			if !c.active(seen) {
				return ErrSilent
			}
		}
		seen, next = c.counts.Frames.Load(), clk.Now().Add(c.opts.QuietAfter)
	}
}

// active reports whether anything happened since the frame count seen.
func (c *Conn) active(seen uint64) bool { return c.counts.Frames.Load() != seen || c.busy.Load() }

// check is active, counted.
func (c *Conn) check(seen uint64) bool {
	defer c.count(func(t *Counters) *atomic.Uint64 { return &t.Checks })
	return c.active(seen)
}

// Stats are the values of Counters.
type Stats struct {
	Frames, Beats, Pings, Checks uint64
}

// Stats returns the socket's own counters.
func (c *Conn) Stats() Stats { return c.counts.Stats() }

// CloseStatus is the close code of the server's close that err carries, or
// -1.
func CloseStatus(err error) websocket.StatusCode { return websocket.CloseStatus(err) }

package websocket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// session reads frames from one connection and keeps it alive: it sends an
// application ping every pingInterval and declares the link dead when no
// frame (event, heartbeat or pong) arrives within idleTimeout.
type session struct {
	conn         *websocket.Conn
	idleTimeout  time.Duration
	pingInterval time.Duration

	stop context.CancelFunc
	wg   sync.WaitGroup // the pinger

	frames    *framePool
	lastFrame int // bytes of the previous frame: the next one's buffer size
}

var pingFrame = []byte(`{"message":"ping"}`)

func newSession(ctx context.Context, conn *websocket.Conn, idle, ping time.Duration, frames *framePool) *session {
	ctx, cancel := context.WithCancel(ctx)
	s := &session{conn: conn, idleTimeout: idle, pingInterval: ping, stop: cancel, frames: frames}
	s.wg.Add(1)
	go s.pinger(ctx)
	return s
}

func (s *session) pinger(ctx context.Context) {
	defer s.wg.Done()
	t := time.NewTicker(s.pingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		wctx, cancel := context.WithTimeout(ctx, s.pingInterval)
		// A failed ping needs no handling here: the reader sees the broken
		// connection or the missing pong.
		_ = s.conn.Write(wctx, websocket.MessageText, pingFrame)
		cancel()
	}
}

// next returns the next data frame, held once by the caller.
func (s *session) next(ctx context.Context) (*frameBuf, error) {
	rctx, cancel := context.WithTimeout(ctx, s.idleTimeout)
	defer cancel()
	fb, err := s.read(rctx)
	if err == nil {
		return fb, nil
	}
	switch {
	case ctx.Err() != nil:
		return nil, context.Cause(ctx)
	case errors.Is(rctx.Err(), context.DeadlineExceeded):
		return nil, fmt.Errorf("%w: no frame for %s", errIdle, s.idleTimeout)
	case errors.Is(err, websocket.ErrMessageTooBig):
		return nil, fmt.Errorf("%w: %v", errFrameTooLarge, err)
	}
	return nil, fmt.Errorf("reading upstream: %w", err)
}

// read reads one message into a pooled buffer sized like the previous
// frame. Conn.Read's io.ReadAll starts at 512 bytes and doubles, copying
// and zeroing each time: for frames of ~50 KB that was a tenth of the
// bridge's CPU under a backlog.
func (s *session) read(ctx context.Context) (*frameBuf, error) {
	_, r, err := s.conn.Reader(ctx)
	if err != nil {
		return nil, err
	}
	// An eighth more than the last frame: frames of a backlog differ by a
	// few bytes, and one byte too few would grow the buffer by half.
	fb := s.frames.get(max(s.lastFrame+s.lastFrame/8, minFrameBuffer))
	buf := fb.b
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, len(buf)/2)
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fb.b = buf
			fb.Release()
			return nil, err
		}
	}
	fb.b = buf
	s.lastFrame = len(buf)
	return fb, nil
}

// minFrameBuffer is the smallest buffer a frame is read into: one read
// serves heartbeats and small frames.
const minFrameBuffer = 4 << 10

// close ends the session, politely when possible, and waits for the pinger.
func (s *session) close(code websocket.StatusCode, reason string) {
	s.stop()
	s.wg.Wait()
	// Close waits for the peer's close frame up to 5 s; a dead peer should
	// not hold us that long, so fall back to CloseNow.
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.conn.Close(code, reason)
	}()
	select {
	case <-done:
	case <-time.After(time.Second):
		_ = s.conn.CloseNow()
		<-done
	}
}

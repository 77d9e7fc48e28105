package websocket

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestSessionReadsWholeFrames sends frames of changing sizes, one of them
// in several websocket fragments, and one over the read limit: each must
// arrive byte for byte, whatever the buffer sized from the frame before or
// taken from the pool, and the oversized one must end the session with
// errFrameTooLarge.
func TestSessionReadsWholeFrames(t *testing.T) {
	frame := func(n int, c byte) []byte { return bytes.Repeat([]byte{c}, n) }
	frames := [][]byte{
		frame(10, 'a'),
		frame(minFrameBuffer, 'b'),   // exactly the first buffer
		frame(minFrameBuffer+1, 'c'), // one byte past it
		frame(300<<10, 'd'),          // grows several times
		frame(20, 'e'),               // far smaller than the buffer the last one sized
		frame(200<<10, 'f'),
		frame(200<<10, 'g'), // the same size again
	}
	const fragmented = "fragmented"
	const limit = 512 << 10
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		// Answers the client's close frame, so that closing takes no timeout.
		ctx := c.CloseRead(r.Context())
		for _, f := range frames {
			if err := c.Write(ctx, websocket.MessageText, f); err != nil {
				return
			}
		}
		mw, err := c.Writer(ctx, websocket.MessageText)
		if err != nil {
			return
		}
		for _, part := range strings.SplitAfter(fragmented, "g") {
			if _, err := mw.Write([]byte(part)); err != nil {
				return
			}
		}
		if mw.Close() != nil {
			return
		}
		_ = c.Write(ctx, websocket.MessageText, frame(limit+1, 'x'))
		<-ctx.Done()
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetReadLimit(limit)
	var pool framePool
	s := newSession(ctx, conn, time.Minute, time.Hour, &pool)
	defer s.close(websocket.StatusNormalClosure, "")

	for i, want := range append(frames, []byte(fragmented)) {
		fb, err := s.next(ctx)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		got := fb.b
		if !bytes.Equal(got, want) {
			t.Fatalf("frame %d: %d bytes starting %q, want %d bytes starting %q", i, len(got), got[:min(len(got), 4)], len(want), want[:min(len(want), 4)])
		}
		fb.Release() // read into again by a later frame
	}
	if _, err := s.next(ctx); !errors.Is(err, errFrameTooLarge) {
		t.Fatalf("a frame over the read limit: %v, want errFrameTooLarge", err)
	}
}

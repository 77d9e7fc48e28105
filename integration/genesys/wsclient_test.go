package genesys

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// frame is one socket message as a client reads it.
type frame struct {
	raw       []byte
	TopicName string          `json:"topicName"`
	Version   string          `json:"version"`
	EventBody json.RawMessage `json:"eventBody"`
	Metadata  *Metadata       `json:"metadata"`
}

// message is eventBody.message of a channel.metadata frame.
func (fr frame) message() string {
	var b struct{ Message string }
	_ = json.Unmarshal(fr.EventBody, &b)
	return b.Message
}

// wsClient reads a socket in one goroutine, so that a test can wait for
// frames with a timeout without cancelling a read (which would close a
// coder/websocket connection).
type wsClient struct {
	t      *testing.T
	conn   *websocket.Conn
	frames chan frame
	done   chan struct{} // closed when the reader ends; err is set
	err    error
}

// dial connects to a channel's connectUri or fails the test.
func dial(t *testing.T, connectURI string) *wsClient {
	t.Helper()
	conn, res, err := websocket.Dial(testContext(t), connectURI, nil)
	if err != nil {
		t.Fatalf("dial %s: %v (%v)", connectURI, err, res)
	}
	c := &wsClient{t: t, conn: conn, frames: make(chan frame, 4096), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for {
			_, b, err := conn.Read(context.Background())
			if err != nil {
				c.err = err
				return
			}
			fr := frame{raw: b}
			if err := json.Unmarshal(b, &fr); err != nil {
				c.err = err
				return
			}
			c.frames <- fr
		}
	}()
	t.Cleanup(func() {
		_ = conn.CloseNow()
		<-c.done
	})
	return c
}

// dialStatus is the HTTP status of a refused dial.
func dialStatus(t *testing.T, connectURI string) int {
	t.Helper()
	conn, res, err := websocket.Dial(testContext(t), connectURI, nil)
	if err == nil {
		_ = conn.CloseNow()
		t.Fatalf("dial %s succeeded, want a refusal", connectURI)
	}
	if res == nil {
		t.Fatalf("dial %s: %v, no HTTP answer", connectURI, err)
	}
	return res.StatusCode
}

// next returns the next frame, failing the test after testTimeout.
func (c *wsClient) next() frame {
	c.t.Helper()
	select {
	case fr := <-c.frames:
		return fr
	case <-c.done:
		select {
		case fr := <-c.frames:
			return fr
		default:
		}
		c.t.Fatalf("socket ended before the next frame: %v", c.err)
	case <-time.After(testTimeout):
		c.t.Fatal("no frame within the test timeout")
	}
	return frame{}
}

// sync sends a ping and returns every frame before the pong: what was
// queued for the socket before the ping was read. After Settle it is all
// that was published, so it proves absence without waiting on a guess.
func (c *wsClient) sync() []frame {
	c.t.Helper()
	if err := c.conn.Write(testContext(c.t), websocket.MessageText, []byte(`{"message":"ping"}`)); err != nil {
		c.t.Fatalf("ping: %v", err)
	}
	var before []frame
	for {
		fr := c.next()
		if string(fr.raw) == pongFrame {
			return before
		}
		before = append(before, fr)
	}
}

// closed waits for the socket to end and returns the close status the
// server sent (-1 without a close frame).
func (c *wsClient) closed() websocket.StatusCode {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(testTimeout):
		c.t.Fatal("socket still open after the test timeout")
	}
	var ce websocket.CloseError
	if !errors.As(c.err, &ce) {
		return -1
	}
	return ce.Code
}

package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// testTimeout bounds every wait: generous, because the suite must pass on a
// loaded 2-core machine under -race. Waits end as soon as their condition
// holds; only absence checks use a fixed window (quietWindow).
const (
	testTimeout = 20 * time.Second
	quietWindow = 400 * time.Millisecond
)

func newTestServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.HeartbeatInterval == 0 {
		cfg.HeartbeatInterval = time.Hour // heartbeats only where a test wants them
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// msg is one frame as a client sees it.
type msg struct {
	raw     []byte
	events  []json.RawMessage // nil for control frames
	single  bool              // a bare event object rather than an array
	topic   string            // control frames: topicName
	message string            // control frames: eventBody.message
}

func parseFrame(b []byte) (msg, error) {
	m := msg{raw: b}
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		if err := json.Unmarshal(b, &m.events); err != nil {
			return m, err
		}
		return m, nil
	}
	var head struct {
		TopicName string `json:"topicName"`
		EventBody struct {
			Message string `json:"message"`
		} `json:"eventBody"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return m, err
	}
	if head.TopicName == TopicMetadata || strings.HasPrefix(head.TopicName, "v2.system.") {
		m.topic, m.message = head.TopicName, head.EventBody.Message
		return m, nil
	}
	m.events, m.single = []json.RawMessage{b}, true
	return m, nil
}

// client is a test WebSocket client whose frames are read by one goroutine,
// so that the test can wait on them with timeouts without cancelling reads
// (a cancelled read closes a coder/websocket connection).
type client struct {
	t    *testing.T
	conn *websocket.Conn
	msgs chan msg
	stop chan struct{}
	done chan struct{} // closed when the read loop has ended; err is set
	err  error
}

// dialOpts builds dial options with a bearer token.
func dialOpts(token string) *websocket.DialOptions {
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	return &websocket.DialOptions{HTTPHeader: h}
}

// eventsURL returns the events URL with a since parameter ("" = none).
func eventsURL(s *Server, since string) string {
	if since == "" {
		return s.EventsURL()
	}
	return s.EventsURL() + "?since=" + url.QueryEscape(since)
}

// dial connects or fails the test.
func dial(t *testing.T, s *Server, token, since string) *client {
	t.Helper()
	ctx := testContext(t)
	conn, _, err := websocket.Dial(ctx, eventsURL(s, since), dialOpts(token))
	if err != nil {
		t.Fatalf("dial since=%q: %v", since, err)
	}
	return startClient(t, conn)
}

func startClient(t *testing.T, conn *websocket.Conn) *client {
	conn.SetReadLimit(-1)
	c := &client{t: t, conn: conn, msgs: make(chan msg), stop: make(chan struct{}), done: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(c.done)
		for {
			typ, b, err := conn.Read(context.Background())
			if err != nil {
				c.err = err
				return
			}
			if typ != websocket.MessageText {
				c.err = errors.New("unexpected binary frame")
				return
			}
			m, err := parseFrame(b)
			if err != nil {
				c.err = err
				return
			}
			select {
			case c.msgs <- m:
			case <-c.stop:
				return
			}
		}
	}()
	t.Cleanup(func() {
		close(c.stop)
		_ = conn.CloseNow()
		wg.Wait()
	})
	return c
}

// next returns the next frame; ok is false when the connection ended (c.err
// says why). It fails the test if nothing arrives before deadline. Loops
// compute one deadline up front, so that a steady trickle of unwanted
// frames (heartbeats, events) cannot keep a failing wait alive forever.
func (c *client) next(deadline time.Time) (msg, bool) {
	c.t.Helper()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case m := <-c.msgs:
		return m, true
	case <-c.done:
		return msg{}, false
	case <-timer.C:
		c.t.Fatalf("wanted frame did not arrive by the deadline")
		return msg{}, false
	}
}

// deadline is the overall deadline of one wait.
func deadline() time.Time { return time.Now().Add(testTimeout) }

// events reads until at least n events have arrived, skipping control
// frames, and returns all of them (a frame may overshoot n).
func (c *client) events(n int) []json.RawMessage {
	c.t.Helper()
	dl := deadline()
	var out []json.RawMessage
	for len(out) < n {
		m, ok := c.next(dl)
		if !ok {
			c.t.Fatalf("connection ended after %d of %d events: %v", len(out), n, c.err)
		}
		out = append(out, m.events...)
	}
	return out
}

// control reads until a control frame of the topic arrives, returning the
// events seen on the way.
func (c *client) control(topic string) (msg, []json.RawMessage) {
	c.t.Helper()
	return c.controlBy(topic, deadline())
}

func (c *client) controlBy(topic string, dl time.Time) (msg, []json.RawMessage) {
	c.t.Helper()
	var evs []json.RawMessage
	for {
		m, ok := c.next(dl)
		if !ok {
			c.t.Fatalf("connection ended before %s: %v", topic, c.err)
		}
		if m.topic == topic {
			return m, evs
		}
		evs = append(evs, m.events...)
	}
}

// closed reads until the connection ends, returning the events on the way
// and the read error.
func (c *client) closed() ([]json.RawMessage, error) {
	c.t.Helper()
	dl := deadline()
	var evs []json.RawMessage
	for {
		m, ok := c.next(dl)
		if !ok {
			return evs, c.err
		}
		evs = append(evs, m.events...)
	}
}

// quiet asserts that no frame arrives within quietWindow.
func (c *client) quiet(what string) {
	c.t.Helper()
	select {
	case m := <-c.msgs:
		c.t.Fatalf("%s: unexpected frame %s", what, m.raw)
	case <-c.done:
		c.t.Fatalf("%s: connection ended: %v", what, c.err)
	case <-time.After(quietWindow):
	}
}

// ping sends the application-level ping.
func (c *client) ping() {
	c.t.Helper()
	if err := c.conn.Write(testContext(c.t), websocket.MessageText, []byte(`{"message":"ping"}`)); err != nil {
		c.t.Fatalf("write ping: %v", err)
	}
}

// expectOnlyPong pings and expects the very next frame to be the pong:
// proof that nothing else was queued (use with a paused generator).
func (c *client) expectOnlyPong() {
	c.t.Helper()
	c.ping()
	m, ok := c.next(deadline())
	if !ok {
		c.t.Fatalf("connection ended waiting for pong: %v", c.err)
	}
	if string(m.raw) != pongFrame {
		c.t.Fatalf("got %s, want only a pong", m.raw)
	}
}

// expectPong pings and waits for the pong, skipping events and heartbeats.
func (c *client) expectPong() {
	c.t.Helper()
	c.ping()
	dl := deadline()
	for {
		m, _ := c.controlBy(TopicMetadata, dl)
		if string(m.raw) == pongFrame {
			return
		}
		if string(m.raw) != heartbeatFrame {
			c.t.Fatalf("got %s, want pong", m.raw)
		}
	}
}

// eventInfo is what tests need from an event.
type eventInfo struct {
	ID        string `json:"id"`
	Timestamp string `json:"timestamp"`
}

func eventID(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var e eventInfo
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatalf("decode event %s: %v", raw, err)
	}
	if e.ID == "" {
		t.Fatalf("event without id: %s", raw)
	}
	return e.ID
}

func ids(t *testing.T, evs []json.RawMessage) []string {
	t.Helper()
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = eventID(t, e)
	}
	return out
}

func ledgerIDs(l []LedgerEntry) []string {
	out := make([]string, len(l))
	for i, e := range l {
		out[i] = e.ID
	}
	return out
}

// firstDiff describes where two id sequences differ, for failure messages.
func firstDiff(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return "first difference at " + itoa(i) + ": got " + got[i] + ", want " + want[i]
		}
	}
	return "lengths differ: got " + itoa(len(got)) + ", want " + itoa(len(want))
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// httpError performs a plain request and decodes an upstream error body.
func httpDo(t *testing.T, method, u string, header http.Header, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(testContext(t), method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp, b
}

// dialFail dials expecting an HTTP error before the upgrade.
func dialFail(t *testing.T, s *Server, token, rawQuery string) (*http.Response, apiError) {
	t.Helper()
	u := s.EventsURL()
	if rawQuery != "" {
		u += "?" + rawQuery
	}
	conn, resp, err := websocket.Dial(testContext(t), u, dialOpts(token))
	if err == nil {
		_ = conn.CloseNow()
		t.Fatalf("dial %s: upgrade succeeded, want an HTTP error", u)
	}
	if resp == nil {
		t.Fatalf("dial %s: no HTTP response: %v", u, err)
	}
	var body apiError
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("dial %s: body %q is not JSON: %v", u, b, err)
	}
	return resp, body
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// httpURL turns a ws:// URL into its http:// twin.
func httpURL(ws string) string { return "http" + strings.TrimPrefix(ws, "ws") }

package sim

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/rs/zerolog"

	"github.com/analytics-bridge/analytics-bridge/integration/syncbuf"
)

// waitFor polls cond until it holds or the test times out. Used for server
// state with no event to wait on (connection counts).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	dl := deadline()
	for !cond() {
		if time.Now().After(dl) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// isReset reports whether err is an abrupt TCP failure rather than a
// WebSocket close.
func isReset(err error) bool {
	if err == nil || websocket.CloseStatus(err) != -1 {
		return false
	}
	return errors.Is(err, syscall.ECONNRESET) || strings.Contains(err.Error(), "reset by peer")
}

func TestCloseConnections(t *testing.T) {
	s := newTestServer(t, Config{Rate: 500, StaticTokens: []string{"tok"}})
	a, b := dial(t, s, "tok", ""), dial(t, s, "tok", "")
	a.events(5)
	s.CloseConnections(websocket.StatusServiceRestart, "restarting")
	for _, c := range []*client{a, b} {
		if _, err := c.closed(); websocket.CloseStatus(err) != websocket.StatusServiceRestart {
			t.Fatalf("close: %v, want 1012", err)
		}
	}
	waitFor(t, "no active connections", func() bool { return s.Active() == 0 })
}

func TestResetConnections(t *testing.T) {
	s := newTestServer(t, Config{Rate: 500, StaticTokens: []string{"tok"}})
	c := dial(t, s, "tok", "")
	c.events(5)
	s.ResetConnections()
	if _, err := c.closed(); !isReset(err) {
		t.Fatalf("after reset: %v, want a connection reset", err)
	}
	waitFor(t, "no active connections", func() bool { return s.Active() == 0 })
}

func TestStall(t *testing.T) {
	s := newTestServer(t, Config{Rate: 500, StaticTokens: []string{"tok"}})
	s.Pause()
	c := dial(t, s, "tok", "")
	c.expectOnlyPong() // alive before the stall

	s.Stall()
	c.ping()
	// A WebSocket-level ping goes unanswered too: the link is half-open.
	pingCtx, cancel := context.WithTimeout(context.Background(), quietWindow)
	defer cancel()
	if err := c.conn.Ping(pingCtx); err == nil {
		t.Fatal("WebSocket ping answered by a stalled connection")
	}
	// Events generated now would normally be sent at once.
	s.Resume()
	if err := s.WaitEmitted(testContext(t), s.Emitted()+50); err != nil {
		t.Fatal(err)
	}
	c.quiet("stalled connection")
	if s.Active() != 1 {
		t.Fatalf("Active() = %d, want the stalled connection still open", s.Active())
	}

	// New connections are normal.
	d := dial(t, s, "tok", "")
	d.events(10)
	d.expectPong()
}

func TestDropAfter(t *testing.T) {
	s := newTestServer(t, Config{Rate: 1000, BatchSize: 4, StaticTokens: []string{"tok"}})
	l := pausedLedger(t, s, 40)

	// Current connection: exactly n more events, then a reset.
	c := dial(t, s, "tok", "")
	s.DropAfter(7)
	s.Resume()
	evs, err := c.closed()
	if len(evs) != 7 || !isReset(err) {
		t.Fatalf("current connection: %d events then %v, want 7 then a reset", len(evs), err)
	}

	// The next new connection too, counting replayed events.
	s.Pause()
	l = s.Ledger()
	d := dial(t, s, "tok", l[0].Time.Format(TimestampLayout))
	evs, err = d.closed()
	if got, want := ids(t, evs), ledgerIDs(l[:7]); !slices.Equal(got, want) || !isReset(err) {
		t.Fatalf("next connection: %v then %v, want %v then a reset", got, err, want)
	}

	// Only the next one: the one after is normal.
	e := dial(t, s, "tok", l[0].Time.Format(TimestampLayout))
	if got, want := ids(t, e.events(len(l))), ledgerIDs(l); !slices.Equal(got, want) {
		t.Fatalf("later connection: %s", firstDiff(got, want))
	}
	e.expectOnlyPong()

	// n = 0 resets at once.
	s.DropAfter(0)
	if evs, err := e.closed(); len(evs) != 0 || !isReset(err) {
		t.Fatalf("DropAfter(0): %d events then %v", len(evs), err)
	}
}

func TestSocketClosing(t *testing.T) {
	s := newTestServer(t, Config{Rate: 500, StaticTokens: []string{"tok"}})
	c := dial(t, s, "tok", "")
	c.events(3)
	const after = 300 * time.Millisecond
	start := time.Now()
	s.SocketClosing(after)
	c.control(TopicSocketClosing)
	evs, err := c.closed()
	if websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("after socket_closing: %v, want 1001", err)
	}
	if elapsed := time.Since(start); elapsed < after {
		t.Fatalf("closed after %v, want at least %v", elapsed, after)
	}
	if len(evs) == 0 {
		t.Fatal("no events between socket_closing and the close")
	}
}

func TestExpireTokens(t *testing.T) {
	s := newTestServer(t, Config{Rate: 500, StaticTokens: []string{"static"}})
	issued := s.IssueToken(time.Hour)
	a, b := dial(t, s, "static", ""), dial(t, s, issued, "")
	s.ExpireTokens()
	for _, c := range []*client{a, b} {
		c.control(TopicTokenRevoked)
		if _, err := c.closed(); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
			t.Fatalf("after token_revoked: %v, want 1008", err)
		}
	}
	for _, tok := range []string{"static", issued} {
		if resp, body := dialFail(t, s, tok, ""); resp.StatusCode != http.StatusUnauthorized || body.Code != "bad.credentials" {
			t.Fatalf("expired token: %d %+v", resp.StatusCode, body)
		}
	}
	dial(t, s, s.IssueToken(time.Hour), "").events(3)
}

func TestHeartbeatAndPing(t *testing.T) {
	s := newTestServer(t, Config{Rate: 500, HeartbeatInterval: 50 * time.Millisecond, StaticTokens: []string{"tok"}})
	s.Pause()
	c := dial(t, s, "tok", "")
	for range 3 {
		m, _ := c.control(TopicMetadata)
		if string(m.raw) != heartbeatFrame {
			t.Fatalf("got %s, want a heartbeat", m.raw)
		}
	}
	c.expectPong()
}

func TestBadClientInput(t *testing.T) {
	s := newTestServer(t, Config{Rate: 200, MaxClientFrame: 64, StaticTokens: []string{"tok"}})
	for _, tc := range []struct {
		name string
		typ  websocket.MessageType
		data string
		want websocket.StatusCode
	}{
		{"oversize", websocket.MessageText, `{"message":"` + strings.Repeat("x", 200) + `"}`, websocket.StatusMessageTooBig},
		{"binary", websocket.MessageBinary, `{"message":"ping"}`, websocket.StatusUnsupportedData},
		{"garbage", websocket.MessageText, `ping!`, websocket.StatusUnsupportedData},
		{"truncated JSON", websocket.MessageText, `{"message":`, websocket.StatusUnsupportedData},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, s, "tok", "")
			if err := c.conn.Write(testContext(t), tc.typ, []byte(tc.data)); err != nil {
				t.Fatal(err)
			}
			if _, err := c.closed(); websocket.CloseStatus(err) != tc.want {
				t.Fatalf("got %v, want close %d", err, tc.want)
			}
		})
	}
	t.Run("unknown JSON is ignored", func(t *testing.T) {
		c := dial(t, s, "tok", "")
		for _, m := range []string{`{"message":"subscribe","topics":["x"]}`, `[1,2]`, `42`, `{}`} {
			if err := c.conn.Write(testContext(t), websocket.MessageText, []byte(m)); err != nil {
				t.Fatal(err)
			}
		}
		c.expectPong()
	})
	// The server survived all of it.
	dial(t, s, "tok", "").events(5)
}

func TestSlowClientIsClosed(t *testing.T) {
	if testing.Short() {
		t.Skip("fills TCP buffers")
	}
	var logs syncbuf.Buffer
	s := newTestServer(t, Config{Rate: 20000, BatchSize: 1, SlowClientQueue: 50, StaticTokens: []string{"tok"},
		Logger: zerolog.New(&logs)})
	// A client that never reads: the server must drop it rather than buffer
	// without bound.
	conn, _, err := websocket.Dial(testContext(t), s.EventsURL(), dialOpts("tok"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	waitFor(t, "the slow connection to be closed", func() bool { return s.Active() == 0 && len(s.Connections()) == 1 })
	if !strings.Contains(logs.String(), "outbound queue full") {
		t.Fatalf("closed, but not for a full queue:\n%s", logs.String())
	}
}

func TestCloseStopsEverything(t *testing.T) {
	s, err := New(Config{Rate: 500, StaticTokens: []string{"tok"}, HeartbeatInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	live, stalled := dial(t, s, "tok", ""), dial(t, s, "tok", "") // one of them gets stalled below
	live.events(3)
	waitFor(t, "two connections", func() bool { return s.Active() == 2 })
	// Stall one of them: Close must end half-open links too.
	for _, ss := range s.sessionsSnapshot() {
		ss.stall()
		break
	}
	done := make(chan error)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(testTimeout):
		t.Fatal("Close did not return")
	}
	if _, err := live.closed(); err == nil {
		t.Fatal("connection survived Close")
	}
	if _, err := stalled.closed(); err == nil {
		t.Fatal("connection survived Close")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, _, err := websocket.Dial(testContext(t), s.EventsURL(), dialOpts("tok")); err == nil {
		t.Fatal("dial after Close succeeded")
	}
}

func TestInjectFrameReachesTheClient(t *testing.T) {
	s := newTestServer(t, Config{Rate: 200, StaticTokens: []string{"tok"}})
	c := dial(t, s, "tok", "")
	c.events(3)
	before := len(s.Ledger())
	s.InjectFrame([]byte(`{"topicName":"v2.system.test_injected","eventBody":{"message":"x"}}`))
	if m, _ := c.control("v2.system.test_injected"); m.message != "x" {
		t.Fatalf("injected frame arrived as %q", m.raw)
	}
	if after := len(s.Ledger()); after < before {
		t.Fatalf("ledger shrank")
	}
	for _, e := range s.Ledger() {
		if strings.Contains(string(e.Raw), "v2.system.test_injected") {
			t.Fatal("an injected frame entered the ledger")
		}
	}
}

// Package genesystest gives tests of the notifications client what they
// need around the Genesys stand-in (integration/genesys): the stand-in on
// a manual clock, a Relay in front of its streaming host (silent sockets,
// injected frames, refused handshakes), and an HTTP client that reaches
// the streaming host through the relay.
//
// It is a test kit: production packages do not import it.
package genesystest

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/clock"
	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
)

// T0 is where the kit's manual clocks start.
func T0() time.Time { return time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC) }

// Kit is a running stand-in on a manual clock, with its relay.
type Kit struct {
	t      testing.TB
	Server *genesys.Server
	Clock  *clock.Manual
	Relay  *Relay
}

// Start runs a stand-in with o (its Clock replaced by a manual clock at
// T0) and a relay in front of its streaming host, until t ends.
func Start(t testing.TB, o genesys.Options) *Kit {
	t.Helper()
	clk := clock.NewManual(T0())
	o.Clock = clk
	s, err := genesys.New(o)
	if err != nil {
		t.Fatalf("genesys stand-in: %v", err)
	}
	r, err := newRelay(s.StreamingURL())
	if err != nil {
		_ = s.Close()
		t.Fatalf("relay: %v", err)
	}
	t.Cleanup(func() {
		r.Close()
		if err := s.Close(); err != nil {
			t.Errorf("closing the stand-in: %v", err)
		}
	})
	return &Kit{t: t, Server: s, Clock: clk, Relay: r}
}

// HTTPClient reaches the login and API hosts directly and the streaming
// host through the relay, as a client given the channels' connectUri does.
// Its idle connections are closed when the test ends.
func (k *Kit) HTTPClient() *http.Client {
	u, _ := url.Parse(k.Server.StreamingURL())
	streaming, relay := u.Host, k.Relay.Addr()
	var d net.Dialer
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == streaming {
			addr = relay
		}
		return d.DialContext(ctx, network, addr)
	}}
	k.t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// Advance moves the clock by d and waits until the stand-in has done
// everything due by then.
func (k *Kit) Advance(ctx context.Context, t testing.TB, d time.Duration) {
	t.Helper()
	k.Clock.Advance(d)
	if err := k.Server.Settle(ctx); err != nil {
		t.Fatal(err)
	}
}

// WaitFor polls cond until it holds, failing t after timeout: for
// conditions that change on other goroutines with nothing to wait on.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

package genesys

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/clock"
)

// testTimeout bounds every wait. Waits end as soon as their condition
// holds; nothing sleeps, because every time the server keeps is on a
// manual clock.
const testTimeout = 20 * time.Second

// t0 is where the tests' manual clocks start.
func t0() time.Time { return time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC) }

// fixture is a running stand-in on a manual clock and a token of its
// default client.
type fixture struct {
	t     *testing.T
	s     *Server
	clock *clock.Manual
	token string
}

func newFixture(t *testing.T, o Options) *fixture {
	t.Helper()
	clk := clock.NewManual(t0())
	o.Clock = clk
	s, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	f := &fixture{t: t, s: s, clock: clk}
	f.token = f.login(DefaultClientID, DefaultClientSecret)
	return f
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// login gets a token with the client credentials grant.
func (f *fixture) login(id, secret string) string {
	f.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.s.LoginURL()+TokenPath, strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	res := send(f.t, req)
	if res.status != http.StatusOK {
		f.t.Fatalf("login %s: %d %s", id, res.status, res.body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	res.decode(f.t, &tok)
	return tok.AccessToken
}

// response is an HTTP answer read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func send(t *testing.T, req *http.Request) response {
	t.Helper()
	res, err := http.DefaultClient.Do(req.WithContext(testContext(t)))
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read %s %s: %v", req.Method, req.URL, err)
	}
	return response{res.StatusCode, res.Header, b}
}

// call sends an API request with token (none when ""); body is JSON-encoded
// unless it is a string, sent as is.
func (f *fixture) call(token, method, path string, body any) response {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, f.s.APIURL()+path, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return send(f.t, req)
}

// api is call with the fixture's token.
func (f *fixture) api(method, path string, body any) response {
	f.t.Helper()
	return f.call(f.token, method, path, body)
}

// ok fails the test unless r has status want.
func ok(t *testing.T, r response, want int) response {
	t.Helper()
	if r.status != want {
		t.Fatalf("status %d, want %d: %s", r.status, want, r.body)
	}
	return r
}

// newChannel creates a channel and returns its id and connectUri.
func (f *fixture) newChannel() (id, connectURI string) {
	f.t.Helper()
	var ch channelBody
	ok(f.t, f.api(http.MethodPost, channelsPath, nil), http.StatusOK).decode(f.t, &ch)
	return ch.ID, ch.ConnectURI
}

// subscribe PUTs topics on channel id or fails the test.
func (f *fixture) subscribe(id string, topics ...string) {
	f.t.Helper()
	body := []map[string]string{}
	for _, t := range topics {
		body = append(body, map[string]string{"id": t})
	}
	ok(f.t, f.api(http.MethodPut, channelsPath+"/"+id+"/subscriptions", body), http.StatusOK)
}

// advance moves the clock and waits for the pump to act on it.
func (f *fixture) advance(d time.Duration) {
	f.t.Helper()
	f.clock.Advance(d)
	if err := f.s.Settle(testContext(f.t)); err != nil {
		f.t.Fatal(err)
	}
}

// topics returns the topic names of frames.
func topics(frames []frame) []string {
	out := make([]string, len(frames))
	for i, fr := range frames {
		out[i] = fr.TopicName
	}
	return out
}

// query encodes a query string.
func query(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return "?" + v.Encode()
}

// errorsAs is errors.As.
func errorsAs(err error, target any) bool { return errors.As(err, target) }

// itoa is strconv.Itoa, "" for 0.
func itoa(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

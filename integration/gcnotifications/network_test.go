package gcnotifications_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
	"github.com/analytics-bridge/analytics-bridge/integration/genesystest"
)

// network is the bridge's way to the stand-in: the login and API hosts
// directly, the streaming host through the relay (which can freeze or
// drop a socket, or greet a new one with a frame of its own). A test can
// hold the relay's door shut (new sockets cannot connect: an outage the
// test ends when it chooses), and it sees every request the bridge made.
type network struct {
	streaming string // host:port of the stand-in's streaming host
	relay     string // host:port of the relay

	held    atomic.Bool
	refused atomic.Int64 // dials refused while held

	mu    sync.Mutex
	calls []apiCall
}

// apiCall is one HTTP request the bridge made, and its answer.
type apiCall struct {
	Method, Path string
	Status       int    // 0: no answer
	Page         int    // a details query's paging.pageNumber
	Body         string // a subscription PUT's body: the topics
}

// errHeld is the dial error of a socket while the test holds the door.
var errHeld = errors.New("connection refused: the test holds the streaming host's door shut")

func newNetwork(g *genesys.Server, relay *genesystest.Relay) *network {
	u, _ := url.Parse(g.StreamingURL())
	return &network{streaming: u.Host, relay: relay.Addr()}
}

// client is the bridge's HTTP client (api.Options.HTTPClient): the
// channels' sockets are dialled with it too. Its idle connections are
// closed when t ends.
func (n *network) client(t testing.TB) *http.Client {
	var d net.Dialer
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr == n.streaming {
			if n.held.Load() {
				n.refused.Add(1)
				return nil, errHeld
			}
			addr = n.relay
		}
		return d.DialContext(ctx, network, addr)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: recorder{n: n, next: tr}, Timeout: 30 * time.Second}
}

// hold shuts the door: every socket dial fails until release.
func (n *network) hold() { n.held.Store(true) }

// release opens the door again.
func (n *network) release() { n.held.Store(false) }

// count is how many requests of method ("" for any) whose path starts
// with prefix were answered with status (-1 for any).
func (n *network) count(method, prefix string, status int) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	k := 0
	for _, c := range n.calls {
		if (method == "" || c.Method == method) && strings.HasPrefix(c.Path, prefix) && (status < 0 || c.Status == status) {
			k++
		}
	}
	return k
}

// queryPages is the highest pageNumber of the details queries answered 200.
func (n *network) queryPages() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	most := 0
	for _, c := range n.calls {
		if c.Path == queryPath && c.Status == http.StatusOK {
			most = max(most, c.Page)
		}
	}
	return most
}

// renewals counts the subscription PUTs on channel id answered 200 that
// repeat the topics of the one before: renewals, not changes.
func (n *network) renewals(id string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	path := "/api/v2/notifications/channels/" + id + "/subscriptions"
	k, last := 0, ""
	for _, c := range n.calls {
		if c.Method != http.MethodPut || c.Path != path || c.Status != http.StatusOK {
			continue
		}
		if c.Body == last {
			k++
		}
		last = c.Body
	}
	return k
}

// queryPath is the analytics details query.
const queryPath = "/api/v2/analytics/conversations/details/query"

// recorder records each request and its answer.
type recorder struct {
	n    *network
	next http.RoundTripper
}

func (r recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	c := apiCall{Method: req.Method, Path: req.URL.Path}
	query := req.Method == http.MethodPost && req.URL.Path == queryPath
	subscriptions := req.Method == http.MethodPut && strings.HasSuffix(req.URL.Path, "/subscriptions")
	if (query || subscriptions) && req.Body != nil {
		body, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		if query {
			var q struct {
				Paging struct {
					PageNumber int `json:"pageNumber"`
				} `json:"paging"`
			}
			_ = json.Unmarshal(body, &q)
			c.Page = q.Paging.PageNumber
		} else {
			c.Body = string(body)
		}
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	res, err := r.next.RoundTrip(req)
	if err == nil {
		c.Status = res.StatusCode
	}
	r.n.mu.Lock()
	r.n.calls = append(r.n.calls, c)
	r.n.mu.Unlock()
	return res, err
}

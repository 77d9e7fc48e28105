package api_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/clock"
	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
	"github.com/analytics-bridge/analytics-bridge/integration/genesystest"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/api"
)

const testTimeout = 20 * time.Second

// rig is an API client on a manual clock of its own (the stand-in keeps
// another), recording every attempt.
type rig struct {
	t      *testing.T
	kit    *genesystest.Kit
	clock  *clock.Manual
	client *api.Client

	mu       sync.Mutex
	attempts []api.Attempt
}

func newRig(t *testing.T, tweak func(*api.Options)) *rig {
	t.Helper()
	kit := genesystest.Start(t, genesys.Options{})
	r := &rig{t: t, kit: kit, clock: clock.NewManual(genesystest.T0())}
	o := api.Options{LoginURL: kit.Server.LoginURL(), APIURL: kit.Server.APIURL(),
		ClientID: genesys.DefaultClientID, ClientSecret: genesys.DefaultClientSecret,
		HTTPClient: kit.HTTPClient(), Clock: r.clock, Observe: r.observe}
	if tweak != nil {
		tweak(&o)
	}
	c, err := api.New(o)
	if err != nil {
		t.Fatal(err)
	}
	r.client = c
	return r
}

func (r *rig) observe(a api.Attempt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts = append(r.attempts, a)
}

func (r *rig) Attempts() []api.Attempt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]api.Attempt(nil), r.attempts...)
}

// drive runs call in the background and, each time the client is waiting
// on its clock, moves the clock by what it asked for (the last attempt's
// Wait); it returns call's error and the waits it drove.
func (r *rig) drive(call func(ctx context.Context) error) (error, []time.Duration) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- call(ctx) }()
	var waits []time.Duration
	for {
		select {
		case err := <-done:
			return err, waits
		case <-ctx.Done():
			r.t.Fatal("call still running after the test timeout")
		case <-time.After(2 * time.Millisecond):
		}
		if r.clock.Waiters() == 0 {
			continue
		}
		as := r.Attempts()
		d := as[len(as)-1].Wait
		waits = append(waits, d)
		r.clock.Advance(d)
	}
}

// Retry-After is honoured, on the client's clock, until the call goes
// through.
func TestThrottledCallWaitsRetryAfter(t *testing.T) {
	r := newRig(t, nil)
	r.kit.Server.Throttle("/api/v2/notifications/channels", 2, 7*time.Second)
	var ch api.Channel
	err, waits := r.drive(func(ctx context.Context) error {
		var err error
		ch, err = r.client.CreateChannel(ctx)
		return err
	})
	if err != nil || ch.ID == "" {
		t.Fatalf("CreateChannel: %+v, %v", ch, err)
	}
	if len(waits) != 2 || waits[0] != 7*time.Second || waits[1] != 7*time.Second {
		t.Errorf("waits %v, want two of Retry-After's 7s", waits)
	}
	as := r.Attempts()
	if len(as) != 3 || as[0].Status != 429 || as[0].Reason != "rate_limited" || as[2].Status != 200 {
		t.Errorf("attempts %+v, want 429, 429, 200", as)
	}
}

// A Retry-After beyond 180 s ends the call at once with ErrRateLimited;
// 180 s itself is waited.
func TestThrottledCallGivesUpBeyond180s(t *testing.T) {
	r := newRig(t, nil)
	r.kit.Server.Throttle("/api/v2/notifications/channels", 1, 181*time.Second)
	err, waits := r.drive(func(ctx context.Context) error {
		_, err := r.client.CreateChannel(ctx)
		return err
	})
	if !errors.Is(err, api.ErrRateLimited) || api.StatusOf(err) != 429 || !strings.Contains(err.Error(), "3m1s") {
		t.Errorf("error %v, want ErrRateLimited naming the 3m1s asked for", err)
	}
	if len(waits) != 0 {
		t.Errorf("waited %v before giving up, want no wait", waits)
	}
	// The 429's inin-ratelimit-reset also said the window is used up for
	// 181 s: a call before then fails without a request.
	if _, err := r.client.CreateChannel(context.Background()); !errors.Is(err, api.ErrRateLimited) || !strings.Contains(err.Error(), "window is used up") {
		t.Errorf("a call in the used-up window: %v, want ErrRateLimited", err)
	}
	r.clock.Advance(181 * time.Second)

	r.kit.Server.Throttle("/api/v2/notifications/channels", 1, 180*time.Second)
	err, waits = r.drive(func(ctx context.Context) error {
		_, err := r.client.CreateChannel(ctx)
		return err
	})
	if err != nil || len(waits) != 1 || waits[0] != 180*time.Second {
		t.Errorf("Retry-After 180s: %v after waits %v, want success after one wait of 3m0s", err, waits)
	}
}

// 5xx are retried with backoff, up to Max5xx; 501 is not retried.
func TestServerErrorsRetriedButNot501(t *testing.T) {
	r := newRig(t, func(o *api.Options) { o.Max5xx = 3 })
	path := "/api/v2/notifications/channels"

	r.kit.Server.FailNext(path, http.StatusServiceUnavailable, 2)
	err, waits := r.drive(func(ctx context.Context) error { _, err := r.client.CreateChannel(ctx); return err })
	if err != nil || len(waits) != 2 {
		t.Errorf("two 503s: %v after %d waits, want success after 2", err, len(waits))
	}
	for _, w := range waits {
		if w < 500*time.Millisecond || w > 30*time.Second {
			t.Errorf("backoff %s outside [0.5s, 30s]", w)
		}
	}

	r.kit.Server.FailNext(path, http.StatusInternalServerError, 4)
	err, waits = r.drive(func(ctx context.Context) error { _, err := r.client.CreateChannel(ctx); return err })
	if api.StatusOf(err) != 500 || len(waits) != 3 || !strings.Contains(err.Error(), "4 failures in a row") {
		t.Errorf("four 500s: %v after %d waits, want 500 after 3 retries", err, len(waits))
	}

	r.kit.Server.FailNext(path, http.StatusNotImplemented, 1)
	err, waits = r.drive(func(ctx context.Context) error { _, err := r.client.CreateChannel(ctx); return err })
	if api.StatusOf(err) != 501 || len(waits) != 0 {
		t.Errorf("501: %v after %d waits, want 501 at once", err, len(waits))
	}
}

// A 401 drops the token: the call is made again with a new one.
func TestUnauthorizedFetchesANewToken(t *testing.T) {
	r := newRig(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	ch, err := r.client.CreateChannel(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.kit.Server.ExpireTokens()
	exists, err := r.client.ChannelExists(ctx, ch.ID)
	if err != nil || !exists {
		t.Fatalf("ChannelExists after the token expired: %v, %v; want true with a new token", exists, err)
	}
	as := r.Attempts()
	if n := len(as); n < 2 || as[n-2].Status != 401 || as[n-2].Reason != "unauthorized" || as[n-1].Status != 200 {
		t.Errorf("attempts %+v, want a 401 then a 200", as)
	}
	if exists, err := r.client.ChannelExists(ctx, "streaming-0-nosuchchannel"); err != nil || exists {
		t.Errorf("ChannelExists of an unknown channel: %v, %v; want false (404)", exists, err)
	}
}

// With ignoreErrors=true a topic the client may not have is listed as
// rejected with the permission it lacks; the rest are subscribed.
func TestSetSubscriptionsListsRejections(t *testing.T) {
	kit := genesystest.Start(t, genesys.Options{Clients: []genesys.Client{{ID: "c", Secret: "s",
		Permissions: []string{genesys.PermQueueView}}}})
	c, err := api.New(api.Options{LoginURL: kit.Server.LoginURL(), APIURL: kit.Server.APIURL(), ClientID: "c", ClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	ch, err := c.CreateChannel(ctx)
	if err != nil {
		t.Fatal(err)
	}
	q := genesys.QueueConversationsTopic(kit.Server.Queues()[0].ID)
	detail := "v2.detail.events.conversation.c-1.customer.start"
	subs, err := c.SetSubscriptions(ctx, ch.ID, []string{q, detail})
	if err != nil {
		t.Fatal(err)
	}
	if len(subs.Permitted) != 1 || subs.Permitted[0] != q {
		t.Errorf("permitted %v, want [%s]", subs.Permitted, q)
	}
	if len(subs.Rejected) != 1 || subs.Rejected[0].Topic != detail ||
		strings.Join(subs.Rejected[0].MissingPermissions, ",") != genesys.PermConversationDetailView {
		t.Errorf("rejected %+v, want %s missing %s", subs.Rejected, detail, genesys.PermConversationDetailView)
	}
}

// An answer saying the rate-limit window is used up holds the next
// request until it resets; a reset beyond MaxWait fails the next call
// without sending it.
func TestUsedUpWindowHoldsTheNextRequest(t *testing.T) {
	var mu sync.Mutex
	reset, requests := "30", 0
	api_ := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		requests++
		w.Header().Set("inin-ratelimit-allowed", "300")
		w.Header().Set("inin-ratelimit-count", "300")
		w.Header().Set("inin-ratelimit-reset", reset)
		w.WriteHeader(http.StatusOK)
	}))
	defer api_.Close()
	login := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"t","token_type":"bearer","expires_in":86400}`))
	}))
	defer login.Close()
	clk := clock.NewManual(genesystest.T0())
	var held []time.Duration
	c, err := api.New(api.Options{LoginURL: login.URL, APIURL: api_.URL, ClientID: "c", ClientSecret: "s", Clock: clk,
		Observe: func(a api.Attempt) { held = append(held, a.Held) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if _, err := c.ChannelExists(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := c.ChannelExists(ctx, "x"); done <- err }()
	genesystest.WaitFor(t, testTimeout, "the second request to be held", func() bool { return clk.Waiters() == 1 })
	mu.Lock()
	if requests != 1 {
		t.Errorf("%d requests before the window reset, want 1", requests)
	}
	reset = "600"
	mu.Unlock()
	clk.Advance(30 * time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(held) != 2 || held[1] != 30*time.Second {
		t.Errorf("held %v, want the second request held 30s", held)
	}
	_, err = c.ChannelExists(ctx, "x")
	if !errors.Is(err, api.ErrRateLimited) || requests != 2 {
		t.Errorf("window used up for 10 min: %v after %d requests, want ErrRateLimited without a third request", err, requests)
	}
}

// Credentials the login host refuses are ErrCredentials: retrying cannot
// help.
func TestRefusedCredentials(t *testing.T) {
	kit := genesystest.Start(t, genesys.Options{})
	c, err := api.New(api.Options{LoginURL: kit.Server.LoginURL(), APIURL: kit.Server.APIURL(), ClientID: genesys.DefaultClientID, ClientSecret: "wrong"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateChannel(context.Background())
	if !errors.Is(err, api.ErrCredentials) || !errors.Is(err, api.ErrToken) {
		t.Errorf("wrong secret: %v, want ErrCredentials", err)
	}
}

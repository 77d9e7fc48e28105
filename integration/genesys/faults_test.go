package genesys

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// "429 with Retry-After ... Headers inin-ratelimit-allowed,
// inin-ratelimit-count, inin-ratelimit-reset"; the SDKs "retry 5xx except
// 501".
func TestThrottleAndFailNext(t *testing.T) {
	f := newFixture(t, Options{})
	day := map[string]any{"interval": "2026-11-30T00:00:00Z/2026-11-30T01:00:00Z"}
	f.s.Throttle("/api/v2/analytics", 2, 61*time.Second)
	f.s.FailNext(channelsPath, http.StatusServiceUnavailable, 1)
	for i, tc := range []struct {
		method, path string
		body         any
		status       int
	}{
		{http.MethodPost, detailsPath + "/query", day, 429},
		{http.MethodGet, channelsPath, nil, 503},
		{http.MethodGet, channelsPath, nil, 200},
		{http.MethodPost, detailsPath + "/jobs", day, 429},
		{http.MethodPost, detailsPath + "/query", day, 200},
	} {
		r := f.api(tc.method, tc.path, tc.body)
		if r.status != tc.status {
			t.Fatalf("request %d %s %s: %d %s, want %d", i, tc.method, tc.path, r.status, r.body, tc.status)
		}
		var e errorBody
		if tc.status != 200 {
			r.decode(t, &e)
			checkModel(t, r.body, "ErrorBody")
		}
		if tc.status == 429 {
			h := r.header
			if h.Get("Retry-After") != "61" || h.Get("inin-ratelimit-allowed") != "300" ||
				h.Get("inin-ratelimit-count") != "301" || h.Get("inin-ratelimit-reset") != "61" ||
				e.Code != "too.many.requests" || e.Status != 429 {
				t.Fatalf("429 headers %v body %s", h, r.body)
			}
		}
	}
	// "" throttles every host: the token endpoint too
	f.s.Throttle("", 1, time.Second)
	req, _ := http.NewRequest(http.MethodPost, f.s.LoginURL()+TokenPath, strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(DefaultClientID, DefaultClientSecret)
	if r := send(t, req); r.status != 429 || r.header.Get("Retry-After") != "1" {
		t.Fatalf("throttled token request: %d %v", r.status, r.header)
	}
}

// The admin API: faults and the ledger for a test in another process. It
// takes no token and is never throttled.
func TestAdminAPI(t *testing.T) {
	f := newFixture(t, Options{})
	id, uri := f.newChannel()
	c := dial(t, uri)
	admin := func(method, path string, want int) response {
		t.Helper()
		return ok(t, f.call("", method, adminPrefix+path, nil), want)
	}
	f.s.Throttle("", 5, time.Second) // not for the admin API
	admin(http.MethodPost, "throttle?path=/api/v2/routing&n=1&retryAfter=3s", http.StatusNoContent)
	for range 5 { // spend the "" rule
		f.api(http.MethodGet, channelsPath, nil)
	}
	if r := f.api(http.MethodGet, queuesPath, nil); r.status != 429 || r.header.Get("Retry-After") != "3" {
		t.Fatalf("after /admin/throttle: %d %v", r.status, r.header)
	}
	admin(http.MethodPost, "fail?path="+queuesPath+"&status=502", http.StatusNoContent)
	ok(t, f.api(http.MethodGet, queuesPath, nil), http.StatusBadGateway)

	var added map[string][]string
	admin(http.MethodPost, "conversations?n=2&every=1s", http.StatusOK).decode(t, &added)
	if len(added["conversationIds"]) != 2 {
		t.Fatalf("conversations: %v", added)
	}
	admin(http.MethodPost, "channels/"+id+"/socket-closing", http.StatusNoContent)
	if fr := c.next(); fr.TopicName != TopicSocketClosing {
		t.Fatalf("got %s", fr.raw)
	}
	admin(http.MethodPost, "channels/"+id+"/drop?code=1001", http.StatusNoContent)
	c.closed()
	admin(http.MethodPost, "channels/no-such/socket-closing", http.StatusNotFound)
	admin(http.MethodPost, "conversations?n=many", http.StatusBadRequest)
	admin(http.MethodPost, "repeat-rows?n=1", http.StatusNoContent)
	admin(http.MethodPost, "fail-jobs?n=1", http.StatusNoContent)
	admin(http.MethodPost, "channels/"+id+"/no-longer-subscribed", http.StatusNoContent)
	ok(t, f.api(http.MethodHead, channelsPath+"/"+id, nil), http.StatusNotFound)

	f.advance(time.Hour)
	var sum Summary
	admin(http.MethodGet, "ledger", http.StatusOK).decode(t, &sum)
	if sum.Conversations != 2 || sum.Ended != 2 || sum.Published == 0 || sum.Sockets != 1 {
		t.Fatalf("ledger summary %+v", sum)
	}
	admin(http.MethodPost, "expire-tokens", http.StatusNoContent)
	ok(t, f.api(http.MethodGet, channelsPath, nil), http.StatusUnauthorized)
	raw, _ := json.Marshal(sum)
	if !strings.Contains(string(raw), `"delivered":`) {
		t.Fatalf("summary JSON %s", raw)
	}
}

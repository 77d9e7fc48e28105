package api

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestJudge(t *testing.T) {
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	l := limits{maxWait: 180 * time.Second, max429: 5, max5xx: 3, unauthRetry: true}
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	const backoff = 2 * time.Second
	for _, c := range []struct {
		name   string
		status int
		header http.Header
		tries  int
		retry  bool
		wait   time.Duration
		reason string
		giveUp string // a substring; "" for none
	}{
		{"429 with Retry-After", 429, h("Retry-After", "7"), 1, true, 7 * time.Second, "rate_limited", ""},
		{"429 with an HTTP-date Retry-After", 429, h("Retry-After", now.Add(90*time.Second).Format(http.TimeFormat)), 1, true, 90 * time.Second, "rate_limited", ""},
		{"429 with only inin-ratelimit-reset", 429, h("inin-ratelimit-reset", "61"), 1, true, 61 * time.Second, "rate_limited", ""},
		{"429 with nothing: backoff", 429, h(), 1, true, backoff, "rate_limited", ""},
		{"429 at the limit", 429, h("Retry-After", "180"), 1, true, 180 * time.Second, "rate_limited", ""},
		{"429 beyond the limit", 429, h("Retry-After", "181"), 1, false, 181 * time.Second, "rate_limited", "beyond the 3m0s"},
		{"429 too often", 429, h("Retry-After", "1"), 6, false, time.Second, "rate_limited", "6 answers of 429"},
		{"503", 503, h(), 1, true, backoff, "server_error", ""},
		{"503 asking for longer", 503, h("Retry-After", "20"), 1, true, 20 * time.Second, "server_error", ""},
		{"500 too often", 500, h(), 4, false, backoff, "server_error", "4 failures"},
		{"501 is final", 501, h(), 1, false, 0, "", ""},
		{"no answer", 0, nil, 1, true, backoff, "network", ""},
		{"401 once", 401, h(), 1, true, 0, "unauthorized", ""},
		{"401 twice is final", 401, h(), 2, false, 0, "", ""},
		{"403 is final", 403, h(), 1, false, 0, "", ""},
		{"404 is final", 404, h(), 1, false, 0, "", ""},
		{"400 is final", 400, h("Retry-After", "5"), 1, false, 0, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := judge(c.status, c.header, c.tries, backoff, now, l)
			if v.retry != c.retry || v.wait != c.wait || v.reason != c.reason {
				t.Errorf("judge = %+v, want retry %v wait %s reason %q", v, c.retry, c.wait, c.reason)
			}
			if (c.giveUp == "") != (v.giveUp == "") || !strings.Contains(v.giveUp, c.giveUp) {
				t.Errorf("giveUp %q, want %q", v.giveUp, c.giveUp)
			}
		})
	}
}

func TestExhausted(t *testing.T) {
	for _, c := range []struct {
		allowed, count, reset string
		want                  time.Duration
	}{
		{"180", "1", "61", 0},
		{"180", "179", "61", 0},
		{"180", "180", "61", 61 * time.Second},
		{"300", "301", "5", 5 * time.Second},
		{"", "301", "5", 0},
		{"300", "x", "5", 0},
		{"0", "1", "5", 0},
	} {
		h := http.Header{}
		h.Set(headerLimitAllowed, c.allowed)
		h.Set(headerLimitCount, c.count)
		h.Set(headerLimitReset, c.reset)
		if got := exhausted(h); got != c.want {
			t.Errorf("allowed %s count %s reset %s: %s, want %s", c.allowed, c.count, c.reset, got, c.want)
		}
	}
}

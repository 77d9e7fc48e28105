package sim

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// pausedLedger lets the server generate at least n events, pauses it and
// returns the (now stable) ledger.
func pausedLedger(t *testing.T, s *Server, n int) []LedgerEntry {
	t.Helper()
	if err := s.WaitEmitted(testContext(t), n); err != nil {
		t.Fatal(err)
	}
	s.Pause()
	return s.Ledger()
}

// groupStart finds an index i > 0 whose event starts a same-timestamp group
// of at least two events, strictly later than the event before it.
func groupStart(t *testing.T, l []LedgerEntry) int {
	t.Helper()
	for i := 10; i+1 < len(l)-5; i++ {
		if l[i].Time.After(l[i-1].Time) && l[i+1].Time.Equal(l[i].Time) {
			return i
		}
	}
	t.Fatal("no group of events sharing a timestamp in the ledger")
	return 0
}

func TestSinceIsInclusive(t *testing.T) {
	s := newTestServer(t, Config{Rate: 1000, StaticTokens: []string{"tok"}})
	l := pausedLedger(t, s, 200)
	i := groupStart(t, l)

	t.Run("exactly at since", func(t *testing.T) {
		// The boundary group is replayed whole; the event just before is not.
		c := dial(t, s, "tok", l[i].Time.Format(TimestampLayout))
		got := ids(t, c.events(len(l)-i))
		if want := ledgerIDs(l[i:]); !slices.Equal(got, want) {
			t.Fatalf("replay from %s: %s", l[i].Time, firstDiff(got, want))
		}
		c.expectOnlyPong()
	})
	t.Run("just after", func(t *testing.T) {
		j := i
		for l[j].Time.Equal(l[i].Time) {
			j++
		}
		c := dial(t, s, "tok", rfc3339(l[i].Time.Add(time.Microsecond)))
		got := ids(t, c.events(len(l)-j))
		if want := ledgerIDs(l[j:]); !slices.Equal(got, want) {
			t.Fatalf("replay from just after %s: %s", l[i].Time, firstDiff(got, want))
		}
		c.expectOnlyPong()
	})
	if got := s.Connections(); len(got) != 2 || got[0].Since != l[i].Time.Format(TimestampLayout) || got[0].Token != "tok" {
		t.Fatalf("Connections() = %+v", got)
	}
}

func TestReplayThenLiveHasNoGapOrDuplicate(t *testing.T) {
	s := newTestServer(t, Config{Rate: 1000, BatchSize: 7, StaticTokens: []string{"tok"}})
	ctx := testContext(t)
	if err := s.WaitEmitted(ctx, 150); err != nil {
		t.Fatal(err)
	}
	since := s.Ledger()[50].Time
	// Connect while the generator runs: the switch from replay to live
	// happens at an arbitrary point in the stream.
	c := dial(t, s, "tok", since.Format(TimestampLayout))
	if err := s.WaitEmitted(ctx, s.Emitted()+300); err != nil {
		t.Fatal(err)
	}
	s.Pause()
	l := s.Ledger()
	first := 0
	for l[first].Time.Before(since) {
		first++
	}
	want := ledgerIDs(l[first:])
	got := ids(t, c.events(len(want)))
	if !slices.Equal(got, want) {
		t.Fatalf("replay+live: %s", firstDiff(got, want))
	}
	c.expectOnlyPong()
}

func TestLiveWithoutSinceStartsNow(t *testing.T) {
	s := newTestServer(t, Config{Rate: 1000, StaticTokens: []string{"tok"}})
	l := pausedLedger(t, s, 50)
	c := dial(t, s, "tok", "")
	s.Resume()
	evs := c.events(20)
	seen := map[string]bool{}
	for _, e := range l {
		seen[e.ID] = true
	}
	for _, id := range ids(t, evs) {
		if seen[id] {
			t.Fatalf("event %s from before the connection was sent without since", id)
		}
	}
}

func TestRetention(t *testing.T) {
	s := newTestServer(t, Config{Rate: 1000, Retention: time.Second, StaticTokens: []string{"tok"}})

	resp, body := dialFail(t, s, "tok", "since="+url.QueryEscape(rfc3339(time.Now().Add(-time.Hour))))
	if resp.StatusCode != http.StatusBadRequest || body.Code != "bad.request" || body.Status != 400 ||
		!strings.Contains(body.Message, "retention") || !strings.Contains(body.Message, "oldest retained time") {
		t.Fatalf("too-old since: %d %+v", resp.StatusCode, body)
	}

	// Older events are pruned from the replay log but stay in the ledger.
	start := time.Now()
	ctx := testContext(t)
	for time.Since(start) < 1500*time.Millisecond {
		if err := s.WaitEmitted(ctx, s.Emitted()+50); err != nil {
			t.Fatal(err)
		}
	}
	s.Pause()
	since := time.Now().Add(-500 * time.Millisecond)
	s.mu.Lock()
	retained, ledger := len(s.retained), len(s.ledger)
	s.mu.Unlock()
	if retained >= ledger {
		t.Fatalf("retained %d of %d events: nothing pruned", retained, ledger)
	}
	l := s.Ledger()
	var want []string
	for _, e := range l {
		if !e.Time.Before(since) {
			want = append(want, e.ID)
		}
	}
	c := dial(t, s, "tok", rfc3339(since))
	if got := ids(t, c.events(len(want))); !slices.Equal(got, want) {
		t.Fatalf("replay inside retention: %s", firstDiff(got, want))
	}
	c.expectOnlyPong()
}

func TestUpgradeErrors(t *testing.T) {
	s := newTestServer(t, Config{Rate: 100, StaticTokens: []string{"tok"}})
	expired := s.IssueToken(time.Nanosecond)
	const badCredentials = `{"message":"Invalid login credentials.","code":"bad.credentials","status":401}`

	for _, tc := range []struct {
		name, token string
	}{{"missing", ""}, {"unknown", "nope"}, {"expired", expired}} {
		t.Run("401 "+tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.token != "" {
				h.Set("Authorization", "Bearer "+tc.token)
			}
			resp, b := httpDo(t, http.MethodGet, httpURL(s.EventsURL()), h, nil)
			if resp.StatusCode != http.StatusUnauthorized || strings.TrimSpace(string(b)) != badCredentials {
				t.Fatalf("got %d %s", resp.StatusCode, b)
			}
			// The same through a real WebSocket handshake.
			if resp, body := dialFail(t, s, tc.token, ""); resp.StatusCode != 401 || body.Code != "bad.credentials" {
				t.Fatalf("dial: %d %+v", resp.StatusCode, body)
			}
		})
	}

	for _, tc := range []struct {
		name, query, word string
	}{
		{"malformed", "since=yesterday", "malformed"},
		{"malformed no zone", "since=2026-11-28T10:15:30", "malformed"},
		{"malformed repeated", "since=" + url.QueryEscape(rfc3339(time.Now())) + "&since=" + url.QueryEscape(rfc3339(time.Now())), "malformed"},
		{"future", "since=" + url.QueryEscape(rfc3339(time.Now().Add(time.Minute))), "future"},
		{"retention", "since=" + url.QueryEscape(rfc3339(time.Now().Add(-2*time.Hour))), "retention"},
		{"unknown parameter", "from=1", `"from"`},
	} {
		t.Run("400 "+tc.name, func(t *testing.T) {
			resp, body := dialFail(t, s, "tok", tc.query)
			if resp.StatusCode != http.StatusBadRequest || body.Code != "bad.request" || body.Status != 400 ||
				!strings.Contains(body.Message, tc.word) {
				t.Fatalf("got %d %+v, want 400 bad.request mentioning %s", resp.StatusCode, body, tc.word)
			}
		})
	}

	t.Run("405 and 404", func(t *testing.T) {
		resp, b := httpDo(t, http.MethodPost, httpURL(s.EventsURL()), nil, nil)
		if resp.StatusCode != http.StatusMethodNotAllowed || !strings.Contains(string(b), `"status":405`) {
			t.Fatalf("POST events: %d %s", resp.StatusCode, b)
		}
		resp, b = httpDo(t, http.MethodGet, strings.Replace(s.TokenURL(), "/oauth/token", "/api/v2/other", 1), nil, nil)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(b), `"status":404`) {
			t.Fatalf("GET unknown path: %d %s", resp.StatusCode, b)
		}
	})

	t.Run("GET without upgrade", func(t *testing.T) {
		resp, b := httpDo(t, http.MethodGet, httpURL(s.EventsURL()), http.Header{"Authorization": {"Bearer tok"}}, nil)
		if resp.StatusCode < 400 {
			t.Fatalf("plain GET: %d %s", resp.StatusCode, b)
		}
		if s.Active() != 0 {
			t.Fatalf("Active() = %d after a failed upgrade", s.Active())
		}
	})

	if n := len(s.Connections()); n != 0 {
		t.Fatalf("%d connections recorded for refused upgrades", n)
	}
}

func TestRefuseNext(t *testing.T) {
	s := newTestServer(t, Config{Rate: 100, StaticTokens: []string{"tok"}})

	s.RefuseNext(2, http.StatusTooManyRequests, 1500*time.Millisecond)
	for i := range 2 {
		resp, body := dialFail(t, s, "tok", "")
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" || body.Status != 429 {
			t.Fatalf("attempt %d: %d Retry-After=%q %+v", i, resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
	}
	dial(t, s, "tok", "").expectPong()

	s.RefuseNext(1, http.StatusServiceUnavailable, 0)
	resp, body := dialFail(t, s, "tok", "")
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "" || body.Status != 503 {
		t.Fatalf("503: %d Retry-After=%q %+v", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	dial(t, s, "tok", "").expectPong()
}

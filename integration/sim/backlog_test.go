package sim

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

func TestPreloadBacklog(t *testing.T) {
	s := newTestServer(t, Config{Rate: 1e-9, BatchSize: 50, StaticTokens: []string{"tok"}})
	s.Pause()
	const n, size = 1000, 504
	before := time.Now()
	first, err := s.Preload(Backlog{Events: n, EventBytes: size, Span: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	l := s.Ledger()
	if len(l) != n {
		t.Fatalf("ledger holds %d events, want %d", len(l), n)
	}
	if !l[0].Time.Equal(first) || first.Before(before.Add(-10*time.Second-time.Millisecond)) {
		t.Fatalf("first event time %s, returned %s", l[0].Time, first)
	}
	seen := map[string]bool{}
	for i, e := range l {
		if len(e.Raw) > size || len(e.Raw) < size-13 {
			t.Fatalf("event %d is %d bytes, want about %d: %s", i, len(e.Raw), size, e.Raw)
		}
		var ev struct {
			ID        string `json:"id"`
			Timestamp string `json:"timestamp"`
			Body      struct {
				ConversationID string `json:"conversationId"`
			} `json:"eventBody"`
		}
		if err := json.Unmarshal(e.Raw, &ev); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if ev.ID == "" || ev.ID != e.ID || seen[ev.ID] || ev.Body.ConversationID == "" || ev.Timestamp != e.Time.Format(TimestampLayout) {
			t.Fatalf("event %d: id %q (ledger %q, seen %v), conversation %q, timestamp %q (ledger %s)",
				i, ev.ID, e.ID, seen[ev.ID], ev.Body.ConversationID, ev.Timestamp, e.Time)
		}
		seen[ev.ID] = true
		if i > 0 && e.Time.Before(l[i-1].Time) {
			t.Fatalf("event %d is older than event %d", i, i-1)
		}
	}

	// A client from the first time gets the whole backlog as replay.
	c := dial(t, s, "tok", rfc3339(first))
	got := c.events(n)
	if !slices.Equal(ids(t, got), ledgerIDs(l)) {
		t.Fatalf("replay differs from the ledger: %s", firstDiff(ids(t, got), ledgerIDs(l)))
	}

	// Zero EventBytes keeps events as generated; ids never repeat the
	// generator's or an earlier backlog's.
	if _, err := s.Preload(Backlog{Events: 100}); err != nil {
		t.Fatal(err)
	}
	for _, e := range s.Ledger()[n:] {
		if seen[e.ID] {
			t.Fatalf("id %s repeated", e.ID)
		}
		if len(e.Raw) < 543 {
			t.Fatalf("unsized event of %d bytes: %s", len(e.Raw), e.Raw)
		}
	}
	if _, err := s.Preload(Backlog{Events: 10, Span: 2 * time.Hour}); err == nil {
		t.Fatal("Preload accepted a span beyond the retention")
	}
}

package sim

import (
	"encoding/json"
	"testing"
	"time"
)

// reconnectResult is what a client received across one dropped connection,
// checked against the ledger.
type reconnectResult struct {
	missing, duplicates, received int
}

// runReconnect connects, receives some events, loses the connection to a
// TCP reset, stays away while the server emits more, reconnects (with
// since = the last event time seen, or naively without since) and reads
// until it has the last event emitted.
func runReconnect(t *testing.T, withSince bool) reconnectResult {
	t.Helper()
	s := newTestServer(t, Config{Rate: 1000, StaticTokens: []string{"tok"}})
	ctx := testContext(t)

	c := dial(t, s, "tok", "")
	got := c.events(30)
	s.ResetConnections()
	more, err := c.closed()
	if !isReset(err) {
		t.Fatalf("first connection ended with %v, want a reset", err)
	}
	got = append(got, more...)

	// Away while 50 more events happen: none of them can reach the dead
	// connection.
	if err := s.WaitEmitted(ctx, s.Emitted()+50); err != nil {
		t.Fatal(err)
	}
	since := ""
	if withSince {
		var last eventInfo
		if err := json.Unmarshal(got[len(got)-1], &last); err != nil {
			t.Fatal(err)
		}
		since = last.Timestamp
	}
	d := dial(t, s, "tok", since)
	if err := s.WaitEmitted(ctx, s.Emitted()+50); err != nil {
		t.Fatal(err)
	}
	s.Pause()
	l := s.Ledger()
	lastID := l[len(l)-1].ID
	dl := deadline()
	for done := false; !done; {
		m, ok := d.next(dl)
		if !ok {
			t.Fatalf("second connection ended: %v", d.err)
		}
		for _, raw := range m.events {
			got = append(got, raw)
			done = done || eventID(t, raw) == lastID
		}
	}

	received := map[string]int{}
	for _, id := range ids(t, got) {
		received[id]++
	}
	first := -1
	for i, e := range l {
		if e.ID == ids(t, got[:1])[0] {
			first = i
			break
		}
	}
	if first < 0 {
		t.Fatal("first received event is not in the ledger")
	}
	r := reconnectResult{received: len(got)}
	for _, e := range l[first:] {
		if received[e.ID] == 0 {
			r.missing++
		}
	}
	for _, n := range received {
		r.duplicates += n - 1
	}
	t.Logf("since=%q: received %d, missing %d, duplicates %d of %d ledger events", since, r.received, r.missing, r.duplicates, len(l)-first)
	return r
}

func TestNaiveReconnectLosesEvents(t *testing.T) {
	r := runReconnect(t, false)
	if r.missing < 50 {
		t.Fatalf("a client reconnecting without since missed %d events, want at least the 50 emitted while it was away", r.missing)
	}
	if r.duplicates != 0 {
		t.Fatalf("%d duplicates without since", r.duplicates)
	}
}

func TestReconnectWithSinceLosesNothing(t *testing.T) {
	start := time.Now()
	r := runReconnect(t, true)
	if r.missing != 0 {
		t.Fatalf("a client reconnecting with since missed %d events", r.missing)
	}
	// Boundary duplicates are allowed (and expected often): the whole
	// group at the since timestamp is replayed.
	t.Logf("took %v", time.Since(start))
}

package sim

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestConfigValidation(t *testing.T) {
	_, err := New(Config{Rate: -1, BatchSize: -2, LateRatio: 2, StaticTokens: []string{""}})
	if err == nil {
		t.Fatal("New accepted a bad config")
	}
	for _, want := range []string{"rate", "batch size", "late ratio", "static token"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not report %s", err, want)
		}
	}
	if _, err := New(Config{Addr: "256.0.0.1:99999"}); err == nil {
		t.Fatal("New accepted a bad address")
	}

	// Defaults are filled on a copy.
	cfg := Config{}
	s := newTestServer(t, cfg)
	if cfg.Rate != 0 || s.Config().Rate != DefaultRate || s.Config().BatchSize != DefaultBatchSize {
		t.Fatalf("defaults: caller %+v, effective %+v", cfg, s.Config())
	}
	if !strings.HasPrefix(s.EventsURL(), "ws://127.0.0.1:") || !strings.HasSuffix(s.EventsURL(), EventsPath) ||
		!strings.HasSuffix(s.TokenURL(), TokenPath) || !strings.HasSuffix(s.AdminURL(), AdminPath) {
		t.Fatalf("URLs: %s %s %s", s.EventsURL(), s.TokenURL(), s.AdminURL())
	}
}

// contentOf decodes an event without its time fields, for comparing runs.
func contentOf(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	m := contentWithTime(t, raw)
	delete(m, "timestamp")
	delete(m, "eventTime")
	return m
}

func runToDone(t *testing.T, cfg Config) []LedgerEntry {
	t.Helper()
	s := newTestServer(t, cfg)
	select {
	case <-s.Done():
	case <-testContext(t).Done():
		t.Fatalf("MaxEvents not reached; emitted %d", s.Emitted())
	}
	l := s.Ledger()
	if len(l) != cfg.MaxEvents || s.Emitted() != cfg.MaxEvents {
		t.Fatalf("ledger has %d events, emitted %d, want %d", len(l), s.Emitted(), cfg.MaxEvents)
	}
	return l
}

func TestSameSeedSameContent(t *testing.T) {
	const n = 300
	a := runToDone(t, Config{Seed: 7, Rate: 5000, MaxEvents: n})
	b := runToDone(t, Config{Seed: 7, Rate: 5000, MaxEvents: n})
	c := runToDone(t, Config{Seed: 8, Rate: 5000, MaxEvents: n})

	for i := range n {
		if a[i].Seq != i+1 {
			t.Fatalf("entry %d has Seq %d", i, a[i].Seq)
		}
		if a[i].ID != b[i].ID || !reflect.DeepEqual(contentOf(t, a[i].Raw), contentOf(t, b[i].Raw)) {
			t.Fatalf("seed 7 runs differ at %d:\n%s\n%s", i, a[i].Raw, b[i].Raw)
		}
	}
	same := 0
	for i := range n {
		if a[i].ID == c[i].ID {
			same++
		}
	}
	if same > 0 {
		t.Fatalf("seeds 7 and 8 share %d ids", same)
	}

	// The contents look like the upstream's: several events per
	// conversation, several per timestamp, varied topics.
	convs, topics, sharedTime := map[string]int{}, map[string]bool{}, 0
	for i, e := range a {
		var ev struct {
			ID        string `json:"id"`
			TopicName string `json:"topicName"`
			Version   string `json:"version"`
			Timestamp string `json:"timestamp"`
			EventBody struct {
				ConversationID, ParticipantID, SessionID, QueueID, MediaType string
			} `json:"eventBody"`
			Metadata struct {
				CorrelationID string `json:"CorrelationId"`
			} `json:"metadata"`
		}
		if err := json.Unmarshal(e.Raw, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.ID != e.ID || ev.Version != "2" || ev.Metadata.CorrelationID == "" || ev.EventBody.ParticipantID == "" ||
			ev.EventBody.SessionID == "" || ev.EventBody.QueueID == "" || ev.EventBody.MediaType == "" ||
			!strings.HasPrefix(ev.TopicName, "v2.detail.events.conversation."+ev.EventBody.ConversationID+".") {
			t.Fatalf("malformed event %s", e.Raw)
		}
		if ts, err := time.Parse(TimestampLayout, ev.Timestamp); err != nil || !ts.Equal(e.Time) {
			t.Fatalf("timestamp %q vs ledger time %v: %v", ev.Timestamp, e.Time, err)
		}
		if i > 0 && e.Time.Before(a[i-1].Time) {
			t.Fatalf("event %d is earlier than event %d without lateness", i, i-1)
		}
		if i > 0 && e.Time.Equal(a[i-1].Time) {
			sharedTime++
		}
		convs[ev.EventBody.ConversationID]++
		topics[ev.TopicName[strings.LastIndex(ev.TopicName[:strings.LastIndex(ev.TopicName, ".")], ".")+1:]] = true
	}
	if len(convs) >= n/2 || sharedTime == 0 || len(topics) < 6 {
		t.Fatalf("%d conversations, %d shared timestamps, topics %v", len(convs), sharedTime, topics)
	}
}

func TestLateEvents(t *testing.T) {
	const lateness = 100 * time.Millisecond
	l := runToDone(t, Config{Rate: 2000, MaxEvents: 1000, Lateness: lateness, LateRatio: 0.3})
	var newest time.Time
	late := 0
	seen := map[string]bool{}
	for _, e := range l {
		if seen[e.ID] {
			t.Fatalf("id %s emitted twice", e.ID)
		}
		seen[e.ID] = true
		if e.Time.Before(newest) {
			late++
			if lag := newest.Sub(e.Time); lag > lateness {
				t.Fatalf("event %d is %v late, more than %v", e.Seq, lag, lateness)
			}
		} else {
			newest = e.Time
		}
	}
	if late == 0 {
		t.Fatal("no late event with LateRatio 0.3")
	}
}

func TestIDLess(t *testing.T) {
	s := newTestServer(t, Config{Rate: 1000, IDLess: true, SingleObjectRatio: -1, StaticTokens: []string{"tok"}})
	l := pausedLedger(t, s, 60)
	for _, e := range l {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(e.Raw, &m); err != nil {
			t.Fatal(err)
		}
		_, hasID := m["id"]
		_, hasTS := m["timestamp"]
		var ms int64
		if e.ID != "" || hasID || hasTS || json.Unmarshal(m["eventTime"], &ms) != nil || ms != e.Time.UnixMilli() {
			t.Fatalf("IDLess event %s (ledger id %q, time %v)", e.Raw, e.ID, e.Time)
		}
	}

	c := dial(t, s, "tok", l[0].Time.Format(TimestampLayout))
	replayed := c.events(len(l))
	if len(replayed) != len(l) {
		t.Fatalf("replayed %d events, want %d", len(replayed), len(l))
	}
	for i, raw := range replayed {
		if bytes.Equal(raw, l[i].Raw) {
			t.Fatalf("replayed event %d has the bytes first emitted: %s", i, raw)
		}
		if !reflect.DeepEqual(contentWithTime(t, raw), contentWithTime(t, l[i].Raw)) {
			t.Fatalf("replayed event %d differs in content:\n%s\n%s", i, raw, l[i].Raw)
		}
	}

	// Live events carry the bytes first emitted.
	s.Resume()
	live := c.events(20)
	s.Pause()
	all := s.Ledger()
	for i, raw := range live[:20] {
		if !bytes.Equal(raw, all[len(l)+i].Raw) {
			t.Fatalf("live event %d: %s, ledger %s", i, raw, all[len(l)+i].Raw)
		}
	}
}

// contentWithTime decodes an event, numbers as written.
func contentWithTime(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return m
}

func TestSingleObjectFrames(t *testing.T) {
	// At 50/s most 10 ms ticks hold one event, so most frames hold one.
	s := newTestServer(t, Config{Rate: 50, SingleObjectRatio: 1, StaticTokens: []string{"tok"}})
	c := dial(t, s, "tok", "")
	singles := 0
	dl := deadline()
	// With ratio 1 every one-event frame is a bare object.
	for range 20 {
		m, ok := c.next(dl)
		if !ok {
			t.Fatal(c.err)
		}
		switch {
		case m.single:
			singles++
		case len(m.events) == 1:
			t.Fatalf("one-event array %s with SingleObjectRatio 1", m.raw)
		}
	}
	if singles == 0 {
		t.Fatal("no single-object frame in 20 frames")
	}
}

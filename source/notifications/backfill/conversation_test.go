package backfill

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// conv parses a conversation detail written in a test.
func conv(t *testing.T, raw string) Conversation {
	t.Helper()
	c, err := parseConversation(json.RawMessage(raw))
	if err != nil {
		t.Fatalf("parse %s: %v", raw, err)
	}
	return c
}

// DedupKey is the same for two fetches of one state whatever their field
// order and white space, and differs when the end or the content differs.
func TestDedupKey(t *testing.T) {
	const base = `{"conversationId":"c1","conversationStart":"2026-11-30T10:00:00.000Z","conversationEnd":"2026-11-30T10:05:00.000Z","participants":[{"purpose":"customer","sessions":[]}]}`
	key := conv(t, base).DedupKey()
	if !strings.HasPrefix(key, "gcconv:sha256:") || len(key) != len("gcconv:sha256:")+64 {
		t.Fatalf("key %q: want gcconv:sha256: and 64 hex digits", key)
	}
	same := map[string]string{
		"fields reordered": `{"participants":[{"sessions":[],"purpose":"customer"}],"conversationEnd":"2026-11-30T10:05:00.000Z","conversationStart":"2026-11-30T10:00:00.000Z","conversationId":"c1"}`,
		"white space":      "{ \"conversationId\": \"c1\",\n \"conversationStart\": \"2026-11-30T10:00:00.000Z\", \"conversationEnd\": \"2026-11-30T10:05:00.000Z\",\n \"participants\": [ {\"purpose\": \"customer\", \"sessions\": [ ]} ] }",
	}
	for name, raw := range same {
		if got := conv(t, raw).DedupKey(); got != key {
			t.Errorf("%s: key %s, want %s (the same state)", name, got, key)
		}
	}
	different := map[string]string{
		"not ended yet":       `{"conversationId":"c1","conversationStart":"2026-11-30T10:00:00.000Z","participants":[{"purpose":"customer","sessions":[]}]}`,
		"another end":         `{"conversationId":"c1","conversationStart":"2026-11-30T10:00:00.000Z","conversationEnd":"2026-11-30T10:06:00.000Z","participants":[{"purpose":"customer","sessions":[]}]}`,
		"other content":       `{"conversationId":"c1","conversationStart":"2026-11-30T10:00:00.000Z","conversationEnd":"2026-11-30T10:05:00.000Z","participants":[{"purpose":"agent","sessions":[]}]}`,
		"another id":          `{"conversationId":"c2","conversationStart":"2026-11-30T10:00:00.000Z","conversationEnd":"2026-11-30T10:05:00.000Z","participants":[{"purpose":"customer","sessions":[]}]}`,
		"another participant": `{"conversationId":"c1","conversationStart":"2026-11-30T10:00:00.000Z","conversationEnd":"2026-11-30T10:05:00.000Z","participants":[{"purpose":"customer","sessions":[]},{"purpose":"acd"}]}`,
	}
	seen := map[string]string{key: "base"}
	for name, raw := range different {
		got := conv(t, raw).DedupKey()
		if other, dup := seen[got]; dup {
			t.Errorf("%s: key %s, the same as %s's", name, got, other)
		}
		seen[got] = name
	}
	// The end time is part of the key even when Raw does not say it (a
	// Conversation built by hand).
	c := conv(t, base)
	c.End = c.End.Add(time.Second)
	if c.DedupKey() == key {
		t.Error("a different End gives the same key")
	}
}

func TestParseConversation(t *testing.T) {
	raw := `{"conversationEnd":"2026-11-30T10:05:00.250Z","conversationId":"c1","conversationStart":"2026-11-30T10:00:00.000Z","divisionIds":["d"]}`
	c := conv(t, raw)
	if c.ID != "c1" || !c.Start.Equal(time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)) ||
		!c.End.Equal(time.Date(2026, 11, 30, 10, 5, 0, 250e6, time.UTC)) || string(c.Raw) != raw {
		t.Errorf("parsed %+v", c)
	}
	ongoing := conv(t, `{"conversationId":"c2","conversationStart":"2026-11-30T10:00:00.000Z"}`)
	if !ongoing.End.IsZero() {
		t.Errorf("no conversationEnd: End %v, want zero", ongoing.End)
	}
	for _, bad := range []string{`{"conversationStart":"2026-11-30T10:00:00.000Z"}`, `{"conversationId":"c"}`,
		`{"conversationId":"c","conversationStart":"2026-11-30T10:00:00.000Z","conversationEnd":"soon"}`, `null`, `[1]`} {
		if _, err := parseConversation(json.RawMessage(bad)); err == nil {
			t.Errorf("%s: parsed without error", bad)
		}
	}
}

// The set keeps each conversation once: the row with conversationEnd,
// else the latest.
func TestConversationSetKeepsTheMostCompleteRow(t *testing.T) {
	open1 := conv(t, `{"conversationId":"c","conversationStart":"2026-11-30T10:00:00.000Z","participants":[1]}`)
	open2 := conv(t, `{"conversationId":"c","conversationStart":"2026-11-30T10:00:00.000Z","participants":[1,2]}`)
	ended := conv(t, `{"conversationId":"c","conversationStart":"2026-11-30T10:00:00.000Z","conversationEnd":"2026-11-30T10:05:00.000Z"}`)
	ended2 := conv(t, `{"conversationId":"c","conversationStart":"2026-11-30T10:00:00.000Z","conversationEnd":"2026-11-30T10:05:00.000Z","rewritten":true}`)
	for _, tc := range []struct {
		name string
		rows []Conversation
		want Conversation
	}{
		{"later open row", []Conversation{open1, open2}, open2},
		{"ended after open", []Conversation{open1, ended}, ended},
		{"ended before open", []Conversation{ended, open2}, ended},
		{"later ended row", []Conversation{ended, open1, ended2}, ended2},
	} {
		s := newConversationSet()
		for i, r := range tc.rows {
			if isNew := s.add(r); isNew != (i == 0) {
				t.Errorf("%s: row %d new %v", tc.name, i, isNew)
			}
		}
		if len(s.list) != 1 || string(s.list[0].Raw) != string(tc.want.Raw) {
			t.Errorf("%s: kept %d rows, first %s; want %s", tc.name, len(s.list), s.list[0].Raw, tc.want.Raw)
		}
	}
}

func TestActiveIn(t *testing.T) {
	from, to := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 6, 0, 0, 0, time.UTC)
	at := func(h float64) time.Time { return from.Add(time.Duration(h * float64(time.Hour))) }
	for _, tc := range []struct {
		name       string
		start, end time.Time
		want       bool
	}{
		{"inside", at(1), at(2), true},
		{"started the day before, ended inside", at(-1), at(0.5), true},
		{"ended exactly at from", at(-1), from, true},
		{"ended before from", at(-2), at(-0.1), false},
		{"ongoing, started before", at(-3), time.Time{}, true},
		{"ongoing, started inside", at(5), time.Time{}, true},
		{"started at to", to, time.Time{}, false},
		{"spans the interval", at(-1), at(7), true},
	} {
		c := Conversation{Start: tc.start, End: tc.end}
		if got := c.activeIn(from, to); got != tc.want {
			t.Errorf("%s: activeIn %v, want %v", tc.name, got, tc.want)
		}
	}
}

package backfill

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/analytics-bridge/analytics-bridge/source/contentkey"
)

// Conversation is one conversation detail as the analytics API served it.
type Conversation struct {
	ID         string
	Start, End time.Time // End zero: not ended yet (no conversationEnd)
	// Raw is the conversation object exactly as the API served it (a copy
	// of that element's bytes), never re-encoded.
	Raw []byte
}

// dedupKeyPrefix sets conversation detail keys apart from every other
// dedup key (notification events' are bare "sha256:...", and record keys
// are "gcconv:{conversationId}").
const dedupKeyPrefix = "gcconv:sha256:"

// DedupKey identifies this state of the conversation: a SHA-256 over its
// id, its end time and the content key of Raw (its canonical JSON, so two
// fetches of the same state agree whatever their field order or white
// space), prefixed "gcconv:sha256:". The same conversation fetched again
// after it ended, or after the platform rewrote it, gets another key.
//
// Raw that is not JSON (never from this package) is keyed on its bytes.
func (c Conversation) DedupKey() string {
	content, err := contentkey.Of(c.Raw)
	if err != nil {
		sum := sha256.Sum256(c.Raw)
		content = "bytes:" + hex.EncodeToString(sum[:])
	}
	end := "-"
	if !c.End.IsZero() {
		end = c.End.UTC().Format(time.RFC3339Nano)
	}
	h := sha256.New()
	for _, part := range []string{c.ID, end, content} {
		h.Write([]byte(part))
		h.Write([]byte{0}) // no part holds a NUL: the parts cannot run into each other
	}
	return dedupKeyPrefix + hex.EncodeToString(h.Sum(nil))
}

// parseConversation reads a conversation's id, start and end from one
// element of an answer's `conversations`, keeping a copy of its bytes.
func parseConversation(raw json.RawMessage) (Conversation, error) {
	var head struct {
		ID    string `json:"conversationId"`
		Start string `json:"conversationStart"`
		End   string `json:"conversationEnd"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return Conversation{}, fmt.Errorf("conversation detail: %w", err)
	}
	if head.ID == "" {
		return Conversation{}, fmt.Errorf("conversation detail without conversationId: %.200s", raw)
	}
	c := Conversation{ID: head.ID, Raw: append([]byte(nil), raw...)}
	var err error
	if c.Start, err = time.Parse(time.RFC3339Nano, head.Start); err != nil {
		return Conversation{}, fmt.Errorf("conversation %s: conversationStart %q: %w", head.ID, head.Start, err)
	}
	if head.End != "" {
		if c.End, err = time.Parse(time.RFC3339Nano, head.End); err != nil {
			return Conversation{}, fmt.Errorf("conversation %s: conversationEnd %q: %w", head.ID, head.End, err)
		}
	}
	return c, nil
}

// parseConversations parses every element of an answer's `conversations`.
func parseConversations(raws []json.RawMessage) ([]Conversation, error) {
	out := make([]Conversation, 0, len(raws))
	for _, raw := range raws {
		c, err := parseConversation(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// activeIn reports whether c had activity in [from, to): it started before
// to and did not end before from (or has not ended).
func (c Conversation) activeIn(from, to time.Time) bool {
	return c.Start.Before(to) && (c.End.IsZero() || !c.End.Before(from))
}

// conversationSet keeps each conversation once, in the order first seen:
// the most complete row of it, the one with conversationEnd, else the
// latest added (rows drift: a later one is at least as fresh).
type conversationSet struct {
	byID  map[string]int // index in list
	list  []Conversation
	added int // rows offered, for the logs
}

func newConversationSet() *conversationSet {
	return &conversationSet{byID: map[string]int{}}
}

// add offers a row and reports whether its conversation was new to the set.
func (s *conversationSet) add(c Conversation) bool {
	s.added++
	i, ok := s.byID[c.ID]
	if !ok {
		s.byID[c.ID] = len(s.list)
		s.list = append(s.list, c)
		return true
	}
	if old := s.list[i]; old.End.IsZero() || !c.End.IsZero() {
		s.list[i] = c
	}
	return false
}

// activeIn returns the conversations of the set that had activity in
// [from, to), in conversationStart order (then by id).
func (s *conversationSet) activeIn(from, to time.Time) []Conversation {
	var out []Conversation
	for _, c := range s.list {
		if c.activeIn(from, to) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b Conversation) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.ID, b.ID))
	})
	return out
}

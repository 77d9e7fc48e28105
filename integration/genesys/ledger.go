package genesys

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/eventbridge"
)

// ledger is every conversation generated and every notification published.
// Guarded by Server.mu.
type ledger struct {
	conversations []Conversation
	published     []Published
	sockets       int // sockets accepted
}

// Published is one notification the stand-in published.
type Published struct {
	Seq          int       // 1-based, in publication order
	At           time.Time // when it was due (an event's eventTime, a snapshot's change)
	Topic        string
	Conversation string          // the conversation it is about
	EventBody    json.RawMessage // byte for byte as in Frame
	Frame        []byte          // the socket message
	// Delivered are the channels it was queued for; Missed the channels
	// subscribed to it that had no socket then: it is lost for them.
	Delivered, Missed []string
}

// Published returns every notification published so far, in order.
func (s *Server) Published() []Published {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.ledger.published)
	for i := range out {
		out[i].Delivered, out[i].Missed = slices.Clone(out[i].Delivered), slices.Clone(out[i].Missed)
	}
	return out
}

// Conversations returns every conversation generated so far.
func (s *Server) Conversations() []Conversation {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.ledger.conversations)
	for i := range out {
		out[i].DetailEvents = slices.Clone(out[i].DetailEvents)
	}
	return out
}

// Coverage is what a consumer holds of the conversations that ended.
type Coverage struct {
	Ended     int      // conversations whose last event was published
	ByEvents  int      // of them, those whose every detail event was found
	ByDetails int      // of the rest, those with a conversation detail record that has conversationEnd
	Missing   []string // ended conversations covered neither way
}

// Complete reports whether every ended conversation is covered.
func (c Coverage) Complete() bool { return len(c.Missing) == 0 }

// Coverage checks, for every conversation that ended by the time the pump
// last settled, that events hold all its detail events or details hold a
// conversation-detail record of it with conversationEnd. events are
// notifications or EventBridge details ({topicName, eventBody}); details
// are analytics conversations ({conversationId, conversationEnd, ...}).
// Unreadable values count for nothing.
func (s *Server) Coverage(events, details [][]byte) Coverage {
	found := map[string]bool{}
	for _, e := range events {
		if topic, body, err := eventbridge.Pair(e); err == nil {
			found[topic+"\x00"+string(body)] = true
		}
	}
	ended := map[string]bool{}
	for _, d := range details {
		var c struct {
			ConversationID  string `json:"conversationId"`
			ConversationEnd string `json:"conversationEnd"`
		}
		if json.Unmarshal(d, &c) == nil && c.ConversationEnd != "" {
			ended[c.ConversationID] = true
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var r Coverage
	for _, c := range s.ledger.conversations {
		if c.End.After(s.world.settled) {
			continue
		}
		r.Ended++
		all := true
		for _, p := range c.DetailEvents {
			all = all && found[p.Topic+"\x00"+string(p.EventBody)]
		}
		switch {
		case all:
			r.ByEvents++
		case ended[c.ID]:
			r.ByDetails++
		default:
			r.Missing = append(r.Missing, c.ID)
		}
	}
	return r
}

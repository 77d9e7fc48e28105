package genesys

import (
	"slices"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/eventbridge"
)

// world is the org's conversations and the pump's schedule. Guarded by
// Server.mu.
type world struct {
	sched         schedule
	calls         []*call // in generation order
	byID          map[string]*call
	settled       time.Time     // the pump has done everything due by then
	passes        uint64        // the pump's passes over its schedule so far
	settledSignal chan struct{} // closed and replaced after every pass
}

// call is a generated conversation and when details queries find it.
type call struct {
	eventbridge.Call
	visible time.Time // Start plus its index lag
}

func newWorld() world {
	return world{byID: map[string]*call{}, settledSignal: make(chan struct{})}
}

// settle records a pass of the pump: everything due by now is done.
func (w *world) settle(now time.Time) {
	w.passes++
	if now.After(w.settled) {
		w.settled = now
	}
	close(w.settledSignal)
	w.settledSignal = make(chan struct{})
}

// Conversation is a generated conversation, as the ledger holds it.
type Conversation struct {
	ID        string
	QueueID   string
	Start     time.Time
	End       time.Time // the last event: the agent's after-call work, or the customer's end when abandoned
	Abandoned bool
	// DetailEvents are the conversation's detail events, in eventTime order.
	DetailEvents []Pair
}

// Pair is a notification's topic and the raw bytes of its eventBody.
type Pair struct {
	Topic     string
	EventBody []byte
}

// AddConversations generates n inbound calls, the first starting at start
// and one every `every` after it, and schedules their detail events and
// queue snapshots for publication at their times. A start in the past is
// allowed: what is already due is published at once (nobody subscribed to
// a new conversation's topics yet would get it, as on the platform).
func (s *Server) AddConversations(start time.Time, n int, every time.Duration) []Conversation {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.generateLocked(start, n, every)
}

// generateLocked is AddConversations; s.mu held.
func (s *Server) generateLocked(start time.Time, n int, every time.Duration) []Conversation {
	var out []Conversation
	for i := range n {
		c := &call{Call: s.gen.Call(start.Add(time.Duration(i) * every))}
		c.visible = c.Start
		if s.opts.IndexLag > 0 {
			c.visible = c.Start.Add(time.Duration(s.rng.Int64N(int64(s.opts.IndexLag) + 1)))
		}
		s.world.calls = append(s.world.calls, c)
		s.world.byID[c.ConversationID] = c
		conv := Conversation{ID: c.ConversationID, QueueID: c.QueueID, Start: c.Start, End: c.End(), Abandoned: c.Abandoned}
		for _, e := range c.Events {
			conv.DetailEvents = append(conv.DetailEvents, Pair{e.TopicName, e.EventBody})
			s.scheduleLocked(item{at: e.EventTime, kind: itemPublish, pub: &pending{topic: e.TopicName,
				eventBody: e.EventBody, correlation: e.CorrelationID, conversation: c.ConversationID}})
		}
		q := s.queueLocked(c.QueueID)
		for _, at := range snapshotTimes(c.Call) {
			body := marshal(snapshot(c.Call, q, at))
			s.scheduleLocked(item{at: at, kind: itemPublish, pub: &pending{topic: QueueConversationsTopic(c.QueueID),
				eventBody: body, correlation: s.uuidLocked(), conversation: c.ConversationID}})
		}
		s.ledger.conversations = append(s.ledger.conversations, conv)
		out = append(out, conv)
	}
	return out
}

// publishLocked publishes a notification at its time: it is queued for the
// socket of every live channel subscribed to its topic, and lost for such a
// channel without a socket (nothing is buffered). s.mu held.
func (s *Server) publishLocked(at time.Time, p *pending) {
	frame := notificationFrame(p.topic, p.eventBody, p.correlation)
	rec := Published{Seq: len(s.ledger.published) + 1, At: at, Topic: p.topic, Conversation: p.conversation,
		EventBody: p.eventBody, Frame: frame}
	ids := make([]string, 0, len(s.channels))
	for id := range s.channels {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		ch := s.channels[id]
		if ch.gone || !at.Before(ch.expires) || ch.topics[p.topic] == 0 {
			continue
		}
		if ch.sock != nil && !ch.sock.detached && ch.sock.enqueue(outFrame{data: frame}) {
			rec.Delivered = append(rec.Delivered, id)
		} else {
			rec.Missed = append(rec.Missed, id)
		}
	}
	s.ledger.published = append(s.ledger.published, rec)
}

package eventbridge

import (
	"testing"
	"time"
)

// A Call's ids and times are the ones its events carry, and Options.Queues
// picks the queue and its division.
func TestCallMatchesItsEvents(t *testing.T) {
	queues := []QueueRef{{"q-1", "d-1"}, {"q-2", "d-2"}}
	for _, rate := range []float64{-1, 1} {
		g := New(Options{Seed: 8, AbandonRate: rate, Queues: queues})
		c := g.Call(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
		if (c.QueueID != "q-1" || c.DivisionID != "d-1") && (c.QueueID != "q-2" || c.DivisionID != "d-2") {
			t.Fatalf("queue %s division %s: not one of Options.Queues", c.QueueID, c.DivisionID)
		}
		if c.Abandoned != (rate == 1) || !c.End().Equal(c.Events[len(c.Events)-1].EventTime) {
			t.Fatalf("abandoned %v, End %v, last event %v", c.Abandoned, c.End(), c.Events[len(c.Events)-1].EventTime)
		}
		want := map[string]struct {
			leg Leg
			at  time.Time
		}{
			"customer.start": {c.Customer, c.Start}, "acd.start": {c.ACD, c.Queued}, "acd.end": {c.ACD, c.QueueEnd},
			"customer.end": {c.Customer, c.CustomerEnd}, "user.start": {c.Agent, c.QueueEnd},
			"user.end": {c.Agent, c.AgentEnd}, "acw": {c.Agent, c.WrapupEnd},
		}
		for _, e := range c.Events {
			_, suffix := splitTopic(t, e.TopicName)
			var b struct {
				ConversationID, ParticipantID, SessionID, QueueID, DivisionID, UserID, WrapupCode string
			}
			mustUnmarshal(e.EventBody, &b)
			w := want[suffix]
			if b.ConversationID != c.ConversationID || b.ParticipantID != w.leg.ParticipantID ||
				b.SessionID != w.leg.SessionID || !e.EventTime.Equal(w.at) {
				t.Fatalf("%s: body %s, want leg %+v at %v", suffix, e.EventBody, w.leg, w.at)
			}
			if (b.QueueID != "" && b.QueueID != c.QueueID) || (b.DivisionID != "" && b.DivisionID != c.DivisionID) ||
				(b.UserID != "" && b.UserID != c.UserID) || (b.WrapupCode != "" && b.WrapupCode != c.WrapupCode) {
				t.Fatalf("%s: body %s disagrees with the call %+v", suffix, e.EventBody, c)
			}
			if e.CorrelationID == "" || !uuidRE.MatchString(e.CorrelationID) {
				t.Fatalf("CorrelationID %q", e.CorrelationID)
			}
		}
	}
}

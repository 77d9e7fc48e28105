package eventbridge

import "time"

// Call is one generated conversation: its detail events and the ids and
// times they carry, for the other views of the same call (the Genesys
// stand-in's queue snapshots and analytics details).
type Call struct {
	ConversationID string
	QueueID        string
	DivisionID     string
	UserID         string // the agent; "" when abandoned
	Customer       Leg
	ACD            Leg
	Agent          Leg // zero when abandoned
	Ani, Dnis      string

	Start       time.Time // customer.start: the call arrives in the IVR
	Queued      time.Time // acd.start
	QueueEnd    time.Time // acd.end, and user.start (the agent alerting) when answered
	Abandoned   bool      // the customer hung up in queue
	Answered    time.Time // the agent connects; zero when abandoned
	CustomerEnd time.Time // customer.end
	AgentEnd    time.Time // user.end; zero when abandoned
	WrapupEnd   time.Time // acw: after-call work ends; zero when abandoned
	WrapupCode  string
	WrapupNotes string

	Events []Event // in eventTime order
}

// Leg is a participant and its one session.
type Leg struct{ ParticipantID, SessionID string }

// End returns the time of the call's last event: when it has ended for
// every participant.
func (c Call) End() time.Time {
	if c.Abandoned {
		return c.CustomerEnd
	}
	return c.WrapupEnd
}

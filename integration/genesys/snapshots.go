package genesys

import (
	"strings"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/eventbridge"
)

// queueConversation is a v2.routing.queues.{id}.conversations body
// (platformclientv2 QueueConversationEventTopicConversation): the whole
// conversation as it is at one change, with no event id and no sequence
// number. Its participant ids and call ids are the participantId and
// sessionId of the conversation's detail events, its times their eventTimes.
type queueConversation struct {
	ID              string               `json:"id"`
	MaxParticipants int                  `json:"maxParticipants"`
	Participants    []queueParticipant   `json:"participants"`
	RecordingState  string               `json:"recordingState"`
	Divisions       []divisionMembership `json:"divisions"`
}

type queueParticipant struct {
	ID             string            `json:"id"`
	ConnectedTime  string            `json:"connectedTime,omitempty"`
	EndTime        string            `json:"endTime,omitempty"`
	UserID         string            `json:"userId,omitempty"`
	Name           string            `json:"name,omitempty"`
	QueueID        string            `json:"queueId,omitempty"`
	Purpose        string            `json:"purpose"`
	Address        string            `json:"address,omitempty"`
	WrapupRequired bool              `json:"wrapupRequired"`
	Wrapup         *queueWrapup      `json:"wrapup,omitempty"`
	StartAcwTime   string            `json:"startAcwTime,omitempty"`
	EndAcwTime     string            `json:"endAcwTime,omitempty"`
	Attributes     map[string]string `json:"attributes"`
	Calls          []queueCall       `json:"calls"`
}

type queueCall struct {
	ID               string       `json:"id"`
	State            string       `json:"state"`
	InitialState     string       `json:"initialState"`
	Recording        bool         `json:"recording"`
	RecordingState   string       `json:"recordingState"`
	Muted            bool         `json:"muted"`
	Confined         bool         `json:"confined"`
	Held             bool         `json:"held"`
	DisconnectType   string       `json:"disconnectType,omitempty"`
	Direction        string       `json:"direction"`
	Self             queueAddress `json:"self"`
	Other            queueAddress `json:"other"`
	Provider         string       `json:"provider"`
	ConnectedTime    string       `json:"connectedTime,omitempty"`
	DisconnectedTime string       `json:"disconnectedTime,omitempty"`
}

type queueAddress struct {
	AddressNormalized string `json:"addressNormalized"`
}

type queueWrapup struct {
	Code            string `json:"code"`
	Notes           string `json:"notes"`
	DurationSeconds int    `json:"durationSeconds"`
	EndTime         string `json:"endTime"`
}

type divisionMembership struct {
	Division entityRef   `json:"division"`
	Entities []entityRef `json:"entities"`
}

type entityRef struct {
	ID      string `json:"id"`
	SelfURI string `json:"selfUri"`
}

// snapshotTimes are the changes a queue's topic reports: the call enters
// the queue, leaves it (an agent alerting, or abandoned), the agent answers,
// the customer hangs up, the agent's call ends, after-call work ends.
func snapshotTimes(c eventbridge.Call) []time.Time {
	if c.Abandoned {
		return []time.Time{c.Queued, c.QueueEnd}
	}
	return []time.Time{c.Queued, c.QueueEnd, c.Answered, c.CustomerEnd, c.AgentEnd, c.WrapupEnd}
}

// leg is one participant's call as of a time.
type leg struct {
	start, connected, end time.Time // connected zero: alerting until then; end zero: never ends here
	disconnectType        string
}

// call renders the leg as of at; ok is false before it starts.
func (l leg) call(id, self, other string, at time.Time) (queueCall, bool) {
	if at.Before(l.start) {
		return queueCall{}, false
	}
	qc := queueCall{ID: id, State: "connected", InitialState: "connected", RecordingState: "none",
		Direction: "inbound", Self: queueAddress{self}, Other: queueAddress{other}, Provider: "Edge"}
	if !l.connected.IsZero() {
		qc.InitialState = "alerting"
		if at.Before(l.connected) {
			qc.State = "alerting"
		} else {
			qc.ConnectedTime = date(l.connected)
		}
	} else {
		qc.ConnectedTime = date(l.start)
	}
	if !l.end.IsZero() && !at.Before(l.end) {
		qc.State, qc.DisconnectType, qc.DisconnectedTime = "disconnected", l.disconnectType, date(l.end)
	}
	return qc, true
}

// snapshot is the conversation c in queue q as of at.
func snapshot(c eventbridge.Call, q queue, at time.Time) queueConversation {
	ani, dnis := strings.TrimPrefix(c.Ani, "tel:"), strings.TrimPrefix(c.Dnis, "tel:")
	qc := queueConversation{ID: c.ConversationID, MaxParticipants: 3, RecordingState: "none",
		Divisions: []divisionMembership{{Division: entityRef{c.DivisionID, "/api/v2/authorization/divisions/" + c.DivisionID},
			Entities: []entityRef{{q.ID, "/api/v2/routing/queues/" + q.ID}}}}}
	customer := leg{start: c.Start, end: c.CustomerEnd, disconnectType: "endpoint"}
	acd := leg{start: c.Queued, end: c.QueueEnd, disconnectType: "transfer"}
	if c.Abandoned {
		acd.disconnectType = "endpoint"
	}
	add := func(p queueParticipant, call queueCall) {
		p.ConnectedTime = call.ConnectedTime
		if call.State == "disconnected" {
			p.EndTime = call.DisconnectedTime
		}
		p.Calls, p.Attributes = []queueCall{call}, map[string]string{}
		qc.Participants = append(qc.Participants, p)
	}
	if call, ok := customer.call(c.Customer.SessionID, ani, dnis, at); ok {
		add(queueParticipant{ID: c.Customer.ParticipantID, Name: "Customer", Purpose: "customer", Address: ani}, call)
	}
	if call, ok := acd.call(c.ACD.SessionID, dnis, ani, at); ok {
		add(queueParticipant{ID: c.ACD.ParticipantID, Name: q.Name, QueueID: c.QueueID, Purpose: "acd", Address: dnis}, call)
	}
	if c.Abandoned {
		return qc
	}
	agent := leg{start: c.QueueEnd, connected: c.Answered, end: c.AgentEnd, disconnectType: "peer"}
	call, ok := agent.call(c.Agent.SessionID, dnis, ani, at)
	if !ok {
		return qc
	}
	p := queueParticipant{ID: c.Agent.ParticipantID, UserID: c.UserID, Name: "Agent", QueueID: c.QueueID,
		Purpose: "agent", WrapupRequired: true}
	if !at.Before(c.AgentEnd) {
		p.StartAcwTime = date(c.AgentEnd)
	}
	if !at.Before(c.WrapupEnd) {
		p.EndAcwTime = date(c.WrapupEnd)
		p.Wrapup = &queueWrapup{Code: c.WrapupCode, Notes: c.WrapupNotes,
			DurationSeconds: int(c.WrapupEnd.Sub(c.AgentEnd) / time.Second), EndTime: date(c.WrapupEnd)}
	}
	add(p, call)
	return qc
}

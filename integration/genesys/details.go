package genesys

import (
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/eventbridge"
)

// analyticsConversation is an analytics conversation detail
// (platformclientv2 AnalyticsConversationWithoutAttributes from the query;
// AnalyticsConversation, with participant attributes, from jobs): a
// snapshot of participants, sessions, segments and metrics as of a time. It
// is not its detail events: segment boundaries are approximate and
// attribute history is lost.
type analyticsConversation struct {
	ConversationEnd      string                 `json:"conversationEnd,omitempty"`
	ConversationID       string                 `json:"conversationId"`
	ConversationStart    string                 `json:"conversationStart"`
	DivisionIDs          []string               `json:"divisionIds"`
	OriginatingDirection string                 `json:"originatingDirection"`
	Participants         []analyticsParticipant `json:"participants"`
}

type analyticsParticipant struct {
	ParticipantID   string             `json:"participantId"`
	ParticipantName string             `json:"participantName,omitempty"`
	Purpose         string             `json:"purpose"`
	UserID          string             `json:"userId,omitempty"`
	Sessions        []analyticsSession `json:"sessions"`
	Attributes      *map[string]string `json:"attributes,omitempty"` // jobs only; may be empty there
}

type analyticsSession struct {
	Ani               string          `json:"ani"`
	Direction         string          `json:"direction"`
	Dnis              string          `json:"dnis"`
	MediaType         string          `json:"mediaType"`
	Provider          string          `json:"provider"`
	RequestedRoutings []string        `json:"requestedRoutings,omitempty"`
	SessionID         string          `json:"sessionId"`
	UsedRouting       string          `json:"usedRouting,omitempty"`
	Metrics           []sessionMetric `json:"metrics,omitempty"`
	Segments          []segment       `json:"segments"`
}

type sessionMetric struct {
	EmitDate string `json:"emitDate"`
	Name     string `json:"name"`
	Value    int64  `json:"value"`
}

type segment struct {
	DisconnectType string `json:"disconnectType,omitempty"`
	QueueID        string `json:"queueId,omitempty"`
	SegmentEnd     string `json:"segmentEnd,omitempty"`
	SegmentStart   string `json:"segmentStart"`
	SegmentType    string `json:"segmentType"`
	WrapUpCode     string `json:"wrapUpCode,omitempty"`
	WrapUpNote     string `json:"wrapUpNote,omitempty"`
}

// sessionBuilder collects one session's segments and metrics as of a time.
type sessionBuilder struct {
	asOf time.Time
	s    analyticsSession
}

// seg adds a segment that started by asOf; its end (and disconnect type)
// only once reached.
func (b *sessionBuilder) seg(typ string, start, end time.Time, sg segment) {
	if b.asOf.Before(start) {
		return
	}
	sg.SegmentType, sg.SegmentStart = typ, date(start)
	if !b.asOf.Before(end) {
		sg.SegmentEnd = date(end)
	} else {
		sg.DisconnectType, sg.WrapUpCode, sg.WrapUpNote = "", "", ""
	}
	b.s.Segments = append(b.s.Segments, sg)
}

// metric adds a metric emitted at `at`, once reached.
func (b *sessionBuilder) metric(name string, at time.Time, value int64) {
	if !b.asOf.Before(at) {
		b.s.Metrics = append(b.s.Metrics, sessionMetric{EmitDate: date(at), Name: name, Value: value})
	}
}

// detail is the analytics view of c as of asOf (attributes: as a details
// job returns it). conversationEnd is the end of the last segment, the
// agent's after-call work: once it is there, every detail event of the
// conversation has happened.
func detail(c eventbridge.Call, queueName string, asOf time.Time, attributes bool) analyticsConversation {
	ms := func(d time.Duration) int64 { return d.Milliseconds() }
	a := analyticsConversation{ConversationID: c.ConversationID, ConversationStart: date(c.Start),
		DivisionIDs: []string{c.DivisionID}, OriginatingDirection: "inbound"}
	if !asOf.Before(c.End()) {
		a.ConversationEnd = date(c.End())
	}
	session := func(l eventbridge.Leg) *sessionBuilder {
		return &sessionBuilder{asOf: asOf, s: analyticsSession{Ani: c.Ani, Direction: "inbound", Dnis: c.Dnis,
			MediaType: "voice", Provider: "Edge", SessionID: l.SessionID, Segments: []segment{}}}
	}
	add := func(p analyticsParticipant, b *sessionBuilder, attrs map[string]string) {
		if len(b.s.Segments) == 0 {
			return
		}
		p.Sessions = []analyticsSession{b.s}
		if attributes {
			p.Attributes = &attrs
		}
		a.Participants = append(a.Participants, p)
	}

	cust := session(c.Customer)
	cust.seg("interact", c.Start, c.CustomerEnd, segment{DisconnectType: "endpoint"})
	add(analyticsParticipant{ParticipantID: c.Customer.ParticipantID, ParticipantName: "Customer", Purpose: "customer"},
		cust, map[string]string{"callReason": "invoice"})

	acd := session(c.ACD)
	acd.s.RequestedRoutings = []string{"standard"}
	out := "transfer"
	if c.Abandoned {
		out = "endpoint"
	} else {
		acd.s.UsedRouting = "standard"
	}
	acd.seg("interact", c.Queued, c.QueueEnd, segment{QueueID: c.QueueID, DisconnectType: out})
	acd.metric("nOffered", c.Queued, 1)
	acd.metric("tAcd", c.QueueEnd, ms(c.QueueEnd.Sub(c.Queued)))
	if c.Abandoned {
		acd.metric("tAbandon", c.QueueEnd, ms(c.QueueEnd.Sub(c.Queued)))
	} else {
		acd.metric("tAnswered", c.Answered, ms(c.Answered.Sub(c.Queued)))
	}
	add(analyticsParticipant{ParticipantID: c.ACD.ParticipantID, ParticipantName: queueName, Purpose: "acd"}, acd,
		map[string]string{})
	if c.Abandoned {
		return a
	}

	ag := session(c.Agent)
	ag.seg("alert", c.QueueEnd, c.Answered, segment{QueueID: c.QueueID})
	ag.seg("interact", c.Answered, c.AgentEnd, segment{QueueID: c.QueueID, DisconnectType: "peer"})
	ag.seg("wrapup", c.AgentEnd, c.WrapupEnd, segment{QueueID: c.QueueID, WrapUpCode: c.WrapupCode, WrapUpNote: c.WrapupNotes})
	ag.metric("tAlert", c.Answered, ms(c.Answered.Sub(c.QueueEnd)))
	ag.metric("nConnected", c.Answered, 1)
	ag.metric("tTalk", c.AgentEnd, ms(c.AgentEnd.Sub(c.Answered)))
	ag.metric("tTalkComplete", c.AgentEnd, ms(c.AgentEnd.Sub(c.Answered)))
	ag.metric("tAcw", c.WrapupEnd, ms(c.WrapupEnd.Sub(c.AgentEnd)))
	ag.metric("tHandle", c.WrapupEnd, ms(c.WrapupEnd.Sub(c.Answered)))
	add(analyticsParticipant{ParticipantID: c.Agent.ParticipantID, ParticipantName: "Agent", Purpose: "agent",
		UserID: c.UserID}, ag, map[string]string{})
	return a
}

package eventbridge

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// Options configure a Generator. Zero values take the defaults shown.
type Options struct {
	Seed    uint64
	OrgID   string // Genesys organization id (default: derived from Seed)
	Account string // AWS account of the partner event bus (123456789012)
	Region  string // us-east-1
	// Start is the eventTime of the first conversation's first event
	// (2026-11-30T10:00:00Z).
	Start time.Time
	// Every is the time between two conversations' starts (1 s).
	Every time.Duration
	// AbandonRate is the share of calls abandoned in queue (0.2; negative
	// for none).
	AbandonRate float64
	// ResendRate is the share of events Stream sends a second time with a new
	// EventBridge id (0: none).
	ResendRate float64
	// ResendLag is how many events later, at most, a resend comes (50).
	ResendLag int
	// Queues, when set, are the queues calls go through, one drawn per call;
	// the call's division is its queue's (default: new ids for every call).
	Queues []QueueRef
	// Pace scales the phases of a call (IVR, queue wait, alerting, talk,
	// after-call work): 0.05 makes calls of seconds instead of minutes, for
	// tests on the wall clock. Zero or negative: 1.
	Pace float64
}

// QueueRef is a routing queue and the division it belongs to.
type QueueRef struct{ ID, DivisionID string }

// Generator makes conversations of detail events. Not safe for concurrent
// use.
type Generator struct {
	rng     *rand.Rand
	opts    Options
	source  string
	account string
	region  string
	next    time.Time
	ledger  *Ledger
}

// New returns a generator.
func New(o Options) *Generator {
	g := &Generator{rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x5851f42d4c957f2d)), opts: o, ledger: NewLedger()}
	if o.OrgID == "" {
		o.OrgID = g.uuid()
	}
	g.account, g.region = o.Account, o.Region
	if g.account == "" {
		g.account = "123456789012"
	}
	if g.region == "" {
		g.region = "us-east-1"
	}
	g.source = "aws.partner/genesys.com/cloud/" + o.OrgID + "/analytics-detail-events"
	if o.Start.IsZero() {
		o.Start = time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	}
	if o.Every <= 0 {
		o.Every = time.Second
	}
	if o.AbandonRate == 0 {
		o.AbandonRate = 0.2
	}
	if o.ResendLag <= 0 {
		o.ResendLag = 50
	}
	g.opts, g.next = o, o.Start
	return g
}

// Ledger returns the distinct (topicName, eventBody) pairs generated so far.
func (g *Generator) Ledger() *Ledger { return g.ledger }

// uuid returns a version 4 UUID drawn from the generator's seed.
func (g *Generator) uuid() string {
	a, b := g.rng.Uint64(), g.rng.Uint64()
	a = a&^(0xf<<12) | 0x4<<12
	b = b&^(0x3<<62) | 0x2<<62
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, a>>16&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

func (g *Generator) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.rng.IntN(10))
	}
	return string(b)
}

// span draws the length of a call's phase, scaled by Options.Pace.
func (g *Generator) span(lo, hi time.Duration) time.Duration {
	d := g.ms(lo, hi)
	if p := g.opts.Pace; p > 0 && p != 1 {
		d = max(time.Duration(float64(d)*p).Truncate(time.Millisecond), time.Millisecond)
	}
	return d
}

func (g *Generator) ms(lo, hi time.Duration) time.Duration {
	return (lo + time.Duration(g.rng.Int64N(int64(hi-lo)))).Truncate(time.Millisecond)
}

// event renders one detail event of a conversation; suffix is the topic's
// tail after the conversation id ("customer.start").
func (g *Generator) event(conversationID, suffix string, at time.Time, body any) Event {
	eventBody := marshal(body)
	topic := "v2.detail.events.conversation." + conversationID + "." + suffix
	// Genesys puts to EventBridge a little after the event happened
	put := at.Add(g.ms(50*time.Millisecond, 2*time.Second))
	correlation := g.uuid()
	detail := marshal(Detail{TopicName: topic, Version: "2", EventBody: eventBody,
		Metadata: Metadata{CorrelationID: correlation}, Timestamp: put.UTC().Format(TimestampLayout)})
	detailType := "v2.detail.events.conversation.{id}." + suffix
	id := g.uuid()
	g.ledger.Add(topic, eventBody)
	return Event{Body: g.envelope(id, detailType, put, detail), Detail: detail, EventBody: eventBody,
		ID: id, DetailType: detailType, TopicName: topic, EventTime: at, CorrelationID: correlation}
}

// Resend returns e as Genesys would put it again after delay: a new
// EventBridge id and time around the same detail bytes.
func (g *Generator) Resend(e Event, delay time.Duration) Event {
	var env Envelope
	mustUnmarshal(e.Body, &env)
	put, _ := time.Parse(time.RFC3339, env.Time)
	r := e
	r.ID = g.uuid()
	r.Body = g.envelope(r.ID, e.DetailType, put.Add(delay), e.Detail)
	r.Resend = true
	return r
}

// Conversation returns the events of one inbound voice call that starts at
// start, in eventTime order.
func (g *Generator) Conversation(start time.Time) []Event { return g.Call(start).Events }

// Call generates one inbound voice call that starts at start: its events, in
// eventTime order, and the ids and times they carry.
func (g *Generator) Call(start time.Time) Call {
	c := Call{ConversationID: g.uuid(), QueueID: g.uuid(), DivisionID: g.uuid(), UserID: g.uuid()}
	if len(g.opts.Queues) > 0 {
		q := g.opts.Queues[g.rng.IntN(len(g.opts.Queues))]
		c.QueueID, c.DivisionID = q.ID, q.DivisionID
	}
	c.Customer.ParticipantID, c.ACD.ParticipantID, c.Agent.ParticipantID = g.uuid(), g.uuid(), g.uuid()
	c.Customer.SessionID, c.ACD.SessionID, c.Agent.SessionID = g.uuid(), g.uuid(), g.uuid()
	c.Ani, c.Dnis = "tel:+1"+g.digits(10), "tel:+1800"+g.digits(7)
	conv, queue, division, user := c.ConversationID, c.QueueID, c.DivisionID, c.UserID
	customer, acd, agent := c.Customer.ParticipantID, c.ACD.ParticipantID, c.Agent.ParticipantID
	custSess, acdSess, agentSess := c.Customer.SessionID, c.ACD.SessionID, c.Agent.SessionID
	voice := call{MediaType: "VOICE", Provider: "Edge", Direction: "INBOUND", Ani: c.Ani, Dnis: c.Dnis}
	// in is the session sess of participant, at t
	in := func(t time.Time, participant, sess string) session {
		return session{t.UnixMilli(), conv, participant, sess}
	}

	t := start
	c.Start = t
	out := []Event{g.event(conv, "customer.start", t, customerStart{in(t, customer, custSess), voice, division})}
	t = t.Add(g.span(time.Second, 20*time.Second)) // IVR
	c.Queued = t
	out = append(out, g.event(conv, "acd.start", t, acdStart{in(t, acd, acdSess), voice, queue, division, 0, []string{}}))
	wait := g.span(2*time.Second, 90*time.Second)
	t = t.Add(wait)
	c.QueueEnd = t
	if g.rng.Float64() < g.opts.AbandonRate {
		c.Abandoned, c.CustomerEnd, c.Agent, c.UserID = true, t, Leg{}, ""
		out = append(out, g.event(conv, "acd.end", t, acdEnd{in(t, acd, acdSess), "ENDPOINT", voice, queue, division,
			"ABANDON", "", []string{"STANDARD"}, "", 0, 0}))
		talk := t.Sub(start)
		c.Events = append(out, g.event(conv, "customer.end", t, customerEnd{in(t, customer, custSess), "ENDPOINT", voice, talk.Milliseconds(), division}))
		return c
	}
	out = append(out, g.event(conv, "acd.end", t, acdEnd{in(t, acd, acdSess), "TRANSFER", voice, queue, division,
		"ANSWERED", user, []string{"STANDARD"}, "STANDARD", 0, wait.Milliseconds()}))
	alerting := g.span(time.Second, 8*time.Second)
	out = append(out, g.event(conv, "user.start", t, userStart{in(t, agent, agentSess), voice, user, division, queue}))
	answered := t.Add(alerting)
	c.Answered = answered
	talk := g.span(30*time.Second, 10*time.Minute)
	t = answered.Add(talk)
	// the customer hangs up: their end comes first, the agent's a moment later
	c.CustomerEnd = t
	out = append(out, g.event(conv, "customer.end", t, customerEnd{in(t, customer, custSess), "ENDPOINT", voice, t.Sub(start).Milliseconds(), division}))
	t = t.Add(g.ms(10*time.Millisecond, 500*time.Millisecond))
	c.AgentEnd = t
	out = append(out, g.event(conv, "user.end", t, userEnd{in(t, agent, agentSess), "PEER", voice, user, division, queue,
		talk.Milliseconds(), 0, alerting.Milliseconds()}))
	acw := g.span(5*time.Second, 2*time.Minute)
	t = t.Add(acw)
	c.WrapupEnd, c.WrapupCode, c.WrapupNotes = t, g.uuid(), "customer asked about an invoice"
	c.Events = append(out, g.event(conv, "acw", t, afterCallWork{in(t, agent, agentSess), voice, user, queue,
		c.WrapupCode, c.WrapupNotes, acw.Milliseconds()}))
	return c
}

// Stream returns the events of n conversations, one starting every
// Options.Every, merged in eventTime order (as EventBridge would put them
// roughly; it promises no order), with resends per Options.ResendRate
// inserted up to ResendLag events after their originals.
func (g *Generator) Stream(n int) []Event {
	var all []Event
	for range n {
		all = append(all, g.Conversation(g.next)...)
		g.next = g.next.Add(g.opts.Every)
	}
	slices.SortStableFunc(all, func(a, b Event) int { return a.EventTime.Compare(b.EventTime) })
	if g.opts.ResendRate <= 0 {
		return all
	}
	out := make([]Event, 0, len(all)+len(all)/4)
	var pending []struct {
		at int
		e  Event
	}
	for i, e := range all {
		out = append(out, e)
		if g.rng.Float64() < g.opts.ResendRate {
			pending = append(pending, struct {
				at int
				e  Event
			}{i + 1 + g.rng.IntN(g.opts.ResendLag), g.Resend(e, g.ms(time.Second, 4*time.Minute))})
		}
		for j := 0; j < len(pending); {
			if pending[j].at <= i {
				out = append(out, pending[j].e)
				pending = slices.Delete(pending, j, j+1)
				continue
			}
			j++
		}
	}
	for _, p := range pending {
		out = append(out, p.e)
	}
	return out
}

package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"
)

// TimestampLayout is the wire format of "timestamp": UTC, millisecond
// precision.
const TimestampLayout = "2006-01-02T15:04:05.000Z"

// Control frames. They are fixed strings so that tests can compare bytes.
const (
	heartbeatFrame = `{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}`
	pongFrame      = `{"topicName":"channel.metadata","eventBody":{"message":"pong"}}`
)

// Topics of the v2.system control frames.
const (
	TopicSocketClosing = "v2.system.socket_closing"
	TopicTokenRevoked  = "v2.system.token_revoked"
	TopicMetadata      = "channel.metadata"
)

// systemFrame renders a v2.system.* control frame.
func systemFrame(topic, message string) []byte {
	b, _ := json.Marshal(struct {
		TopicName string `json:"topicName"`
		EventBody any    `json:"eventBody"`
	}{topic, map[string]string{"message": message}})
	return b
}

// eventBody is the domain payload. Field order is the order of the first
// serialisation.
type eventBody struct {
	ConversationID string `json:"conversationId"`
	ParticipantID  string `json:"participantId"`
	SessionID      string `json:"sessionId"`
	QueueID        string `json:"queueId"`
	MediaType      string `json:"mediaType"`
	Direction      string `json:"direction"`
	EventType      string `json:"eventType"`
	UserID         string `json:"userId,omitempty"`
	DisconnectType string `json:"disconnectType,omitempty"`
}

type metadata struct {
	CorrelationID string `json:"CorrelationId"`
}

// wireEvent is the feed with ids and RFC 3339 timestamps.
type wireEvent struct {
	ID        string    `json:"id"`
	TopicName string    `json:"topicName"`
	Version   string    `json:"version"`
	Timestamp string    `json:"timestamp"`
	EventBody eventBody `json:"eventBody"`
	Metadata  metadata  `json:"metadata"`
}

// wireEventIDLess is the feed without ids, timed by epoch milliseconds.
type wireEventIDLess struct {
	TopicName string    `json:"topicName"`
	Version   string    `json:"version"`
	EventTime int64     `json:"eventTime"`
	EventBody eventBody `json:"eventBody"`
	Metadata  metadata  `json:"metadata"`
}

// reserialise renders the same JSON content with every object's keys sorted,
// which differs from the first serialisation's order. The real platform gives
// no promise about byte stability across deliveries; this makes the
// difference observable. Numbers survive unchanged through json.Number.
func reserialise(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("failed to decode event for re-serialisation: %w", err)
	}
	b, err := json.Marshal(v) // maps marshal with sorted keys
	if err != nil {
		return nil, fmt.Errorf("failed to re-serialise event: %w", err)
	}
	return b, nil
}

// step is one stage of a conversation's life.
type step struct {
	topic     string // topic suffix after the conversation id
	role      int    // participant role
	eventType string
}

const (
	roleCustomer = iota
	roleACD
	roleAgent
	roleCount
)

// lifecycle is the order of a conversation's detail events.
var lifecycle = [...]step{
	{"customer.start", roleCustomer, "CUSTOMER_START"},
	{"acd.start", roleACD, "ACD_START"},
	{"acd.end", roleACD, "ACD_END"},
	{"user.start", roleAgent, "USER_START"},
	{"user.end", roleAgent, "USER_END"},
	{"customer.end", roleCustomer, "CUSTOMER_END"},
}

var (
	mediaTypes      = [...]string{"voice", "chat", "email", "callback"}
	directions      = [...]string{"inbound", "inbound", "inbound", "outbound"}
	disconnectTypes = [...]string{"client", "endpoint", "peer", "transfer"}
)

// conversation is one live conversation of the generator's pool.
type conversation struct {
	id         string
	queueID    string
	userID     string
	mediaType  string
	direction  string
	next       int // index into lifecycle
	partIDs    [roleCount]string
	sessionIDs [roleCount]string
}

// content generates event contents. It is owned by the generator goroutine;
// every value it produces comes from its seeded source in a fixed order per
// event, so the content sequence depends on the seed only.
type content struct {
	rng    *rand.Rand
	idless bool
	convs  []*conversation
	queues []string
	users  []string
}

// Pool sizes: a handful of conversations alive at once, so that several
// consecutive events share a conversationId.
const (
	liveConversations = 5
	queuePool         = 4
	userPool          = 8
)

func newContent(seed int64, idless bool) *content {
	return newContentFrom(rand.New(rand.NewPCG(uint64(seed), 0x616e616c79746963)), idless) // "analytic"
}

// newContentFrom draws the queue, user and conversation pools from rng,
// which then generates every event.
func newContentFrom(rng *rand.Rand, idless bool) *content {
	c := &content{rng: rng, idless: idless}
	for range queuePool {
		c.queues = append(c.queues, c.uuid())
	}
	for range userPool {
		c.users = append(c.users, c.uuid())
	}
	for range liveConversations {
		c.convs = append(c.convs, c.newConversation())
	}
	return c
}

// uuid returns a version-4-shaped UUID drawn from the seeded source.
func (c *content) uuid() string {
	var b [16]byte
	hi, lo := c.rng.Uint64(), c.rng.Uint64()
	for i := range 8 {
		b[i] = byte(hi >> (56 - 8*i))
		b[8+i] = byte(lo >> (56 - 8*i))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (c *content) newConversation() *conversation {
	cv := &conversation{
		id:        c.uuid(),
		queueID:   c.queues[c.rng.IntN(len(c.queues))],
		userID:    c.users[c.rng.IntN(len(c.users))],
		mediaType: mediaTypes[c.rng.IntN(len(mediaTypes))],
		direction: directions[c.rng.IntN(len(directions))],
	}
	for r := range roleCount {
		cv.partIDs[r] = c.uuid()
		cv.sessionIDs[r] = c.uuid()
	}
	return cv
}

// groupSize draws how many consecutive events share one timestamp.
func (c *content) groupSize() int {
	// 1..4, biased towards small groups.
	return 1 + c.rng.IntN(2) + c.rng.IntN(2)*c.rng.IntN(3)
}

// lateDelay draws whether the next event is late and by how much.
func (c *content) lateDelay(ratio float64, max time.Duration) time.Duration {
	if max <= 0 || c.rng.Float64() >= ratio {
		return 0
	}
	return time.Duration(c.rng.Int64N(int64(max))) + 1 // (0, max]
}

// next produces the next event's id ("" when IDLess) and its first
// serialisation, stamped with t.
func (c *content) next(t time.Time) (string, []byte, error) {
	slot := c.rng.IntN(len(c.convs))
	cv := c.convs[slot]
	st := lifecycle[cv.next]
	cv.next++
	if cv.next == len(lifecycle) {
		c.convs[slot] = c.newConversation()
	}
	body := eventBody{
		ConversationID: cv.id,
		ParticipantID:  cv.partIDs[st.role],
		SessionID:      cv.sessionIDs[st.role],
		QueueID:        cv.queueID,
		MediaType:      cv.mediaType,
		Direction:      cv.direction,
		EventType:      st.eventType,
	}
	if st.role == roleAgent {
		body.UserID = cv.userID
	}
	if st.eventType == "CUSTOMER_END" || st.eventType == "USER_END" {
		body.DisconnectType = disconnectTypes[c.rng.IntN(len(disconnectTypes))]
	}
	id := c.uuid()
	meta := metadata{CorrelationID: c.uuid()}
	topic := "v2.detail.events.conversation." + cv.id + "." + st.topic

	var raw []byte
	var err error
	if c.idless {
		id = ""
		raw, err = json.Marshal(wireEventIDLess{
			TopicName: topic, Version: "2", EventTime: t.UnixMilli(), EventBody: body, Metadata: meta,
		})
	} else {
		raw, err = json.Marshal(wireEvent{
			ID: id, TopicName: topic, Version: "2", Timestamp: t.UTC().Format(TimestampLayout), EventBody: body, Metadata: meta,
		})
	}
	if err != nil {
		return "", nil, fmt.Errorf("failed to encode event: %w", err)
	}
	return id, raw, nil
}

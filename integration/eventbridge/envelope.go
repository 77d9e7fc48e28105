package eventbridge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Event is one generated EventBridge event.
type Event struct {
	Body       []byte    // the whole envelope: the SQS message body
	Detail     []byte    // the detail object, byte for byte as inside Body
	EventBody  []byte    // detail.eventBody, byte for byte as inside Detail
	ID         string    // the EventBridge id
	DetailType string    // the topic pattern, with {id}
	TopicName  string    // the topic, with the conversation id
	EventTime  time.Time // eventBody.eventTime
	Resend     bool      // a resend of an earlier event (same Detail, new ID)
	// CorrelationID is detail.metadata.CorrelationId.
	CorrelationID string
}

// Envelope is the EventBridge event as it is decoded by a consumer.
type Envelope struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// Detail is the Genesys notification inside an envelope.
type Detail struct {
	TopicName string          `json:"topicName"`
	Version   string          `json:"version"`
	EventBody json.RawMessage `json:"eventBody"`
	Metadata  Metadata        `json:"metadata"`
	Timestamp string          `json:"timestamp"`
}

// Metadata is detail.metadata.
type Metadata struct {
	CorrelationID string `json:"CorrelationId"`
}

// TimestampLayout is detail.timestamp: UTC with milliseconds.
const TimestampLayout = "2006-01-02T15:04:05.000Z"

// marshal encodes v compactly without HTML escaping, so that raw pieces
// embedded in it stay byte for byte.
func marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("eventbridge: encode %T: %v", v, err)) // only our own types come here
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// envelope wraps detail bytes in a new EventBridge event put at t.
func (g *Generator) envelope(id, detailType string, t time.Time, detail []byte) []byte {
	return marshal(Envelope{
		Version:    "0",
		ID:         id,
		DetailType: detailType,
		Source:     g.source,
		Account:    g.account,
		Time:       t.UTC().Format(time.RFC3339),
		Region:     g.region,
		Resources:  []string{},
		Detail:     detail,
	})
}

// Pair returns detail.topicName and the raw bytes of detail.eventBody of a
// detail object: what the Ledger counts.
func Pair(detail []byte) (topic string, eventBody []byte, err error) {
	var d struct {
		TopicName string          `json:"topicName"`
		EventBody json.RawMessage `json:"eventBody"`
	}
	if err := json.Unmarshal(detail, &d); err != nil {
		return "", nil, fmt.Errorf("detail: %w", err)
	}
	if d.TopicName == "" || len(d.EventBody) == 0 {
		return "", nil, fmt.Errorf("detail without topicName or eventBody")
	}
	return d.TopicName, d.EventBody, nil
}

// EnvelopePair is Pair for a whole envelope (an SQS message body).
func EnvelopePair(body []byte) (topic string, eventBody []byte, err error) {
	var e struct {
		Detail json.RawMessage `json:"detail"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return "", nil, fmt.Errorf("envelope: %w", err)
	}
	if len(e.Detail) == 0 {
		return "", nil, fmt.Errorf("envelope without detail")
	}
	return Pair(e.Detail)
}

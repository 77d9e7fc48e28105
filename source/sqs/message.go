package sqs

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/tidwall/gjson"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/source"
	"github.com/analytics-bridge/analytics-bridge/source/contentkey"
)

// Record headers of the sqs source, beside the bridge's own.
const (
	HeaderEventBridgeID = "eventbridge-id"
	HeaderDetailType    = "eventbridge-detail-type"
	HeaderEventSource   = "eventbridge-source"
	HeaderSQSMessageID  = "sqs-message-id"
)

// maxDeadLetterBytes cuts a dead letter's value: SQS bodies reach 1 MiB,
// KAFKA_BATCH_BYTES' default.
const maxDeadLetterBytes = 256 << 10

// Why a message is dead-lettered.
var (
	errNotJSON   = errors.New("message body is not a JSON object")
	errNoDetail  = errors.New("message body has no detail object: not an EventBridge event")
	errNoTime    = errors.New("event has no time: neither detail.eventBody.eventTime (epoch ms) nor the envelope's time (RFC 3339)")
	errBadDetail = errors.New("detail is not valid JSON")
)

// parsed is what one message becomes: an event, or a dead letter.
type parsed struct {
	event  source.Event
	reject error
}

// parser turns message bodies into events; one per stream, used by the
// dispatching goroutine only.
type parser struct {
	value   config.SQSValue
	keyPath string
	keys    contentkey.Pair
}

var envelopeFields = []string{"detail", "id", "detail-type", "source", "time"}

// parse reads one message body (its own bytes: the event's value is a
// window on them).
func (p *parser) parse(body []byte, messageID string) parsed {
	if !gjson.ValidBytes(body) || !isObject(body) {
		return parsed{reject: errNotJSON}
	}
	f := gjson.GetManyBytes(body, envelopeFields...)
	detail, id, detailType, src, envTime := f[0], f[1], f[2], f[3], f[4]
	if !detail.IsObject() {
		return parsed{reject: errNoDetail}
	}
	detailRaw := window(body, detail)
	df := gjson.GetManyBytes(detailRaw, "topicName", "eventBody", "eventBody.eventTime", p.keyPath)
	topic, eventBody, eventTime, partKey := df[0], df[1], df[2], df[3]

	at, ok := eventTimeOf(eventTime, envTime)
	if !ok {
		return parsed{reject: errNoTime}
	}
	key, err := p.dedupKey(detailRaw, topic, eventBody)
	if err != nil {
		return parsed{reject: fmt.Errorf("%w: %v", errBadDetail, err)}
	}
	ev := source.Event{Time: at, DedupKey: key, Raw: body}
	if p.value == config.SQSValueDetail {
		ev.Raw = detailRaw
	}
	if partKey.Exists() && (partKey.Type == gjson.String || partKey.Type == gjson.Number) && partKey.String() != "" {
		ev.Key = []byte(partKey.String())
	}
	ev.Headers = headersOf(id, detailType, src, messageID)
	return parsed{event: ev}
}

// dedupKey is the content key of {"eventBody": ..., "topicName": ...}, or
// of the whole detail when it lacks them.
func (p *parser) dedupKey(detail []byte, topic, eventBody gjson.Result) (string, error) {
	if topic.Type != gjson.String || !eventBody.Exists() {
		return contentkey.Of(detail)
	}
	return p.keys.Key(window(detail, topic), window(detail, eventBody))
}

// eventTimeOf is eventBody.eventTime (epoch milliseconds), else the
// envelope's RFC 3339 time.
func eventTimeOf(eventTime, envTime gjson.Result) (time.Time, bool) {
	if eventTime.Type == gjson.Number {
		if ms, err := strconv.ParseInt(eventTime.Raw, 10, 64); err == nil && ms > 0 {
			return time.UnixMilli(ms).UTC(), true
		}
	}
	if envTime.Type == gjson.String {
		if t, err := time.Parse(time.RFC3339Nano, envTime.Str); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

func headersOf(id, detailType, src gjson.Result, messageID string) []source.Header {
	hs := make([]source.Header, 0, 4)
	if id.Type == gjson.String {
		hs = append(hs, source.Header{Key: HeaderEventBridgeID, Value: []byte(id.Str)})
	}
	if detailType.Type == gjson.String {
		hs = append(hs, source.Header{Key: HeaderDetailType, Value: []byte(detailType.Str)})
	}
	if src.Type == gjson.String {
		hs = append(hs, source.Header{Key: HeaderEventSource, Value: []byte(src.Str)})
	}
	if messageID != "" {
		hs = append(hs, source.Header{Key: HeaderSQSMessageID, Value: []byte(messageID)})
	}
	return hs
}

// window is the bytes of r within doc, not a copy.
func window(doc []byte, r gjson.Result) []byte {
	if r.Index > 0 && r.Index+len(r.Raw) <= len(doc) {
		return doc[r.Index : r.Index+len(r.Raw)]
	}
	return []byte(r.Raw)
}

func isObject(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c == '{'
	}
	return false
}

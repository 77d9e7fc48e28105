package contentkey

import (
	"strings"
	"testing"
)

// pairPin is the key of a detail event's {topicName, eventBody}: persisted
// in Kafka by both the sqs and the notifications source, it must never
// change.
const (
	pairPinTopic = `"v2.detail.events.conversation.c-1.customer.end"`
	pairPinBody  = `{"eventTime":1764497730123,"conversationId":"c-1","participantId":"p-1"}`
	pairPinKey   = "sha256:bfc58bd60979aa67886044b8e84fcf8812b5ff050b083ffba858996304a1ce40"
)

func TestPairKey(t *testing.T) {
	var p Pair
	got, err := p.Key([]byte(pairPinTopic), []byte(pairPinBody))
	if err != nil {
		t.Fatal(err)
	}
	want, err := Of([]byte(`{"topicName":` + pairPinTopic + `,"eventBody":` + pairPinBody + `}`))
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("Pair.Key %s, want Of of the pair as an object %s", got, want)
	}
	if got != pairPinKey {
		t.Errorf("Pair.Key %s, want the pinned %s", got, pairPinKey)
	}
	// Re-serialised (members reordered, white space), the key stays; a
	// different body changes it; the buffer's reuse leaks nothing.
	again, err := p.Key([]byte(" "+pairPinTopic), []byte(`{ "participantId":"p-1", "conversationId":"c-1","eventTime":1764497730123 }`))
	if err != nil || again != got {
		t.Errorf("re-serialised: %s, %v; want %s", again, err, got)
	}
	other, err := p.Key([]byte(pairPinTopic), []byte(strings.Replace(pairPinBody, "p-1", "p-2", 1)))
	if err != nil || other == got {
		t.Errorf("another body: %s, %v; want a key other than %s", other, err, got)
	}
	if _, err := p.Key([]byte(pairPinTopic), []byte(`{"eventTime":`)); err == nil {
		t.Error("a truncated body: want an error")
	}
}

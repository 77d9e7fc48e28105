package sqs

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/config"
)

const genesysBody = `{"version":"0","id":"6a7e8feb-b491-4cf7-a9f1-bf3703467718","detail-type":"v2.detail.events.conversation.{id}.customer.end",` +
	`"source":"aws.partner/genesys.com/cloud/org-1/analytics","account":"123456789012","time":"2026-11-30T10:15:30Z","region":"us-east-1","resources":[],` +
	`"detail":{"topicName":"v2.detail.events.conversation.c-1.customer.end","version":"2",` +
	`"eventBody":{"eventTime":1764497730123,"conversationId":"c-1","participantId":"p-1"},"metadata":{"CorrelationId":"x"},"timestamp":"2026-11-30T10:15:30.200Z"}}`

const detailOfGenesysBody = `{"topicName":"v2.detail.events.conversation.c-1.customer.end","version":"2",` +
	`"eventBody":{"eventTime":1764497730123,"conversationId":"c-1","participantId":"p-1"},"metadata":{"CorrelationId":"x"},"timestamp":"2026-11-30T10:15:30.200Z"}`

func TestParse(t *testing.T) {
	detail := parser{value: config.SQSValueDetail, keyPath: config.SQSDefaultPartitionKey}
	got := detail.parse([]byte(genesysBody), "m-1")
	if got.reject != nil {
		t.Fatal(got.reject)
	}
	ev := got.event
	if string(ev.Raw) != detailOfGenesysBody {
		t.Errorf("value\n%s\nwant the detail's bytes as received\n%s", ev.Raw, detailOfGenesysBody)
	}
	if want := time.UnixMilli(1764497730123).UTC(); !ev.Time.Equal(want) {
		t.Errorf("time %s, want eventBody.eventTime %s", ev.Time, want)
	}
	if string(ev.Key) != "c-1" {
		t.Errorf("key %q, want the conversation id", ev.Key)
	}
	if !strings.HasPrefix(ev.DedupKey, "sha256:") {
		t.Errorf("dedup key %q, want a content key", ev.DedupKey)
	}
	headers := map[string]string{}
	for _, h := range ev.Headers {
		headers[h.Key] = string(h.Value)
	}
	for k, want := range map[string]string{HeaderEventBridgeID: "6a7e8feb-b491-4cf7-a9f1-bf3703467718", HeaderSQSMessageID: "m-1",
		HeaderDetailType: "v2.detail.events.conversation.{id}.customer.end", HeaderEventSource: "aws.partner/genesys.com/cloud/org-1/analytics"} {
		if headers[k] != want {
			t.Errorf("header %s = %q, want %q", k, headers[k], want)
		}
	}

	body := parser{value: config.SQSValueBody, keyPath: config.SQSDefaultPartitionKey}
	if got := body.parse([]byte(genesysBody), "m-1"); string(got.event.Raw) != genesysBody || got.event.DedupKey != ev.DedupKey {
		t.Errorf("SQS_VALUE=body: value %q, key %q; want the whole body and the same dedup key", got.event.Raw, got.event.DedupKey)
	}
}

// The dedup key follows the content of detail (topicName and eventBody),
// never the EventBridge id, the envelope time or detail's other members,
// and survives re-serialisation.
func TestDedupKey(t *testing.T) {
	p := parser{value: config.SQSValueDetail, keyPath: config.SQSDefaultPartitionKey}
	key := func(body string) string {
		t.Helper()
		got := p.parse([]byte(body), "m")
		if got.reject != nil {
			t.Fatalf("%v: %s", got.reject, body)
		}
		return got.event.DedupKey
	}
	base := key(genesysBody)
	same := map[string]string{
		"a resend with a new id and time": strings.NewReplacer(`"id":"6a7e8feb-b491-4cf7-a9f1-bf3703467718"`, `"id":"00000000-0000-0000-0000-000000000001"`,
			`"time":"2026-11-30T10:15:30Z"`, `"time":"2026-12-02T08:00:00Z"`).Replace(genesysBody),
		"other metadata":     strings.Replace(genesysBody, `"CorrelationId":"x"`, `"CorrelationId":"y"`, 1),
		"re-serialised body": strings.Replace(genesysBody, `{"eventTime":1764497730123,"conversationId":"c-1","participantId":"p-1"}`, `{ "participantId": "p-1", "conversationId":"c-1", "eventTime": 1764497730123 }`, 1),
	}
	for name, body := range same {
		if k := key(body); k != base {
			t.Errorf("%s: key %s, want %s", name, k, base)
		}
	}
	differ := map[string]string{
		"another topic":      strings.Replace(genesysBody, `c-1.customer.end"`, `c-2.customer.end"`, 1),
		"another event time": strings.Replace(genesysBody, `1764497730123`, `1764497730124`, 1),
	}
	for name, body := range differ {
		if k := key(body); k == base {
			t.Errorf("%s: the same key as the original", name)
		}
	}
}

func TestParseRejects(t *testing.T) {
	p := parser{value: config.SQSValueDetail, keyPath: config.SQSDefaultPartitionKey}
	tests := []struct {
		name, body string
		want       error
	}{
		{"not JSON", `hello`, errNotJSON},
		{"a JSON array", `[1,2]`, errNotJSON},
		{"truncated", genesysBody[:100], errNotJSON},
		{"no detail", `{"id":"x","time":"2026-11-30T10:15:30Z"}`, errNoDetail},
		{"detail not an object", `{"id":"x","time":"2026-11-30T10:15:30Z","detail":"text"}`, errNoDetail},
		{"no time at all", `{"id":"x","detail":{"topicName":"t","eventBody":{"a":1}}}`, errNoTime},
		{"unparseable times", `{"time":"yesterday","detail":{"topicName":"t","eventBody":{"eventTime":"soon"}}}`, errNoTime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.parse([]byte(tt.body), "m"); !errors.Is(got.reject, tt.want) {
				t.Fatalf("reject %v, want %v", got.reject, tt.want)
			}
		})
	}
	// The envelope's time stands in for a missing eventTime.
	got := p.parse([]byte(`{"time":"2026-11-30T10:15:30Z","detail":{"topicName":"t","eventBody":{"a":1}}}`), "m")
	if got.reject != nil || !got.event.Time.Equal(time.Date(2026, 11, 30, 10, 15, 30, 0, time.UTC)) {
		t.Fatalf("envelope time: %v %v", got.reject, got.event.Time)
	}
}

// The dedup key of genesysBody is contentkey's pinned pair key
// (source/contentkey/pair_test.go): the notifications source keys the same
// event the same.
func TestDedupKeyIsThePairKey(t *testing.T) {
	p := parser{value: config.SQSValueDetail, keyPath: config.SQSDefaultPartitionKey}
	const pinned = "sha256:bfc58bd60979aa67886044b8e84fcf8812b5ff050b083ffba858996304a1ce40"
	if got := p.parse([]byte(genesysBody), "m-1"); got.event.DedupKey != pinned {
		t.Errorf("dedup key %s, want %s", got.event.DedupKey, pinned)
	}
}

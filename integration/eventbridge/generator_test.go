package eventbridge

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func strict(t *testing.T, b []byte, v any) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		t.Fatalf("decode %s into %T: %v", b, v, err)
	}
}

// splitTopic returns the conversation id and the suffix of a detail topic.
func splitTopic(t *testing.T, topic string) (id, suffix string) {
	t.Helper()
	rest, ok := strings.CutPrefix(topic, "v2.detail.events.conversation.")
	if !ok || len(rest) < 37 {
		t.Fatalf("topic %q", topic)
	}
	return rest[:36], rest[37:]
}

func TestEnvelopeShape(t *testing.T) {
	g := New(Options{Seed: 1, OrgID: "1b2c3d4e-0000-4000-8000-000000000001", ResendRate: 0.2})
	for _, e := range g.Stream(20) {
		if !bytes.HasPrefix(e.Body, []byte(`{"version":"0","id":"`+e.ID+`","detail-type":"`)) {
			t.Fatalf("envelope does not open like EventBridge's: %.80s", e.Body)
		}
		var env Envelope
		strict(t, e.Body, &env)
		if env.Version != "0" || !uuidRE.MatchString(env.ID) || env.ID != e.ID ||
			env.Source != "aws.partner/genesys.com/cloud/1b2c3d4e-0000-4000-8000-000000000001/analytics-detail-events" ||
			env.Account != "123456789012" || env.Region != "us-east-1" || env.Resources == nil || len(env.Resources) != 0 {
			t.Fatalf("envelope %+v", env)
		}
		if _, err := time.Parse(time.RFC3339, env.Time); err != nil || strings.Contains(env.Time, ".") {
			t.Fatalf("time %q: want RFC 3339 in whole seconds", env.Time)
		}
		var d Detail
		strict(t, env.Detail, &d)
		id, suffix := splitTopic(t, d.TopicName)
		if !uuidRE.MatchString(id) || env.DetailType != "v2.detail.events.conversation.{id}."+suffix || d.Version != "2" ||
			!uuidRE.MatchString(d.Metadata.CorrelationID) {
			t.Fatalf("detail-type %q, detail %+v", env.DetailType, d)
		}
		if _, err := time.Parse(TimestampLayout, d.Timestamp); err != nil {
			t.Fatalf("detail.timestamp %q: %v", d.Timestamp, err)
		}
		// the pieces are windows on the body's own bytes
		if !bytes.Equal(env.Detail, e.Detail) || !bytes.Equal(d.EventBody, e.EventBody) || !bytes.Contains(e.Body, e.Detail) {
			t.Fatal("Detail / EventBody are not the bytes inside Body")
		}
	}
}

func TestBodiesDecodeWithSDKModels(t *testing.T) {
	g := New(Options{Seed: 2})
	suffixes := map[string]int{}
	for _, e := range g.Stream(30) {
		id, suffix := splitTopic(t, e.TopicName)
		m := sdkModel(suffix)
		if m == nil {
			t.Fatalf("topic %s is no conversation detail event type", e.TopicName)
		}
		strict(t, e.EventBody, m)
		var c struct {
			EventTime      int64  `json:"eventTime"`
			ConversationID string `json:"conversationId"`
			ParticipantID  string `json:"participantId"`
			SessionID      string `json:"sessionId"`
			MediaType      string `json:"mediaType"`
			Direction      string `json:"direction"`
		}
		mustUnmarshal(e.EventBody, &c)
		if c.EventTime != e.EventTime.UnixMilli() || c.ConversationID != id || c.ParticipantID == "" || c.SessionID == "" ||
			c.MediaType != "VOICE" || c.Direction != "INBOUND" {
			t.Fatalf("%s body %s", suffix, e.EventBody)
		}
		suffixes[suffix]++
	}
	for _, s := range []string{"customer.start", "acd.start", "acd.end", "user.start", "user.end", "customer.end", "acw"} {
		if suffixes[s] == 0 {
			t.Errorf("30 conversations had no %s event", s)
		}
	}
}

func TestConversationOrder(t *testing.T) {
	answered := []string{"customer.start", "acd.start", "acd.end", "user.start", "customer.end", "user.end", "acw"}
	abandoned := []string{"customer.start", "acd.start", "acd.end", "customer.end"}
	for _, tc := range []struct {
		rate    float64
		want    []string
		outcome string
	}{{-1, answered, "ANSWERED"}, {1, abandoned, "ABANDON"}} {
		g := New(Options{Seed: 3, AbandonRate: tc.rate})
		evs := g.Conversation(time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC))
		var got []string
		for i, e := range evs {
			_, s := splitTopic(t, e.TopicName)
			got = append(got, s)
			if i > 0 && e.EventTime.Before(evs[i-1].EventTime) {
				t.Fatalf("event %d goes back in time", i)
			}
			if s == "acd.end" {
				var b struct{ AcdOutcome string }
				mustUnmarshal(e.EventBody, &b)
				if b.AcdOutcome != tc.outcome {
					t.Fatalf("acdOutcome %s, want %s", b.AcdOutcome, tc.outcome)
				}
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Fatalf("conversation %v, want %v", got, tc.want)
		}
	}
}

func TestIDsUniqueAndResendsKeepDetail(t *testing.T) {
	g := New(Options{Seed: 4, ResendRate: 0.3})
	evs := g.Stream(100)
	ids := map[string]bool{}
	byDetail := map[string]Event{}
	originals, resends := 0, 0
	for _, e := range evs {
		if ids[e.ID] {
			t.Fatalf("EventBridge id %s used twice", e.ID)
		}
		ids[e.ID] = true
		if !e.Resend {
			originals++
			byDetail[string(e.Detail)] = e
		}
	}
	for _, e := range evs {
		if !e.Resend {
			continue
		}
		resends++
		orig, ok := byDetail[string(e.Detail)]
		if !ok {
			t.Fatal("a resend's detail bytes match no original")
		}
		var a, b Envelope
		mustUnmarshal(orig.Body, &a)
		mustUnmarshal(e.Body, &b)
		if a.ID == b.ID || !bytes.Equal(a.Detail, b.Detail) || b.Time <= a.Time {
			t.Fatalf("resend %s of %s: want a new id, later time, same detail", b.ID, a.ID)
		}
	}
	if resends == 0 || resends == len(evs) {
		t.Fatalf("%d resends of %d events", resends, len(evs))
	}
	if g.Ledger().Len() != originals {
		t.Fatalf("ledger holds %d pairs, want the %d originals", g.Ledger().Len(), originals)
	}
}

// Same seed, same bytes.
func TestDeterministic(t *testing.T) {
	a := New(Options{Seed: 5, ResendRate: 0.1}).Stream(10)
	b := New(Options{Seed: 5, ResendRate: 0.1}).Stream(10)
	if len(a) != len(b) {
		t.Fatal("lengths differ")
	}
	for i := range a {
		if !bytes.Equal(a[i].Body, b[i].Body) {
			t.Fatalf("event %d differs", i)
		}
	}
}

func TestLedgerCheck(t *testing.T) {
	g := New(Options{Seed: 6, ResendRate: 0.5})
	evs := g.Stream(10)
	var details, bodies, once [][]byte
	resends := 0
	for _, e := range evs {
		details = append(details, e.Detail)
		bodies = append(bodies, e.Body)
		if e.Resend {
			resends++
		} else {
			once = append(once, e.Detail)
		}
	}
	n := g.Ledger().Len()
	cases := []struct {
		name      string
		values    [][]byte
		envelopes bool
		want      Report
		once      bool
	}{
		{"each once", once, false, Report{Expected: n, Read: n, Distinct: n}, true},
		{"with resends", details, false, Report{Expected: n, Read: len(details), Distinct: n, Duplicates: resends}, false},
		{"envelopes", bodies, true, Report{Expected: n, Read: len(bodies), Distinct: n, Duplicates: resends}, false},
		{"one lost", once[1:], false, Report{Expected: n, Read: n - 1, Distinct: n - 1, Missing: 1}, false},
		{"foreign and broken", append(slices.Clone(once), []byte(`{"topicName":"x","eventBody":{}}`), []byte(`nope`)), false,
			Report{Expected: n, Read: n + 2, Distinct: n, Unexpected: 1, Malformed: 1}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := g.Ledger().Check(tc.values, tc.envelopes)
			if got != tc.want || got.ExactlyOnce() != tc.once {
				t.Fatalf("got %+v (exactly once %v), want %+v (%v)", got, got.ExactlyOnce(), tc.want, tc.once)
			}
		})
	}
}

// Pace scales every phase of a call, and nothing else of it.
func TestGeneratorPaceScalesCalls(t *testing.T) {
	length := func(pace float64) (total time.Duration) {
		g := New(Options{Seed: 9, Pace: pace, AbandonRate: -1})
		for range 20 {
			c := g.Call(time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC))
			total += c.End().Sub(c.Start)
		}
		return total
	}
	full, fast := length(0), length(0.05)
	if fast <= 0 || fast*10 > full {
		t.Fatalf("20 calls last %s at pace 0.05 and %s at pace 1: want about a twentieth", fast, full)
	}
}

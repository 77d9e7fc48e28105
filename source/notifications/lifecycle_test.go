package notifications_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/source/contentkey"
)

// The wanted topics are subscribed on one channel and read: each event
// with its frame as read, its eventBody a window on it, its eventTime and
// its content key; nothing is reported missing.
func TestEventsFlow(t *testing.T) {
	r := newRig(t, config{})
	topics := r.queueTopics()
	calls := r.kit.Server.AddConversations(r.kit.Clock.Now().Add(time.Minute), 4, 30*time.Second)
	var detail []string
	for _, p := range calls[0].DetailEvents {
		detail = append(detail, p.Topic)
	}
	if err := r.client.Subscribe(append(topics, detail...), time.Time{}); err != nil {
		t.Fatal(err)
	}
	r.run()
	r.connected(len(topics) + len(uniq(detail)))
	ch := r.channelOf()
	for range 20 {
		r.advance(30 * time.Second)
	}
	r.caughtUp(ch)
	all := append(topics, detail...)
	if n := len(r.uncovered(all, time.Time{})); n != 0 {
		t.Errorf("%d notifications neither read nor in a gap", n)
	}
	if gaps := r.rec.gapList(); len(gaps) != 0 {
		t.Errorf("gaps %+v, want none", gaps)
	}
	var keys contentkey.Pair
	sawTime := false
	for _, ev := range r.rec.eventList() {
		if !bytes.Contains(ev.Frame, ev.EventBody) || &ev.EventBody[0] == nil || !within(ev.Frame, ev.EventBody) {
			t.Fatalf("eventBody is not a window on the frame: %s", ev.Frame)
		}
		want, err := keys.Key([]byte(`"`+ev.Topic+`"`), ev.EventBody)
		if err != nil || ev.DedupKey != want {
			t.Errorf("dedup key %s, want the content key %s (%v)", ev.DedupKey, want, err)
		}
		if ev.Channel != ch {
			t.Errorf("event on channel %s, want %s", ev.Channel, ch)
		}
		sawTime = sawTime || !ev.EventTime.IsZero()
	}
	if !sawTime || len(r.rec.eventList()) < 10 {
		t.Errorf("%d events, detail event times seen %v: want detail events with their eventTime", len(r.rec.eventList()), sawTime)
	}
	st := r.client.Stats()
	if st.ChannelsCreated != 1 || st.SocketsConnected != 1 || st.Gaps != 0 {
		t.Errorf("stats %+v, want one channel, one socket, no gap", st)
	}
}

func uniq(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// within reports whether w is a window on b's memory.
func within(b, w []byte) bool {
	for i := range b {
		if &b[i] == &w[0] {
			return i+len(w) <= len(b)
		}
	}
	return false
}

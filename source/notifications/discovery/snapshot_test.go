package discovery

import (
	"errors"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/source/notifications"
)

// What a snapshot body says, beyond the stand-in's shapes: the media
// variants' participants (startTime, state), communications without a
// participant endTime, and the ways after-call work is done or owed.
func TestParseSnapshot(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		body  string
		start time.Time
		over  bool
	}{
		{"customer connected, alive",
			`{"id":"c1","participants":[{"purpose":"customer","connectedTime":"2026-11-30T10:00:00.000Z","calls":[{"state":"connected"}]}]}`,
			t0, false},
		{"every participant ended, no wrapup owed",
			`{"id":"c1","participants":[{"connectedTime":"2026-11-30T10:00:05.000Z","endTime":"2026-11-30T10:01:00.000Z"},
			  {"connectedTime":"2026-11-30T10:00:00.000Z","endTime":"2026-11-30T10:01:00.000Z","wrapupRequired":false}]}`,
			t0, true},
		{"agent ended, after-call work owed",
			`{"id":"c1","participants":[{"connectedTime":"2026-11-30T10:00:00.000Z","endTime":"2026-11-30T10:01:00.000Z"},
			  {"connectedTime":"2026-11-30T10:00:10.000Z","endTime":"2026-11-30T10:01:00.000Z","wrapupRequired":true,"startAcwTime":"2026-11-30T10:01:00.000Z"}]}`,
			t0, false},
		{"agent wrapped up",
			`{"id":"c1","participants":[{"connectedTime":"2026-11-30T10:00:00.000Z","endTime":"2026-11-30T10:01:00.000Z"},
			  {"connectedTime":"2026-11-30T10:00:10.000Z","endTime":"2026-11-30T10:01:00.000Z","wrapupRequired":true,"wrapup":{"code":"x"}}]}`,
			t0, true},
		{"agent endAcwTime",
			`{"id":"c1","participants":[{"connectedTime":"2026-11-30T10:00:10.000Z","endTime":"2026-11-30T10:01:00.000Z","wrapupRequired":true,"endAcwTime":"2026-11-30T10:02:00.000Z"}]}`,
			t0.Add(10 * time.Second), true},
		{"wrapup null is no wrapup",
			`{"id":"c1","participants":[{"connectedTime":"2026-11-30T10:00:10.000Z","endTime":"2026-11-30T10:01:00.000Z","wrapupRequired":true,"wrapup":null}]}`,
			t0.Add(10 * time.Second), false},
		{"agent never answered owes nothing",
			`{"id":"c1","participants":[{"connectedTime":"2026-11-30T10:00:00.000Z","endTime":"2026-11-30T10:01:00.000Z"},
			  {"endTime":"2026-11-30T10:00:30.000Z","wrapupRequired":true,"calls":[{"state":"disconnected"}]}]}`,
			t0, true},
		{"communications all disconnected, no endTime",
			`{"id":"c1","participants":[{"calls":[{"state":"disconnected","connectedTime":"2026-11-30T10:00:00.000Z"},{"state":"terminated"}]}]}`,
			t0, true},
		{"one communication still connected",
			`{"id":"c1","participants":[{"calls":[{"state":"disconnected","connectedTime":"2026-11-30T10:00:00.000Z"}],"chats":[{"state":"connected"}]}]}`,
			t0, false},
		{"after-call work complete on the communication",
			`{"id":"c1","participants":[{"connectedTime":"2026-11-30T10:00:00.000Z","endTime":"2026-11-30T10:01:00.000Z","wrapupRequired":true,
			  "calls":[{"state":"disconnected","afterCallWork":{"state":"complete"}}]}]}`,
			t0, true},
		{"after-call work pending on the communication",
			`{"id":"c1","participants":[{"connectedTime":"2026-11-30T10:00:00.000Z","endTime":"2026-11-30T10:01:00.000Z","wrapupRequired":true,
			  "calls":[{"state":"disconnected","afterCallWork":{"state":"pending"}}]}]}`,
			t0, false},
		{"calls variant: startTime and state",
			`{"id":"c1","participants":[{"startTime":"2026-11-30T09:59:58.000Z","connectedTime":"2026-11-30T10:00:00.000Z","state":"disconnected"},
			  {"startTime":"2026-11-30T10:00:20.000Z","state":"disconnected","wrapupRequired":true,"wrapupSkipped":true,"connectedTime":"2026-11-30T10:00:21.000Z"}]}`,
			t0.Add(-2 * time.Second), true},
		{"calls variant: a participant still connected",
			`{"id":"c1","participants":[{"startTime":"2026-11-30T10:00:00.000Z","state":"connected"}]}`,
			t0, false},
		{"no participants: not over, no start",
			`{"id":"c1","participants":[]}`, time.Time{}, false},
		{"an odd time is skipped",
			`{"id":"c1","participants":[{"connectedTime":"yesterday"},{"connectedTime":"2026-11-30T10:00:00Z"}]}`,
			t0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := parseSnapshot([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if s.id != "c1" || !s.start.Equal(tc.start) || s.over != tc.over {
				t.Errorf("got id %q start %v over %v; want start %v over %v", s.id, s.start, s.over, tc.start, tc.over)
			}
		})
	}
}

// Bodies that cannot be read are ignored and counted, never followed;
// events that are not snapshots are not sightings and not counted.
func TestMalformedSnapshotsIgnored(t *testing.T) {
	r := newRig(t, followConfig(-1, Options{}))
	topic := "v2.routing.queues.q.conversations"
	bad := []string{`not json`, `{"id":`, `[]`, `{"participants":[]}`, `{"id":"a.b","participants":[]}`,
		`{"id":"c1","participants":"none"}`, `{"id":"c1","participants":[{"endTime":5}]}`, ``}
	for i, body := range bad {
		s, ok := r.d.Seen(&notifications.Event{Topic: topic, EventBody: []byte(body)})
		if ok || s != (Sighting{}) {
			t.Errorf("%q: sighting %+v %v, want none", body, s, ok)
		}
		if st := r.d.Stats(); st.Malformed != uint64(i+1) || st.Snapshots != uint64(i+1) {
			t.Errorf("%q: stats %+v", body, st)
		}
		if _, err := parseSnapshot([]byte(body)); !errors.Is(err, errSnapshot) {
			t.Errorf("%q: error %v does not wrap errSnapshot", body, err)
		}
	}
	for _, other := range []string{"v2.routing.queues.q.users", "v2.detail.events.conversation.c1.acw",
		"channel.metadata", "v2.analytics.queues.q.observations"} {
		if _, ok := r.d.Seen(&notifications.Event{Topic: other, EventBody: []byte(`{"id":"c1","participants":[]}`)}); ok {
			t.Errorf("%s: taken for a snapshot", other)
		}
	}
	if st := r.d.Stats(); st.Snapshots != uint64(len(bad)) || st.Tracked != 0 || len(r.rec.callList()) != 0 {
		t.Errorf("stats %+v, calls %+v", st, r.rec.callList())
	}
	// A good snapshot after them is read.
	s, ok := r.d.Seen(&notifications.Event{Topic: topic + ".calls", EventBody: []byte(`{"id":"c1","participants":[]}`),
		Received: r.kit.Clock.Now()})
	if !ok || !s.New || !s.Followed || !s.Start.Equal(r.kit.Clock.Now()) {
		t.Errorf("a good snapshot: %+v %v, want new and followed from its receipt", s, ok)
	}
}

package gcnotifications_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge"
	"github.com/analytics-bridge/analytics-bridge/checkpoint"
	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
	"github.com/analytics-bridge/analytics-bridge/integration/genesystest"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/proctest"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/feed"
)

// The process-level tests of SOURCE=notifications run the real binary
// (children started by proctest.Start) against the Genesys stand-in served
// by this test process on the wall clock, and against the embedded broker,
// which lives here too (or KAFKA_BROKERS). A killed child's socket ends with
// it: what the stand-in publishes until the next one connects is lost for
// the bridge (the platform buffers nothing), and only the back-fill from
// the checkpoint can cover it, once the API's one-minute rule allows. These
// tests mostly wait for that minute, so they run in parallel.

// procPoll is how often the tests look at the stand-in or the topic.
const procPoll = 100 * time.Millisecond

// procDoneWithin is how long, from the last restart, a test waits for the
// topic to cover every call and the back-fill to be done: the one-minute
// rule, the calls still going on, and a loaded machine.
const procDoneWithin = 3 * time.Minute

// procSetup is a stand-in on the wall clock, a cluster, the children's
// environment reading one into the other, and the built binary.
type procSetup struct {
	bin   string
	kafka *kafkatest.Cluster
	g     *genesys.Server
	env   config.Env
}

// newProcSetup starts a stand-in with o (calls of seconds, a heartbeat
// every 2 s, three queues) and a cluster for t; tweak changes the
// children's environment.
func newProcSetup(t *testing.T, bin string, o genesys.Options, tweak func(*config.Env)) *procSetup {
	t.Helper()
	c := kafkatest.Start(t)
	o.CallPace = 0.05
	o.HeartbeatEvery = 2 * time.Second
	o.Queues = 3
	g, err := genesys.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := g.Close(); err != nil {
			t.Errorf("closing the stand-in: %v", err)
		}
	})
	env := genesystest.Env(c, g)
	if tweak != nil {
		tweak(&env)
	}
	return &procSetup{bin: bin, kafka: c, g: g, env: env}
}

// start runs a child with env (the setup's, changed), logging to log.
func (s *procSetup) start(t *testing.T, env config.Env, log *proctest.Log) *proctest.Child {
	t.Helper()
	return proctest.Start(t, s.bin, env, log)
}

// newProcModes is two bridges side by side on one stand-in and cluster,
// one per commit mode (KAFKA_TRANSACTIONS true, then false), each with
// names of its own: both read the same calls, and a fault hits both at
// once. One test then covers both modes in the time of one.
func newProcModes(t *testing.T, bin string, o genesys.Options) []*procSetup {
	t.Helper()
	base := newProcSetup(t, bin, o, nil)
	var out []*procSetup
	for _, transactions := range []string{"true", "false"} {
		s := *base
		s.env.KafkaTransactions = transactions
		s.env.BridgeName = base.env.BridgeName + "-txn-" + transactions
		s.env.BridgeInstanceID = s.env.BridgeName + "-1"
		s.env.KafkaTopic = s.env.BridgeName + ".events"
		s.env.CheckpointTopic = s.env.BridgeName + ".checkpoints"
		out = append(out, &s)
	}
	return out
}

// mode names the setup's commit mode in messages.
func (s *procSetup) mode() string { return "transactions=" + s.env.KafkaTransactions }

// procWaitFor polls cond until it holds, failing t after within.
func procWaitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(procPoll)
	}
}

// records reads the topic back (read_committed).
func (s *procSetup) records(t *testing.T) []kafkatest.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	recs, err := s.kafka.ReadAll(ctx, s.env.KafkaTopic)
	if err != nil {
		t.Fatalf("reading the topic back: %v", err)
	}
	return recs
}

// events counts the committed records of kind event.
func (s *procSetup) events(t *testing.T) int {
	t.Helper()
	n := 0
	for _, r := range s.records(t) {
		if r.Headers[bridge.HeaderRecordKind] == "event" {
			n++
		}
	}
	return n
}

// verdict reads the topic back and checks it against the stand-in.
func (s *procSetup) verdict() (genesystest.Report, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return genesystest.Verdict(ctx, s.kafka, s.env.KafkaTopic, s.g)
}

// waitDone waits until every one of calls conversations has ended and a
// read_committed reader finds each covered (by its detail events or a
// conversation-detail record) with no dedup key twice (a duplicate fails
// at once), then until the bridge's checkpoint lists nothing left to
// back-fill, and checks the topic once more: a back-fill after the
// coverage must not have written anything twice. It fails after within,
// and returns the last report, when the topic was first covered and when
// the checkpoint was clear.
func (s *procSetup) waitDone(t *testing.T, calls int, within time.Duration) (report genesystest.Report, coveredAt, settledAt time.Time) {
	t.Helper()
	deadline := time.Now().Add(within)
	var err error
	for {
		if s.g.Summary().Ended >= calls {
			if report, err = s.verdict(); err == nil {
				if len(report.DuplicateKeys) > 0 {
					t.Fatalf("%s: a dedup key read twice: %s; first %q", s.mode(), report, report.DuplicateKeys[0])
				}
				if report.Complete() && report.Coverage.Ended >= calls {
					break
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not every call covered after %s: %s (read error %v); stand-in %+v; missing %v",
				s.mode(), within, report, err, s.g.Summary(), report.Coverage.Missing)
		}
		time.Sleep(500 * time.Millisecond)
	}
	coveredAt = time.Now()
	var left string
	for {
		if left, err = s.backfillLeft(); err == nil && left == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the checkpoint still lists %s after %s (%v)", s.mode(), left, within, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	settledAt = time.Now()
	if report, err = s.verdict(); err != nil {
		t.Fatalf("%s: %v", s.mode(), err)
	}
	if !report.Complete() {
		t.Fatalf("%s: once the back-fill was done: %s; duplicate keys %q, missing %v", s.mode(), report, report.DuplicateKeys, report.Coverage.Missing)
	}
	return report, coveredAt, settledAt
}

// backfillLeft describes what the bridge's committed checkpoint still has
// to back-fill: "" when no gap and no conversation awaited.
func (s *procSetup) backfillLeft() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pos, found, err := checkpoint.NewStore(s.kafka.Client(), s.env.CheckpointTopic, s.env.BridgeName).Load(ctx)
	if err != nil || !found {
		return "no checkpoint", err
	}
	var st struct {
		Gaps    []json.RawMessage `json:"gaps"`
		Pending []string          `json:"pending"`
	}
	if err := json.Unmarshal(pos.State, &st); err != nil {
		return "an unreadable state", fmt.Errorf("the checkpoint's state %s: %w", pos.State, err)
	}
	if len(st.Gaps)+len(st.Pending) == 0 {
		return "", nil
	}
	return fmt.Sprintf("%d gaps and %d conversations awaited", len(st.Gaps), len(st.Pending)), nil
}

// channelsKnown is every channel the stand-in has known so far: the live
// ones, and every one a notification was published for (an evicted
// channel's records may be in the topic).
func (s *procSetup) channelsKnown(t *testing.T) map[string]bool {
	t.Helper()
	known := map[string]bool{}
	for _, p := range s.g.Published() {
		for _, id := range append(p.Delivered, p.Missed...) {
			known[id] = true
		}
	}
	req, err := http.NewRequest(http.MethodGet, s.g.APIURL()+"/api/v2/notifications/channels?includechannels=oauthclient", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.g.IssueToken(genesys.DefaultClientID))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("listing the channels: %v", err)
	}
	defer res.Body.Close()
	var list struct{ Entities []struct{ ID string } }
	if err := json.NewDecoder(res.Body).Decode(&list); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("listing the channels: status %d, %v", res.StatusCode, err)
	}
	for _, e := range list.Entities {
		known[e.ID] = true
	}
	return known
}

// liveFromNewChannel reports whether the topic holds a committed event
// record read on a channel not in known: one a later instance read live.
func (s *procSetup) liveFromNewChannel(t *testing.T, known map[string]bool) bool {
	t.Helper()
	for _, r := range s.records(t) {
		if r.Headers[bridge.HeaderRecordKind] == "event" && !known[r.Headers[feed.HeaderChannel]] {
			return true
		}
	}
	return false
}

// procGapFilled checks that every conversation in convs is in the topic
// as a conversation-detail record back-filled for a gap, and none of its
// detail events is: it was covered by the back-fill alone.
func procGapFilled(records []kafkatest.Record, convs []genesys.Conversation) error {
	gapFilled := map[string]bool{}
	events := map[string]int{}
	for _, r := range records {
		id := r.Headers[feed.HeaderConversationID]
		switch r.Headers[bridge.HeaderRecordKind] {
		case "conversation-detail":
			gapFilled[id] = gapFilled[id] || r.Headers[feed.HeaderBackfill] == "gap"
		case "event":
			events[id]++
		}
	}
	for _, c := range convs {
		if !gapFilled[c.ID] || events[c.ID] != 0 {
			return fmt.Errorf("conversation %s (%s to %s): back-filled for a gap %v, %d event records; want back-filled and no event",
				c.ID, c.Start.Format(time.RFC3339Nano), c.End.Format(time.RFC3339Nano), gapFilled[c.ID], events[c.ID])
		}
	}
	return nil
}

// procWithin returns the conversations that started after from and ended
// before to: every notification of them was published in between.
func procWithin(convs []genesys.Conversation, from, to time.Time) []genesys.Conversation {
	var out []genesys.Conversation
	for _, c := range convs {
		if c.Start.After(from) && c.End.Before(to) {
			out = append(out, c)
		}
	}
	return out
}

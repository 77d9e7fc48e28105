package gcnotifications_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge"
	"github.com/analytics-bridge/analytics-bridge/integration/genesystest"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/feed"
)

// coverWithin bounds the wait for the verdict: a gap is back-filled once
// its end is more than a minute old, and a test's gaps may queue behind
// one another.
const coverWithin = 3 * time.Minute

// waitCovered waits until every conversation the stand-in generated has
// ended, and a read_committed reader finds each of them covered (all its
// detail events, or a conversation-detail record) and no dedup key twice;
// a duplicate fails at once.
func (r *rig) waitCovered(ru *run) genesystest.Report {
	r.t.Helper()
	deadline := time.Now().Add(coverWithin)
	var report genesystest.Report
	for {
		ru.alive(r.t)
		generated := r.g.Summary().Conversations
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		rep, err := genesystest.Verdict(ctx, r.c, r.env.KafkaTopic, r.g)
		cancel()
		if err == nil {
			report = rep
			if len(rep.DuplicateKeys) > 0 {
				r.t.Fatalf("a dedup key read twice: %s; first %q", rep, rep.DuplicateKeys[0])
			}
			if rep.Complete() && rep.Coverage.Ended == generated {
				return rep
			}
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("not covered after %s: %s of %d generated (read error %v); missing %v", coverWithin, report, generated, err, report.Coverage.Missing)
		}
		time.Sleep(time.Second)
	}
}

// logReport logs the test's one line: what the reader found, the gaps the
// source counted and why its conversation-detail records were written,
// and what the test says of its faults.
func (r *rig) logReport(ru *run, rep genesystest.Report, faults string) {
	r.t.Helper()
	const details = "analytics_bridge_notifications_conversation_details_total"
	r.t.Logf("%s; gaps seen %v; conversation-detail records written for a gap %v, followed %v, max-wait %v; %s",
		rep, ru.metric(r.t, "analytics_bridge_notifications_gaps_total"),
		ru.metric(r.t, details, "why", "gap"), ru.metric(r.t, details, "why", "followed"), ru.metric(r.t, details, "why", "max-wait"), faults)
}

// topicView is what the topic holds of each conversation.
type topicView struct {
	events  map[string]int      // conversation id -> event records
	details map[string][]string // conversation id -> the genesys-backfill header of each conversation-detail record
}

// view reads the topic back (read_committed).
func (r *rig) view() topicView {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	recs, err := r.c.ReadAll(ctx, r.env.KafkaTopic)
	if err != nil {
		r.t.Fatalf("reading %s back: %v", r.env.KafkaTopic, err)
	}
	v := topicView{events: map[string]int{}, details: map[string][]string{}}
	for _, rec := range recs {
		id := rec.Headers[feed.HeaderConversationID]
		switch rec.Headers[bridge.HeaderRecordKind] {
		case "event":
			v.events[id]++
		case feed.KindConversationDetail:
			v.details[id] = append(v.details[id], rec.Headers[feed.HeaderBackfill])
		}
	}
	return v
}

// unseen returns those of ids of which the topic holds no event (no
// notification of theirs was read live) and a conversation-detail record
// written for a gap: what only the back-fill of an outage could cover.
func (v topicView) unseen(ids []string) []string {
	var out []string
	for _, id := range ids {
		if v.events[id] == 0 && slices.Contains(v.details[id], "gap") {
			out = append(out, id)
		}
	}
	return out
}

// mustUnseen fails the test unless at least one of each group of ids (the
// calls of one outage) was covered by a gap's back-fill alone, and returns
// how many were, per group.
func (r *rig) mustUnseen(v topicView, groups map[string][]string) string {
	r.t.Helper()
	out := ""
	for _, name := range slices.Sorted(maps.Keys(groups)) {
		n := len(v.unseen(groups[name]))
		if n == 0 {
			r.t.Errorf("%s: none of its %d calls was covered by a gap's back-fill alone: the outage hid nothing from the live stream, or the back-fill missed it", name, len(groups[name]))
		}
		out += fmt.Sprintf("%s: %d of %d calls covered by the gap's back-fill alone; ", name, n, len(groups[name]))
	}
	return out
}

// Package genesysbridge is what a bridge reading the Genesys stand-in
// (integration/genesys) needs around it, for the tests and the demo alike:
// the environment of a bridge with SOURCE=notifications pointed at the
// stand-in, and the verdict of an independent read_committed reader on
// what it wrote. It imports no testing package (the demo links it);
// genesystest, the tests' kit, passes these on.
package genesysbridge

import (
	"context"
	"fmt"

	"github.com/analytics-bridge/analytics-bridge/bridge"
	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/source"
)

// The notifications source's record kind and back-fill header
// (source/notifications/feed: KindConversationDetail, HeaderBackfill),
// spelled out: the tests of the packages feed imports use this package.
const (
	kindConversationDetail = "conversation-detail"
	headerBackfill         = "genesys-backfill"
)

// Env is the environment of a bridge reading stand-in s into c: every
// queue, the default detail events, and test-sized back-fill timings (the
// API's one-minute rule still holds).
func Env(c *kafkatest.Cluster, s *genesys.Server) config.Env {
	e := c.Env()
	e.Source = string(config.SourceNotifications)
	e.GenesysAPIURL = s.APIURL()
	e.GenesysLoginURL = s.LoginURL()
	e.OAuthClientID = genesys.DefaultClientID
	e.OAuthClientSecret = genesys.DefaultClientSecret
	e.GenesysQueueIDs = "all"
	e.GenesysBackfillPoll = "1s"
	e.GenesysConversationLinger = "2s"
	e.GenesysEventLatency = "1s"
	return e
}

// Report is what a read_committed reader found of a bridge's topic,
// against the stand-in's ledger.
type Report struct {
	Records       int            // every record read
	Events        int            // of kind event
	Details       int            // of kind conversation-detail
	Backfilled    map[string]int // conversation-detail records by their genesys-backfill header (gap, followed, max-wait)
	Other         int            // of another kind
	DuplicateKeys []string       // dedup keys read more than once
	Coverage      genesys.Coverage
}

// Complete: every conversation that ended is covered, and no dedup key was
// read twice.
func (r Report) Complete() bool { return r.Coverage.Complete() && len(r.DuplicateKeys) == 0 }

func (r Report) String() string {
	return fmt.Sprintf("%d records (%d events, %d conversation-detail, %d other), %d duplicate dedup keys; %d conversations ended: %d by their detail events, %d by a conversation-detail record, %d missing",
		r.Records, r.Events, r.Details, r.Other, len(r.DuplicateKeys), r.Coverage.Ended, r.Coverage.ByEvents, r.Coverage.ByDetails, len(r.Coverage.Missing))
}

// Verdict reads topic back (read_committed, franz-go) and checks it against
// s: every ended conversation has all its detail events or a
// conversation-detail record, and every dedup key is read once.
func Verdict(ctx context.Context, c *kafkatest.Cluster, topic string, s *genesys.Server) (Report, error) {
	records, err := c.ReadAll(ctx, topic)
	if err != nil {
		return Report{}, fmt.Errorf("reading %s back: %w", topic, err)
	}
	r := Report{Backfilled: map[string]int{}}
	var events, details [][]byte
	keys := map[string]int{}
	for _, rec := range records {
		r.Records++
		switch rec.Headers[bridge.HeaderRecordKind] {
		case source.KindEvent:
			r.Events++
			events = append(events, rec.Value)
		case kindConversationDetail:
			r.Details++
			r.Backfilled[rec.Headers[headerBackfill]]++
			details = append(details, rec.Value)
		default:
			r.Other++
		}
		k := rec.Headers[bridge.HeaderDedupKey]
		if keys[k]++; keys[k] == 2 {
			r.DuplicateKeys = append(r.DuplicateKeys, k)
		}
	}
	r.Coverage = s.Coverage(events, details)
	return r, nil
}

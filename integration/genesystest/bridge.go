package genesystest

import (
	"context"
	"fmt"

	"github.com/analytics-bridge/analytics-bridge/bridge"
	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
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
	Records       int      // every record read
	Events        int      // of kind event
	Details       int      // of kind conversation-detail
	Other         int      // of another kind
	DuplicateKeys []string // dedup keys read more than once
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
	var r Report
	var events, details [][]byte
	keys := map[string]int{}
	for _, rec := range records {
		r.Records++
		switch rec.Headers[bridge.HeaderRecordKind] {
		case "event":
			r.Events++
			events = append(events, rec.Value)
		case "conversation-detail":
			r.Details++
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

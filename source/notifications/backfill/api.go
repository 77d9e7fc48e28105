package backfill

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/analytics-bridge/analytics-bridge/source/notifications/api"
)

// API paths (api.Call.Path is the whole path).
const (
	detailsPath = "/api/v2/analytics/conversations/details"
	queryPath   = detailsPath + "/query"
	jobsPath    = detailsPath + "/jobs"
)

// apiBackend is the backend over the Genesys Cloud API.
type apiBackend struct {
	client *api.Client
	poll   time.Duration // job status poll period
	log    zerolog.Logger
	// resultsPageSize is the pageSize of job results requests (0: the
	// platform's default); tests lower it to page with cursors.
	resultsPageSize int
}

// predicate, filter: platformclientv2 SegmentDetailQueryPredicate and
// SegmentDetailQueryFilter.
type predicate struct {
	Type      string `json:"type"`
	Dimension string `json:"dimension"`
	Operator  string `json:"operator"`
	Value     string `json:"value"`
}

type filter struct {
	Type       string      `json:"type"`
	Predicates []predicate `json:"predicates"`
}

// queueFilters are the segment filters selecting conversations that
// touched one of queues: none for nil.
func queueFilters(queues []string) []filter {
	if len(queues) == 0 {
		return nil
	}
	f := filter{Type: "or"}
	for _, q := range queues {
		f.Predicates = append(f.Predicates, predicate{Type: "dimension", Dimension: "queueId", Operator: "matches", Value: q})
	}
	return []filter{f}
}

// detailsQuery is a details query body (platformclientv2
// ConversationQuery).
type detailsQuery struct {
	Interval       string   `json:"interval"`
	SegmentFilters []filter `json:"segmentFilters,omitempty"`
	Order          string   `json:"order"`
	OrderBy        string   `json:"orderBy"`
	Paging         paging   `json:"paging"`
}

type paging struct {
	PageSize   int `json:"pageSize"`
	PageNumber int `json:"pageNumber"`
}

// queryPage POSTs one page of a details query, in conversationStart order
// (the plan stops paging at the first conversation past the interval).
func (b *apiBackend) queryPage(ctx context.Context, p pageRequest) (pageAnswer, error) {
	body := detailsQuery{Interval: p.iv.String(), SegmentFilters: queueFilters(p.queues), Order: "asc",
		OrderBy: "conversationStart", Paging: paging{PageSize: p.size, PageNumber: p.number}}
	var answer struct {
		Conversations []json.RawMessage `json:"conversations"`
		TotalHits     int               `json:"totalHits"`
	}
	if _, err := b.client.Do(ctx, api.Call{Method: http.MethodPost, Path: queryPath, Body: body}, &answer); err != nil {
		return pageAnswer{}, fmt.Errorf("details query %s page %d: %w", body.Interval, p.number, err)
	}
	rows, err := parseConversations(answer.Conversations)
	if err != nil {
		return pageAnswer{}, fmt.Errorf("details query %s page %d: %w", body.Interval, p.number, err)
	}
	return pageAnswer{rows: rows, totalHits: answer.TotalHits}, nil
}

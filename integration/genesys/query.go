package genesys

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// detailsQuery is a details query or details job body (platformclientv2
// ConversationQuery, AsyncConversationQuery). Fields the stand-in does not
// evaluate (aggregations, evaluation filters...) are ignored.
type detailsQuery struct {
	Interval            string        `json:"interval"`
	ConversationFilters []queryFilter `json:"conversationFilters"`
	SegmentFilters      []queryFilter `json:"segmentFilters"`
	Order               string        `json:"order"`
	OrderBy             string        `json:"orderBy"`
	Paging              *struct {
		PageSize   int `json:"pageSize"`
		PageNumber int `json:"pageNumber"`
	} `json:"paging"`
	// Jobs only.
	Limit                      *int `json:"limit"`
	StartOfDayIntervalMatching bool `json:"startOfDayIntervalMatching"`
}

// check validates everything but paging and returns the interval.
func (q detailsQuery) check() (interval, error) {
	iv, err := parseInterval(q.Interval)
	if err != nil {
		return iv, err
	}
	if q.Order != "" && q.Order != "asc" && q.Order != "desc" {
		return iv, fmt.Errorf("order %q: want asc or desc", q.Order)
	}
	switch q.OrderBy {
	case "", "conversationStart", "segmentStart", "segmentEnd":
	default:
		return iv, fmt.Errorf("orderBy %q: want conversationStart, segmentStart or segmentEnd", q.OrderBy)
	}
	for _, f := range q.ConversationFilters {
		if err := f.validate(conversationDimensions()); err != nil {
			return iv, fmt.Errorf("conversationFilters: %w", err)
		}
	}
	for _, f := range q.SegmentFilters {
		if err := f.validate(segmentDimensions()); err != nil {
			return iv, fmt.Errorf("segmentFilters: %w", err)
		}
	}
	return iv, nil
}

// selectLocked returns, as of asOf, the details of the conversations pick
// accepts that pass q's filters, in q's order; s.mu held. segmentStart
// orders as conversationStart (a conversation's first segment starts it);
// segmentEnd puts conversations still going after the ended ones.
func (s *Server) selectLocked(q detailsQuery, asOf time.Time, pick func(*call) bool, attributes bool) []analyticsConversation {
	type row struct {
		key time.Time
		a   analyticsConversation
	}
	var rows []row
	for _, c := range s.world.calls {
		if c.Start.After(asOf) || !pick(c) {
			continue
		}
		a := detail(c.Call, s.queueLocked(c.QueueID).Name, asOf, attributes)
		if !matches(a, q.ConversationFilters, q.SegmentFilters) {
			continue
		}
		key := c.Start
		if q.OrderBy == "segmentEnd" {
			key = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
			if !asOf.Before(c.End()) {
				key = c.End()
			}
		}
		rows = append(rows, row{key, a})
	}
	desc := q.Order == "desc"
	slices.SortStableFunc(rows, func(x, y row) int {
		if c := x.key.Compare(y.key); c != 0 {
			if desc {
				return -c
			}
			return c
		}
		return cmp.Compare(x.a.ConversationID, y.a.ConversationID)
	})
	out := make([]analyticsConversation, len(rows))
	for i, r := range rows {
		out[i] = r.a
	}
	return out
}

// queryAnswer is platformclientv2 AnalyticsConversationQueryResponse.
type queryAnswer struct {
	Conversations []analyticsConversation `json:"conversations,omitempty"`
	TotalHits     int                     `json:"totalHits"`
}

// queryDetails serves POST /api/v2/analytics/conversations/details/query.
// It selects the conversations that started on a day the interval touches
// (not only inside it), as they are now: rows drift while conversations
// progress and new ones arrive, so paging a live interval can repeat or
// skip rows. Pages hold 25 by default, 100 at most; no page may reach past
// 100,000 results. Unless Options.AcceptRecentIntervals, an interval must
// end at least a minute before now.
func (s *Server) queryDetails(w http.ResponseWriter, r *http.Request) {
	var q detailsQuery
	if !readJSON(w, r, &q) {
		return
	}
	iv, err := q.check()
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	size, number := 25, 1
	if q.Paging != nil {
		if q.Paging.PageSize != 0 {
			size = q.Paging.PageSize
		}
		if q.Paging.PageNumber != 0 {
			number = q.Paging.PageNumber
		}
	}
	if size < 1 || size > 100 || number < 1 {
		badRequest(w, "paging %d/%d: pageSize is 1 to 100, pageNumber 1 or more", size, number)
		return
	}
	if number > maxResults/size {
		badRequest(w, "Pagination may not exceed %d results (pageSize %d, pageNumber %d)", maxResults, size, number)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	if !s.opts.AcceptRecentIntervals && iv.end.After(now.Add(-intervalMargin)) {
		badRequest(w, "interval ends at %s, less than a minute before now (%s): end it at least a minute before now",
			date(iv.end), date(now))
		return
	}
	all := s.selectLocked(q, now, func(c *call) bool {
		return !c.visible.After(now) && iv.touchesStartDay(c.Start)
	}, false)
	offset := (number - 1) * size
	if n := s.faults.repeatRows; n > 0 && offset > 0 {
		offset, s.faults.repeatRows = max(offset-n, 0), 0
	}
	page := all[min(offset, len(all)):min(offset+size, len(all))]
	writeJSON(w, http.StatusOK, queryAnswer{Conversations: page, TotalHits: len(all)})
}

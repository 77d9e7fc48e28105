package genesys

import (
	"fmt"
	"slices"
)

// queryFilter is a conversation or segment filter of a details query
// (platformclientv2 ConversationDetailQueryFilter, SegmentDetailQueryFilter):
// its predicates and clauses joined by type ("and" or "or").
type queryFilter struct {
	Type       string           `json:"type"`
	Clauses    []queryClause    `json:"clauses"`
	Predicates []queryPredicate `json:"predicates"`
}

type queryClause struct {
	Type       string           `json:"type"`
	Predicates []queryPredicate `json:"predicates"`
}

// queryPredicate tests one dimension: operator matches (the default, equal
// to value), exists or notExists.
type queryPredicate struct {
	Type      string `json:"type"`
	Dimension string `json:"dimension"`
	Operator  string `json:"operator"`
	Value     string `json:"value"`
}

// conversationDimensions are the conversation-level dimensions the
// stand-in can filter on.
func conversationDimensions() []string {
	return []string{"conversationId", "conversationEnd", "conversationStart", "originatingDirection", "divisionId"}
}

// segmentDimensions are the segment-level ones.
func segmentDimensions() []string {
	return []string{"queueId", "userId", "purpose", "mediaType", "direction", "segmentType", "disconnectType",
		"participantId", "sessionId", "ani", "dnis", "wrapUpCode"}
}

// validate reports the first thing in f the stand-in cannot evaluate.
func (f queryFilter) validate(dims []string) error {
	if f.Type != "and" && f.Type != "or" {
		return fmt.Errorf("filter type %q: want and or or", f.Type)
	}
	preds := slices.Clone(f.Predicates)
	for _, c := range f.Clauses {
		if c.Type != "and" && c.Type != "or" {
			return fmt.Errorf("clause type %q: want and or or", c.Type)
		}
		preds = append(preds, c.Predicates...)
	}
	if len(preds) == 0 {
		return fmt.Errorf("a filter needs predicates or clauses")
	}
	for _, p := range preds {
		if p.Type != "" && p.Type != "dimension" {
			return fmt.Errorf("predicate type %q: the stand-in evaluates dimension predicates only", p.Type)
		}
		if !slices.Contains(dims, p.Dimension) {
			return fmt.Errorf("dimension %q: want one of %v", p.Dimension, dims)
		}
		switch p.Operator {
		case "", "matches", "exists", "notExists":
		default:
			return fmt.Errorf("operator %q: want matches, exists or notExists", p.Operator)
		}
	}
	return nil
}

func (p queryPredicate) holds(row map[string]string) bool {
	v := row[p.Dimension]
	switch p.Operator {
	case "exists":
		return v != ""
	case "notExists":
		return v == ""
	}
	return v == p.Value
}

// join combines results the way typ says.
func join(typ string, results []bool) bool {
	if typ == "or" {
		return slices.Contains(results, true)
	}
	return !slices.Contains(results, false)
}

// holds evaluates f on one row of dimension values.
func (f queryFilter) holds(row map[string]string) bool {
	var results []bool
	for _, p := range f.Predicates {
		results = append(results, p.holds(row))
	}
	for _, c := range f.Clauses {
		var cr []bool
		for _, p := range c.Predicates {
			cr = append(cr, p.holds(row))
		}
		results = append(results, join(c.Type, cr))
	}
	return join(f.Type, results)
}

// conversationRow is a conversation's conversation-level dimensions.
func conversationRow(a analyticsConversation) map[string]string {
	return map[string]string{"conversationId": a.ConversationID, "conversationEnd": a.ConversationEnd,
		"conversationStart": a.ConversationStart, "originatingDirection": a.OriginatingDirection,
		"divisionId": a.DivisionIDs[0]}
}

// segmentRows are a conversation's segments with their session's and
// participant's dimensions: a segment filter holds if it holds on one.
func segmentRows(a analyticsConversation) []map[string]string {
	var rows []map[string]string
	for _, p := range a.Participants {
		for _, s := range p.Sessions {
			for _, sg := range s.Segments {
				rows = append(rows, map[string]string{"queueId": sg.QueueID, "userId": p.UserID, "purpose": p.Purpose,
					"mediaType": s.MediaType, "direction": s.Direction, "segmentType": sg.SegmentType,
					"disconnectType": sg.DisconnectType, "participantId": p.ParticipantID, "sessionId": s.SessionID,
					"ani": s.Ani, "dnis": s.Dnis, "wrapUpCode": sg.WrapUpCode})
			}
		}
	}
	return rows
}

// matches reports whether a passes every conversation filter and every
// segment filter.
func matches(a analyticsConversation, convFilters, segFilters []queryFilter) bool {
	row := conversationRow(a)
	for _, f := range convFilters {
		if !f.holds(row) {
			return false
		}
	}
	rows := segmentRows(a)
	for _, f := range segFilters {
		if !slices.ContainsFunc(rows, f.holds) {
			return false
		}
	}
	return true
}

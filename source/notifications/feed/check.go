package feed

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/analytics-bridge/analytics-bridge/source"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/api"
)

// Paths and permissions check --connect names.
const (
	availableTopicsPath = "/api/v2/notifications/availabletopics"
	routingQueuesPath   = "/api/v2/routing/queues"
	detailsQueryPath    = "/api/v2/analytics/conversations/details/query"

	// permQueueView lets the client list the queues and subscribe to
	// their topics.
	permQueueView = "routing:queue:view"
	// permConversationDetailView lets the client query conversation
	// details (the back-fill) and subscribe to detail topics.
	permConversationDetailView = "analytics:conversationDetail:view"

	// idPlaceholder stands for an object id in a topic template, as in
	// GENESYS_TOPICS and in availabletopics' ids.
	idPlaceholder = "{id}"
	// detailTopicTemplate is a conversation detail topic, %s its type.
	detailTopicTemplate = "v2.detail.events.conversation.{id}.%s"
)

// checkQueueBatch is how many configured queue ids one listing asks for
// (each ~40 characters of URL).
const checkQueueBatch = 50

// Check tries what the source needs of Genesys Cloud, for `analytics-bridge
// check --connect`, without opening a notification channel (the OAuth
// client's 20 are shared with its other users, and one more evicts the
// oldest): a client-credentials token, the topics GENESYS_TOPICS and
// GENESYS_DETAIL_EVENTS name among those GET
// /api/v2/notifications/availabletopics offers (and on which transports),
// the queues (listed, or each configured id), and a details query of one
// minute, ending a minute ago, one row at most. A refused permission is
// named; the client secret never appears.
func (s *Source) Check(ctx context.Context) []source.CheckResult {
	var listing availableTopics
	_, err := s.api.Do(ctx, api.Call{Method: http.MethodGet, Path: availableTopicsPath,
		Query: url.Values{"expand": {"transports", "requiresPermissions"}}}, &listing)
	out := []source.CheckResult{s.tokenCheck(err)}
	if out[0].OK { // else every other call would fail the same way
		topics := source.CheckResult{Name: "notification topics",
			Detail: fmt.Sprintf("%v: the notifications API did not answer (this check opens no channel)", err)}
		if err == nil {
			topics = judgeTopics(listing, s.wantedTopics())
		}
		out = append(out, topics, s.queuesCheck(ctx), s.detailsCheck(ctx))
	}
	for i := range out {
		out[i].Detail = s.redact(out[i].Detail)
	}
	return out
}

// tokenCheck is the token line, from the first call's error: a call that
// got past the login host had its token.
func (s *Source) tokenCheck(err error) source.CheckResult {
	r := source.CheckResult{Name: "token", OK: true,
		Detail: fmt.Sprintf("client credentials token from %s/oauth/token for OAUTH_CLIENT_ID %s", s.opts.API.LoginURL, s.opts.API.ClientID)}
	switch {
	case errors.Is(err, api.ErrCredentials):
		r.OK = false
		r.Detail = fmt.Sprintf("%s/oauth/token refused OAUTH_CLIENT_ID %s with its secret (OAUTH_CLIENT_SECRET or OAUTH_CLIENT_SECRET_FILE): check both, and that the OAuth client's grant type is Client Credentials: %v",
			s.opts.API.LoginURL, s.opts.API.ClientID, err)
	case errors.Is(err, api.ErrToken):
		r.OK = false
		r.Detail = fmt.Sprintf("no token from %s/oauth/token (GENESYS_REGION, or GENESYS_LOGIN_URL): %v", s.opts.API.LoginURL, err)
	}
	return r
}

// redact takes the client secret out of a line, whatever echoed it.
func (s *Source) redact(line string) string {
	if secret := s.opts.API.ClientSecret; len(secret) >= 4 {
		return strings.ReplaceAll(line, secret, "[OAUTH_CLIENT_SECRET]")
	}
	return line
}

// availableTopics is what the check reads of platformclientv2
// Availabletopicentitylisting.
type availableTopics struct {
	Entities []struct {
		ID                  string   `json:"id"`
		RequiresPermissions []string `json:"requiresPermissions"`
		Transports          []string `json:"transports"`
	} `json:"entities"`
}

// wantedTopic is a topic template the source subscribes.
type wantedTopic struct {
	template string
	detail   bool // a conversation detail topic (GENESYS_DETAIL_EVENTS), not a GENESYS_TOPICS one
}

// wantedTopics are the source's templates: GENESYS_TOPICS, and a detail
// topic per GENESYS_DETAIL_EVENTS type.
func (s *Source) wantedTopics() []wantedTopic {
	var out []wantedTopic
	for _, t := range s.opts.Discovery.Templates {
		out = append(out, wantedTopic{template: t})
	}
	for _, t := range s.opts.Discovery.DetailTypes {
		out = append(out, wantedTopic{template: fmt.Sprintf(detailTopicTemplate, t), detail: true})
	}
	return out
}

// onWebSocket reports whether transports offer a topic on the WebSocket;
// an empty list says nothing, and is taken as yes.
func onWebSocket(transports []string) bool {
	return len(transports) == 0 || slices.ContainsFunc(transports, func(t string) bool {
		return strings.EqualFold(t, "All") || strings.EqualFold(t, "Websocket")
	})
}

// judgeTopics checks the wanted templates against the available topics: a
// GENESYS_TOPICS topic offered, but not on the WebSocket, fails (nothing
// of it would be received); detail topics not on the WebSocket, or a topic
// not listed at all, are warnings (the source still writes every
// conversation as a conversation-detail record; the listing may spell a
// topic otherwise than the subscription takes it).
func judgeTopics(l availableTopics, wanted []wantedTopic) source.CheckResult {
	type listed struct{ perms, transports []string }
	byID := map[string]listed{}
	for _, e := range l.Entities {
		byID[e.ID] = listed{e.RequiresPermissions, e.Transports}
	}
	var unlisted, offSocket, detailsOffSocket, perms []string
	for _, w := range wanted {
		e, ok := byID[w.template]
		switch {
		case !ok:
			unlisted = append(unlisted, w.template)
			continue
		case onWebSocket(e.transports):
		case w.detail:
			detailsOffSocket = append(detailsOffSocket, fmt.Sprintf("%s %v", w.template, e.transports))
		default:
			offSocket = append(offSocket, fmt.Sprintf("%s %v", w.template, e.transports))
		}
		for _, p := range e.perms {
			if !slices.Contains(perms, p) {
				perms = append(perms, p)
			}
		}
	}
	r := source.CheckResult{Name: "notification topics", OK: len(offSocket) == 0,
		Warning: len(unlisted) > 0 || len(detailsOffSocket) > 0}
	var notes []string
	if len(offSocket) > 0 {
		notes = append(notes, "offered, but not on the WebSocket (nothing of them would be received): "+strings.Join(offSocket, ", "))
	}
	if len(detailsOffSocket) > 0 {
		notes = append(notes, "detail topics not offered on the WebSocket (their subscriptions would be Rejected, and every conversation written as a conversation-detail record only; SOURCE=sqs reads them through EventBridge): "+
			strings.Join(detailsOffSocket, ", "))
	}
	if len(unlisted) > 0 {
		notes = append(notes, "not listed by GET "+availableTopicsPath+" (a subscription may be Rejected): "+strings.Join(unlisted, ", "))
	}
	if len(notes) == 0 {
		notes = append(notes, fmt.Sprintf("the %d topic templates are offered on the WebSocket", len(wanted)))
	}
	if len(perms) > 0 {
		slices.Sort(perms)
		notes = append(notes, "they need "+strings.Join(perms, ", "))
	}
	r.Detail = strings.Join(notes, "; ")
	return r
}

// queueListing is what the check reads of platformclientv2
// QueueEntityListing.
type queueListing struct {
	Entities []struct {
		ID string `json:"id"`
	} `json:"entities"`
	Total int `json:"total"`
}

// queuesCheck lists the queues with GENESYS_QUEUE_IDS=all, or asks for
// each configured id.
func (s *Source) queuesCheck(ctx context.Context) source.CheckResult {
	r := source.CheckResult{Name: "queues", OK: true}
	d := s.opts.Discovery
	if !slices.ContainsFunc(d.Templates, func(t string) bool { return strings.Contains(t, idPlaceholder) }) {
		r.Detail = "no template of GENESYS_TOPICS holds {id}: no queue is listed"
		return r
	}
	if d.AllQueues {
		var l queueListing
		q := url.Values{"pageSize": {"1"}, "pageNumber": {"1"}}
		if _, err := s.api.Do(ctx, api.Call{Method: http.MethodGet, Path: routingQueuesPath, Query: q}, &l); err != nil {
			return checkFailed(r, err, permQueueView, "to list the queues and subscribe to their topics")
		}
		r.Detail = fmt.Sprintf("%d queues listed (GENESYS_QUEUE_IDS=all: their topics are subscribed, the list refreshed every GENESYS_QUEUE_REFRESH)", l.Total)
		if l.Total == 0 {
			r.Warning = true
			r.Detail = "the listing is empty: no queue topic would be subscribed (a role whose divisions hold no queue?)"
		}
		return r
	}
	found := map[string]bool{}
	for batch := range slices.Chunk(d.QueueIDs, checkQueueBatch) {
		var l queueListing
		q := url.Values{"pageSize": {strconv.Itoa(len(batch))}, "pageNumber": {"1"}, "id": batch}
		if _, err := s.api.Do(ctx, api.Call{Method: http.MethodGet, Path: routingQueuesPath, Query: q}, &l); err != nil {
			return checkFailed(r, err, permQueueView, "to read the queues and subscribe to their topics")
		}
		for _, e := range l.Entities {
			found[e.ID] = true
		}
	}
	var missing []string
	for _, id := range d.QueueIDs {
		if !found[id] {
			missing = append(missing, id)
		}
	}
	r.Detail = fmt.Sprintf("the %d queues of GENESYS_QUEUE_IDS found", len(d.QueueIDs))
	if len(missing) > 0 {
		r.OK = false
		r.Detail = fmt.Sprintf("%d of the %d queues of GENESYS_QUEUE_IDS not found (no such queue, or in a division the OAuth client's role does not cover): %s",
			len(missing), len(d.QueueIDs), strings.Join(missing, ", "))
	}
	return r
}

// detailsCheck makes a details query of one minute that ended more than a
// minute ago (the platform's advice for settled data), asking for one
// row.
func (s *Source) detailsCheck(ctx context.Context) source.CheckResult {
	r := source.CheckResult{Name: "details query", OK: true}
	const layout = "2006-01-02T15:04:05.000Z"
	end := s.api.Clock().Now().UTC().Add(-time.Minute - time.Second).Truncate(time.Millisecond)
	interval := end.Add(-time.Minute).Format(layout) + "/" + end.Format(layout)
	body := map[string]any{"interval": interval, "paging": map[string]int{"pageSize": 1, "pageNumber": 1}}
	var answer struct {
		TotalHits int `json:"totalHits"`
	}
	if _, err := s.api.Do(ctx, api.Call{Method: http.MethodPost, Path: detailsQueryPath, Body: body}, &answer); err != nil {
		return checkFailed(r, err, permConversationDetailView, "for the back-fill queries and the detail topics")
	}
	r.Detail = fmt.Sprintf("%s answered for %s: totalHits %d (conversations started on that day)", detailsQueryPath, interval, answer.TotalHits)
	return r
}

// checkFailed fails r with err, naming permission when the answer was 403.
func checkFailed(r source.CheckResult, err error, permission, why string) source.CheckResult {
	r.OK = false
	r.Detail = err.Error()
	if api.StatusOf(err) == http.StatusForbidden {
		r.Detail = fmt.Sprintf("the OAuth client lacks %s (its role needs it %s): %v", permission, why, err)
	}
	return r
}

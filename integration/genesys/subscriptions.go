package genesys

import (
	"net/http"
	"strconv"
	"strings"
)

// subscriptionsAnswer is platformclientv2 ChannelTopicEntityListing.
type subscriptionsAnswer struct {
	Entities []channelTopic `json:"entities"`
}

// getSubscriptions serves GET .../channels/{id}/subscriptions: the ids
// subscribed, as they were given (a combined id stays combined).
func (s *Server) getSubscriptions(w http.ResponseWriter, r *http.Request) {
	c, _ := caller(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.liveChannelLocked(r.PathValue("id"), c.ID)
	if ch == nil {
		notFound(w, "channel %s not found", r.PathValue("id"))
		return
	}
	out := []channelTopic{}
	for _, sub := range ch.subs {
		out = append(out, channelTopic{ID: sub.id})
	}
	writeJSON(w, http.StatusOK, subscriptionsAnswer{out})
}

// deleteSubscriptions serves DELETE .../channels/{id}/subscriptions: every
// subscription goes; the channel stays.
func (s *Server) deleteSubscriptions(w http.ResponseWriter, r *http.Request) {
	c, _ := caller(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.liveChannelLocked(r.PathValue("id"), c.ID)
	if ch == nil {
		notFound(w, "channel %s not found", r.PathValue("id"))
		return
	}
	setSubscriptions(ch, nil)
	w.WriteHeader(http.StatusNoContent)
}

// putSubscriptions serves PUT: the list replaces the channel's.
func (s *Server) putSubscriptions(w http.ResponseWriter, r *http.Request) { s.subscribe(w, r, true) }

// postSubscriptions serves POST: the list adds to the channel's.
func (s *Server) postSubscriptions(w http.ResponseWriter, r *http.Request) { s.subscribe(w, r, false) }

// subscribe judges every requested topic. With ignoreErrors=true the
// permitted ones are applied and the answer lists each Permitted or
// Rejected; without it one rejection fails the whole request (403 for a
// missing permission, 400 for an unknown topic) and nothing changes. A
// channel may hold Options.TopicsPerChannel individual topics; more is 400.
// Every PUT or POST that succeeds gives the channel a new full life: a
// re-PUT of the same list is how a client keeps its channel past 24 h.
func (s *Server) subscribe(w http.ResponseWriter, r *http.Request, replace bool) {
	c, _ := caller(r)
	ignoreErrors := false
	if v := r.URL.Query().Get("ignoreErrors"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			badRequest(w, "ignoreErrors %q: want true or false", v)
			return
		}
		ignoreErrors = b
	}
	var body []struct {
		ID string `json:"id"`
	}
	if !readJSON(w, r, &body) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.liveChannelLocked(r.PathValue("id"), c.ID)
	if ch == nil {
		notFound(w, "channel %s not found", r.PathValue("id"))
		return
	}
	var subs []subscription
	if !replace {
		subs = append(subs, ch.subs...)
	}
	var rejected []channelTopic
	missing := false
	seen := map[string]bool{}
	for _, sub := range subs {
		seen[sub.id] = true
	}
	for _, t := range body {
		if seen[t.ID] {
			continue
		}
		seen[t.ID] = true
		v := judge(c, t.ID)
		rejected = append(rejected, v.rejected...)
		missing = missing || v.missing
		if len(v.sub.parts) > 0 {
			subs = append(subs, v.sub)
		}
	}
	if len(rejected) > 0 && !ignoreErrors {
		for _, r := range rejected {
			if missing && len(r.MissingPermissions) > 0 {
				writeError(w, http.StatusForbidden, "missing.permissions",
					"Missing permissions for topic "+r.ID+": "+strings.Join(r.MissingPermissions, ", "))
				return
			}
		}
		badRequest(w, "%s: %s", rejected[0].ID, rejected[0].RejectionReason)
		return
	}
	if n := countTopics(subs); n > s.opts.TopicsPerChannel {
		badRequest(w, "%d topics: a channel may hold at most %d", n, s.opts.TopicsPerChannel)
		return
	}
	setSubscriptions(ch, subs)
	s.extendLocked(ch, s.clock.Now())
	out := []channelTopic{}
	for _, sub := range ch.subs {
		out = append(out, channelTopic{ID: sub.id, State: "Permitted"})
	}
	writeJSON(w, http.StatusOK, subscriptionsAnswer{append(out, rejected...)})
}

// countTopics counts the distinct individual topics of subs.
func countTopics(subs []subscription) int {
	seen := map[string]bool{}
	for _, sub := range subs {
		for _, p := range sub.parts {
			seen[p] = true
		}
	}
	return len(seen)
}

// setSubscriptions replaces ch's subscriptions; s.mu held.
func setSubscriptions(ch *channel, subs []subscription) {
	ch.subs = subs
	ch.topics = map[string]int{}
	for _, sub := range subs {
		for _, p := range sub.parts {
			ch.topics[p]++
		}
	}
}

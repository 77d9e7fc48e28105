package genesys

import (
	"net/http"
	"strings"
)

// maxMultiGet bounds the ids of one multi-get.
const maxMultiGet = 100

// visibleLocked returns the conversation id if details queries find it now
// (it started and its index lag passed); s.mu held.
func (s *Server) visibleLocked(id string) *call {
	c := s.world.byID[id]
	if c == nil || c.visible.After(s.clock.Now()) {
		return nil
	}
	return c
}

// getDetail serves GET /api/v2/analytics/conversations/{id}/details: one
// conversation as it is now, without attributes; 404 until it is indexed.
func (s *Server) getDetail(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.visibleLocked(r.PathValue("id"))
	if c == nil {
		notFound(w, "conversation %s not found", r.PathValue("id"))
		return
	}
	writeJSON(w, http.StatusOK, detail(c.Call, s.queueLocked(c.QueueID).Name, s.clock.Now(), false))
}

// getDetails serves GET /api/v2/analytics/conversations/details?id=a,b (or
// id=a&id=b, at most 100): those of the conversations found; unknown ids
// are left out.
func (s *Server) getDetails(w http.ResponseWriter, r *http.Request) {
	var ids []string
	for _, v := range r.URL.Query()["id"] {
		for _, id := range strings.Split(v, ",") {
			if id != "" {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 || len(ids) > maxMultiGet {
		badRequest(w, "%d ids: give 1 to %d conversation ids in id", len(ids), maxMultiGet)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []analyticsConversation{}
	for _, id := range ids {
		if c := s.visibleLocked(id); c != nil {
			out = append(out, detail(c.Call, s.queueLocked(c.QueueID).Name, s.clock.Now(), false))
		}
	}
	writeJSON(w, http.StatusOK, struct {
		Conversations []analyticsConversation `json:"conversations"`
	}{out})
}

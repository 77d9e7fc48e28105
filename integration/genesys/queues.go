package genesys

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// queue is platformclientv2 Queue: the fields a plain voice queue fills.
type queue struct {
	ID                    string      `json:"id"`
	Name                  string      `json:"name"`
	Division              division    `json:"division"`
	Description           string      `json:"description"`
	DateCreated           string      `json:"dateCreated"`
	MemberCount           int         `json:"memberCount"`
	UserMemberCount       int         `json:"userMemberCount"`
	JoinedMemberCount     int         `json:"joinedMemberCount"`
	AcwSettings           acwSettings `json:"acwSettings"`
	SkillEvaluationMethod string      `json:"skillEvaluationMethod"`
	AutoAnswerOnly        bool        `json:"autoAnswerOnly"`
	EnableTranscription   bool        `json:"enableTranscription"`
	SelfURI               string      `json:"selfUri"`
}

// division is platformclientv2 Division.
type division struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	SelfURI string `json:"selfUri"`
}

type acwSettings struct {
	WrapupPrompt string `json:"wrapupPrompt"`
	TimeoutMs    int    `json:"timeoutMs"`
}

// newQueuesLocked makes the org's n queues, all in its home division; s.mu
// held (or the server not yet shared).
func (s *Server) newQueuesLocked(n int, now time.Time) []queue {
	div := s.uuidLocked()
	home := division{ID: div, Name: "Home", SelfURI: "/api/v2/authorization/divisions/" + div}
	names := []string{"Billing", "Support", "Sales", "Retention", "Claims", "Onboarding", "Escalations", "Returns"}
	out := make([]queue, n)
	for i := range out {
		id := s.uuidLocked()
		name := names[i%len(names)]
		if i >= len(names) {
			name += " " + strconv.Itoa(i/len(names)+1)
		}
		members := 5 + s.rng.IntN(40)
		out[i] = queue{ID: id, Name: name, Division: home, Description: name + " calls",
			DateCreated: date(now.AddDate(-1, 0, -i)), MemberCount: members, UserMemberCount: members,
			JoinedMemberCount: members - s.rng.IntN(members/2+1), AcwSettings: acwSettings{"OPTIONAL", 300000},
			SkillEvaluationMethod: "BEST", SelfURI: "/api/v2/routing/queues/" + id}
	}
	return out
}

// queueLocked returns the queue id; s.mu held.
func (s *Server) queueLocked(id string) queue {
	for _, q := range s.queues {
		if q.ID == id {
			return q
		}
	}
	return queue{ID: id}
}

// Queues returns the org's routing queues.
func (s *Server) Queues() []Queue {
	out := make([]Queue, len(s.queues)) // s.queues never changes after New
	for i, q := range s.queues {
		out[i] = Queue{ID: q.ID, Name: q.Name, DivisionID: q.Division.ID}
	}
	return out
}

// Queue is a routing queue of the org.
type Queue struct{ ID, Name, DivisionID string }

// queueListing is platformclientv2 QueueEntityListing.
type queueListing struct {
	Entities    []queue `json:"entities"`
	PageSize    int     `json:"pageSize"`
	PageNumber  int     `json:"pageNumber"`
	Total       int     `json:"total"`
	PageCount   int     `json:"pageCount"`
	FirstURI    string  `json:"firstUri"`
	SelfURI     string  `json:"selfUri"`
	LastURI     string  `json:"lastUri"`
	NextURI     string  `json:"nextUri,omitempty"`
	PreviousURI string  `json:"previousUri,omitempty"`
}

// listQueues serves GET /api/v2/routing/queues?pageSize&pageNumber&id
// (pages of 25 by default, 500 at most, numbered from 1). id, repeated or
// comma-separated, keeps only the queues it names; an id that names none
// is left out of the answer, not refused.
func (s *Server) listQueues(w http.ResponseWriter, r *http.Request) {
	size, number, ok := pageParams(w, r, 25, 500)
	if !ok {
		return
	}
	queues := s.queues // never changes after New
	if ids := splitValues(r.URL.Query()["id"]); len(ids) > 0 {
		queues = nil
		for _, q := range s.queues {
			if slices.Contains(ids, q.ID) {
				queues = append(queues, q)
			}
		}
	}
	total := len(queues)
	pages := (total + size - 1) / size
	from, to := min((number-1)*size, total), min(number*size, total)
	uri := func(n int) string {
		return fmt.Sprintf("/api/v2/routing/queues?pageSize=%d&pageNumber=%d", size, n)
	}
	l := queueListing{Entities: append([]queue{}, queues[from:to]...), PageSize: size, PageNumber: number,
		Total: total, PageCount: pages, FirstURI: uri(1), SelfURI: uri(number), LastURI: uri(max(pages, 1))}
	if number < pages {
		l.NextURI = uri(number + 1)
	}
	if number > 1 {
		l.PreviousURI = uri(number - 1)
	}
	writeJSON(w, http.StatusOK, l)
}

// pageParams reads pageSize (default def, at most most) and pageNumber
// (default 1) from the query; on a bad value it answers 400.
func pageParams(w http.ResponseWriter, r *http.Request, def, most int) (size, number int, ok bool) {
	size, number = def, 1
	for _, p := range []struct {
		name string
		v    *int
		max  int
	}{{"pageSize", &size, most}, {"pageNumber", &number, 1 << 30}} {
		raw := r.URL.Query().Get(p.name)
		if raw == "" {
			continue
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > p.max {
			badRequest(w, "%s %q: want a whole number from 1 to %d", p.name, raw, p.max)
			return 0, 0, false
		}
		*p.v = n
	}
	return size, number, true
}

// splitValues are a query parameter's values, repeated or comma-separated
// (the SDKs send a list either way), without empty ones.
func splitValues(values []string) []string {
	var out []string
	for _, v := range values {
		for _, e := range strings.Split(v, ",") {
			if e = strings.TrimSpace(e); e != "" {
				out = append(out, e)
			}
		}
	}
	return out
}

package genesys

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// job is a conversation details job. Its results are fixed at submission:
// the conversations as they were at the data availability date then (what
// the data lake held), whether the job is read early or late.
type job struct {
	id        string
	client    string
	submitted time.Time
	asOf      time.Time // dataAvailabilityDate at submission
	results   []analyticsConversation
	cancelled bool
	failure   string // errorMessage of a FAILED job
}

// jobStatus is platformclientv2 AsyncQueryStatus.
type jobStatus struct {
	State          string `json:"state"`
	ErrorMessage   string `json:"errorMessage,omitempty"`
	ExpirationDate string `json:"expirationDate,omitempty"`
	SubmissionDate string `json:"submissionDate"`
	CompletionDate string `json:"completionDate,omitempty"`
}

// statusLocked is j's status at now: QUEUED for the first half of
// Options.JobDelay, PENDING for the second, then FULFILLED (or FAILED)
// until Options.JobLifetime has passed, then EXPIRED. s.mu held.
func (s *Server) statusLocked(j *job, now time.Time) jobStatus {
	st := jobStatus{SubmissionDate: date(j.submitted)}
	done := j.submitted.Add(s.opts.JobDelay)
	expires := done.Add(s.opts.JobLifetime)
	switch {
	case j.cancelled:
		st.State = "CANCELLED"
	case now.Before(j.submitted.Add(s.opts.JobDelay / 2)):
		st.State = "QUEUED"
	case now.Before(done):
		st.State = "PENDING"
	case j.failure != "":
		st.State, st.ErrorMessage, st.CompletionDate = "FAILED", j.failure, date(done)
	case now.Before(expires):
		st.State, st.CompletionDate, st.ExpirationDate = "FULFILLED", date(done), date(expires)
	default:
		st.State, st.CompletionDate, st.ExpirationDate = "EXPIRED", date(done), date(expires)
	}
	return st
}

// submitJob serves POST .../details/jobs: the interval selects the
// conversations that had activity during it (with
// startOfDayIntervalMatching, only those that also started on or after the
// interval's first day), up to limit. 202 {jobId}.
func (s *Server) submitJob(w http.ResponseWriter, r *http.Request) {
	c, _ := caller(r)
	var q detailsQuery
	if !readJSON(w, r, &q) {
		return
	}
	iv, err := q.check()
	if err == nil && q.Limit != nil && *q.Limit < 1 {
		err = fmt.Errorf("limit %d: want 1 or more", *q.Limit)
	}
	if err != nil {
		badRequest(w, "%v", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	j := &job{id: s.uuidLocked(), client: c.ID, submitted: now, asOf: now.Add(-s.opts.DataLakeLag)}
	j.results = s.selectLocked(q, j.asOf, func(cl *call) bool {
		var end time.Time
		if !j.asOf.Before(cl.End()) {
			end = cl.End()
		}
		return iv.hadActivity(cl.Start, end) && (!q.StartOfDayIntervalMatching || !cl.Start.Before(day(iv.start)))
	}, true)
	if q.Limit != nil && len(j.results) > *q.Limit {
		j.results = j.results[:*q.Limit]
	}
	if s.faults.failJobs > 0 {
		s.faults.failJobs--
		j.failure = "Internal error: the query could not be completed (injected)"
	}
	s.jobs[j.id] = j
	writeJSON(w, http.StatusAccepted, struct {
		JobID string `json:"jobId"`
	}{j.id})
}

// jobLocked returns the caller's job named in the path, or answers 404.
func (s *Server) jobLocked(w http.ResponseWriter, r *http.Request) *job {
	c, _ := caller(r)
	j := s.jobs[r.PathValue("id")]
	if j == nil || j.client != c.ID {
		notFound(w, "job %s not found", r.PathValue("id"))
		return nil
	}
	return j
}

// jobStatus serves GET .../details/jobs/{id}.
func (s *Server) jobStatus(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j := s.jobLocked(w, r); j != nil {
		writeJSON(w, http.StatusOK, s.statusLocked(j, s.clock.Now()))
	}
}

// cancelJob serves DELETE .../details/jobs/{id}.
func (s *Server) cancelJob(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j := s.jobLocked(w, r); j != nil {
		j.cancelled = true
		w.WriteHeader(http.StatusNoContent)
	}
}

// jobResults serves GET .../details/jobs/{id}/results?cursor&pageSize: a
// FULFILLED job's conversations, pageSize (default and most 1000) at a
// time; each page but the last carries the cursor of the next.
func (s *Server) jobResults(w http.ResponseWriter, r *http.Request) {
	size, _, ok := pageParams(w, r, 1000, 1000)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobLocked(w, r)
	if j == nil {
		return
	}
	if st := s.statusLocked(j, s.clock.Now()); st.State != "FULFILLED" {
		badRequest(w, "job %s is %s: results are there while it is FULFILLED", j.id, st.State)
		return
	}
	offset := 0
	if raw := r.URL.Query().Get("cursor"); raw != "" {
		n, ok := readCursor(raw, j.id, len(j.results))
		if !ok {
			badRequest(w, "cursor %q is not one of job %s", raw, j.id)
			return
		}
		offset = n
	}
	end := min(offset+size, len(j.results))
	answer := struct {
		Conversations        []analyticsConversation `json:"conversations"`
		Cursor               string                  `json:"cursor,omitempty"`
		DataAvailabilityDate string                  `json:"dataAvailabilityDate"`
	}{Conversations: append([]analyticsConversation{}, j.results[offset:end]...), DataAvailabilityDate: date(j.asOf)}
	if end < len(j.results) {
		answer.Cursor = base64.RawURLEncoding.EncodeToString([]byte(j.id + ":" + strconv.Itoa(end)))
	}
	writeJSON(w, http.StatusOK, answer)
}

// readCursor returns the offset a cursor of job id points at.
func readCursor(raw, id string, results int) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return 0, false
	}
	jobID, n, _ := strings.Cut(string(b), ":")
	offset, err := strconv.Atoi(n)
	return offset, err == nil && jobID == id && offset >= 0 && offset <= results
}

// jobsAvailability serves GET .../details/jobs/availability: data before
// dataAvailabilityDate is in the data lake.
func (s *Server) jobsAvailability(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, struct {
		DataAvailabilityDate string `json:"dataAvailabilityDate"`
	}{date(s.clock.Now().Add(-s.opts.DataLakeLag))})
}

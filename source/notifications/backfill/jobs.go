package backfill

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"github.com/analytics-bridge/analytics-bridge/source/notifications/api"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/clock"
)

// cancelWithin bounds the DELETE of an abandoned job, made after the
// caller's context may have ended.
const cancelWithin = 30 * time.Second

// jobQuery is a details job body (platformclientv2 AsyncConversationQuery):
// its interval selects the conversations that had activity during it.
type jobQuery struct {
	Interval       string   `json:"interval"`
	SegmentFilters []filter `json:"segmentFilters,omitempty"`
	Order          string   `json:"order"`
	OrderBy        string   `json:"orderBy"`
}

// jobStatus is platformclientv2 AsyncQueryStatus.
type jobStatus struct {
	State        string `json:"state"`
	ErrorMessage string `json:"errorMessage"`
}

// job submits a details job, polls it every b.poll until it is FULFILLED
// and reads all its results. A job that ends otherwise (FAILED, CANCELLED,
// EXPIRED) is an error wrapping ErrJobFailed; a job abandoned before its
// results are read (ctx ended, a call failed) is cancelled.
func (b *apiBackend) job(ctx context.Context, iv interval, queues []string) ([]Conversation, error) {
	body := jobQuery{Interval: iv.String(), SegmentFilters: queueFilters(queues), Order: "asc", OrderBy: "conversationStart"}
	var submitted struct {
		JobID string `json:"jobId"`
	}
	if _, err := b.client.Do(ctx, api.Call{Method: http.MethodPost, Path: jobsPath, Body: body}, &submitted); err != nil {
		return nil, fmt.Errorf("details job %s: %w", body.Interval, err)
	}
	if submitted.JobID == "" {
		return nil, fmt.Errorf("details job %s: the answer names no jobId", body.Interval)
	}
	id := submitted.JobID
	log := b.log.With().Str("job", id).Str("interval", body.Interval).Logger()
	log.Info().Msg("details job submitted")
	over, err := b.await(ctx, id)
	if err == nil {
		var rows []Conversation
		if rows, err = b.results(ctx, id); err == nil {
			log.Info().Int("conversations", len(rows)).Msg("details job results read")
			return rows, nil
		}
	}
	if !over {
		b.cancel(ctx, id, &log) // still running, or its results left unread
	}
	return nil, fmt.Errorf("details job %s on %s: %w", id, body.Interval, err)
}

// await polls job id every b.poll until it is FULFILLED (nil). A job that
// ended otherwise is ErrJobFailed with over true: there is nothing left to
// cancel.
func (b *apiBackend) await(ctx context.Context, id string) (over bool, err error) {
	for {
		if err := clock.Sleep(ctx, b.client.Clock(), b.poll); err != nil {
			return false, err
		}
		var st jobStatus
		if _, err := b.client.Do(ctx, api.Call{Method: http.MethodGet, Path: jobsPath + "/" + url.PathEscape(id)}, &st); err != nil {
			return false, fmt.Errorf("status: %w", err)
		}
		switch st.State {
		case "QUEUED", "PENDING":
		case "FULFILLED":
			return false, nil
		case "FAILED", "CANCELLED", "EXPIRED":
			return true, fmt.Errorf("%w: %s %s", ErrJobFailed, st.State, st.ErrorMessage)
		default: // a state this client does not know: the job may still run
			return false, fmt.Errorf("%w: unknown state %q", ErrJobFailed, st.State)
		}
	}
}

// results reads every page of a fulfilled job's results, by cursor.
func (b *apiBackend) results(ctx context.Context, id string) ([]Conversation, error) {
	var rows []Conversation
	cursor := ""
	for {
		q := url.Values{}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		if b.resultsPageSize > 0 {
			q.Set("pageSize", strconv.Itoa(b.resultsPageSize))
		}
		var page struct {
			Conversations []json.RawMessage `json:"conversations"`
			Cursor        string            `json:"cursor"`
		}
		path := jobsPath + "/" + url.PathEscape(id) + "/results"
		if _, err := b.client.Do(ctx, api.Call{Method: http.MethodGet, Path: path, Query: q}, &page); err != nil {
			return nil, fmt.Errorf("results: %w", err)
		}
		got, err := parseConversations(page.Conversations)
		if err != nil {
			return nil, fmt.Errorf("results: %w", err)
		}
		rows = append(rows, got...)
		if page.Cursor == "" {
			return rows, nil
		}
		cursor = page.Cursor
	}
}

// cancel DELETEs job id, bounded by cancelWithin even when ctx has ended.
func (b *apiBackend) cancel(ctx context.Context, id string, log *zerolog.Logger) {
	ctx, stop := context.WithTimeout(context.WithoutCancel(ctx), cancelWithin)
	defer stop()
	if _, err := b.client.Do(ctx, api.Call{Method: http.MethodDelete, Path: jobsPath + "/" + url.PathEscape(id)}, nil); err != nil {
		log.Warn().Err(err).Msg("failed to cancel the abandoned details job; it will expire")
		return
	}
	log.Info().Msg("abandoned details job cancelled")
}

// dataAvailability GETs the jobs' dataAvailabilityDate.
func (b *apiBackend) dataAvailability(ctx context.Context) (time.Time, error) {
	var a struct {
		DataAvailabilityDate string `json:"dataAvailabilityDate"`
	}
	if _, err := b.client.Do(ctx, api.Call{Method: http.MethodGet, Path: jobsPath + "/availability"}, &a); err != nil {
		return time.Time{}, fmt.Errorf("details jobs availability: %w", err)
	}
	t, err := time.Parse(time.RFC3339Nano, a.DataAvailabilityDate)
	if err != nil {
		return time.Time{}, fmt.Errorf("details jobs availability: dataAvailabilityDate %q: %w", a.DataAvailabilityDate, err)
	}
	return t, nil
}

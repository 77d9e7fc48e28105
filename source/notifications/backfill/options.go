package backfill

import (
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/analytics-bridge/analytics-bridge/source/notifications/api"
)

// Errors a fetch ends with, beside the API client's. Test them with
// errors.Is.
var (
	// ErrTooManyResults: a slice of the interval (one UTC day, one queue)
	// holds more conversations than paging reaches (100,000), and the data
	// lake does not cover it yet, so no details job can fetch it. Trying
	// again once dataAvailabilityDate has passed the interval can help.
	ErrTooManyResults = errors.New("more conversations than a details query pages through")
	// ErrJobFailed: a details job ended FAILED, CANCELLED or EXPIRED (or
	// in a state this client does not know, and was cancelled). Active
	// falls back to queries when it can; it returns this only when no query
	// can replace the job (a slice beyond the paging cap).
	ErrJobFailed = errors.New("details job did not complete")
	// ErrDrifting: the rows of a query kept shifting under the paging, pass
	// after pass, each pass finding conversations the others missed.
	ErrDrifting = errors.New("details query rows kept drifting while paged")
)

// Options configure a Fetcher. Zero values take the defaults shown.
type Options struct {
	// API is the platform client (required); its Clock() is the clock of
	// every wait.
	API *api.Client
	// QueueIDs restricts the fetch to the conversations that touched these
	// queues (segment filter queueId); nil or empty: every conversation the
	// client may see.
	QueueIDs []string
	// MaxConversation is how long a conversation may last (12 h): how far
	// before `from` a conversation active in the interval may have started.
	// At most 30 days.
	MaxConversation time.Duration
	// PageSize is the details query page size (100, the most the API
	// allows).
	PageSize int
	// JobsOver: an interval longer than this (6 h) that ends before the
	// data lake's dataAvailabilityDate is fetched with a details job.
	JobsOver time.Duration
	// JobPoll is the job status poll period (5 s).
	JobPoll time.Duration
	// Logger receives what the fetch decides (splits, jobs, fallbacks).
	Logger zerolog.Logger
}

// Limits of the analytics API.
const (
	maxPageSize     = 100     // details query page size
	maxResults      = 100_000 // "Pagination may not exceed 100000 results"
	maxIntervalDays = 31      // days an analytics interval may span
	maxMultiGet     = 100     // ids of one details multi-get
)

// Bounds of Options.MaxConversation: a slice of one UTC day fetched with a
// job spans that day and MaxConversation after it, within 31 days.
const (
	defaultMaxConversation = 12 * time.Hour
	longestMaxConversation = 30 * 24 * time.Hour
)

// Fetcher fetches conversation details. Safe for concurrent use: it keeps
// no state between calls.
type Fetcher struct {
	opts Options
	be   backend
	// cap is the most results paging may reach: maxResults; tests lower it
	// to exercise the splits without generating 100,000 conversations.
	cap int
}

// New checks o and builds a Fetcher; it calls nothing on the network.
func New(o Options) (*Fetcher, error) {
	var errs []error
	if o.API == nil {
		errs = append(errs, errors.New("API: an api.Client is required"))
	}
	if o.MaxConversation == 0 {
		o.MaxConversation = defaultMaxConversation
	}
	if o.MaxConversation < 0 || o.MaxConversation > longestMaxConversation {
		errs = append(errs, fmt.Errorf("MaxConversation %v: want more than 0 and at most %v (an analytics interval spans %d days)",
			o.MaxConversation, longestMaxConversation, maxIntervalDays))
	}
	if o.PageSize == 0 {
		o.PageSize = maxPageSize
	}
	if o.PageSize < 1 || o.PageSize > maxPageSize {
		errs = append(errs, fmt.Errorf("PageSize %d: want 1 to %d", o.PageSize, maxPageSize))
	}
	if o.JobsOver == 0 {
		o.JobsOver = 6 * time.Hour
	}
	if o.JobPoll == 0 {
		o.JobPoll = 5 * time.Second
	}
	if o.JobsOver < 0 || o.JobPoll < 0 {
		errs = append(errs, fmt.Errorf("JobsOver %v, JobPoll %v: must not be negative", o.JobsOver, o.JobPoll))
	}
	for i, id := range o.QueueIDs {
		if id == "" {
			errs = append(errs, fmt.Errorf("QueueIDs[%d]: empty", i))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("backfill options: %w", err)
	}
	o.QueueIDs = dedupe(o.QueueIDs)
	if len(o.QueueIDs) == 0 {
		o.QueueIDs = nil
	}
	return &Fetcher{opts: o, be: &apiBackend{client: o.API, poll: o.JobPoll, log: o.Logger}, cap: maxResults}, nil
}

// dedupe returns ids without repeats, in their first order (nil stays nil).
func dedupe(ids []string) []string {
	if ids == nil {
		return nil
	}
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

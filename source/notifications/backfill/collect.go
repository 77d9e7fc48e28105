package backfill

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"
)

// backend is what the plan needs of the analytics API (api.go; a fake in
// the tests).
type backend interface {
	// queryPage is one page of a details query on iv, restricted to the
	// conversations that touched queues (nil: no restriction), ordered by
	// conversationStart ascending.
	queryPage(ctx context.Context, p pageRequest) (pageAnswer, error)
	// job runs a details job on iv (conversations that had activity during
	// it) restricted to queues, and returns all its results. A job that
	// did not complete is an error wrapping ErrJobFailed.
	job(ctx context.Context, iv interval, queues []string) ([]Conversation, error)
	// dataAvailability is the data lake's dataAvailabilityDate: details
	// jobs see the data before it.
	dataAvailability(ctx context.Context) (time.Time, error)
}

type pageRequest struct {
	iv           interval
	queues       []string
	number, size int // number from 1
}

type pageAnswer struct {
	rows      []Conversation
	totalHits int
}

// maxPasses bounds how often one query is paged through while its rows
// keep shifting.
const maxPasses = 4

// collector covers one activity interval [from, to): it decides which
// queries and jobs to make and gathers their rows, each conversation once.
type collector struct {
	be       backend
	log      zerolog.Logger
	pageSize int
	cap      int // results paging may reach
	maxConv  time.Duration
	jobsOver time.Duration
	queues   []string // nil: all

	from, to time.Time
	found    *conversationSet
	jobsRun  map[string]bool // interval and queues of the jobs run: the slices of two days may need the same
}

// newCollector covers [from, to) on be with o's settings (defaults applied)
// and paging capped at cap results.
func newCollector(be backend, o Options, cap int, from, to time.Time) *collector {
	return &collector{be: be, log: o.Logger, pageSize: o.PageSize, cap: cap, maxConv: o.MaxConversation,
		jobsOver: o.JobsOver, queues: o.QueueIDs, from: from, to: to, found: newConversationSet(), jobsRun: map[string]bool{}}
}

// run fetches every conversation that may have been active in [from, to)
// into c.found (a superset: the caller filters).
func (c *collector) run(ctx context.Context) error {
	whole := interval{c.from, c.to}
	if c.to.Sub(c.from) > c.jobsOver {
		dad, err := c.be.dataAvailability(ctx)
		if err != nil {
			return err
		}
		if !c.to.After(dad) {
			return c.viaJobs(ctx, whole)
		}
		c.log.Debug().Time("to", c.to).Time("data_availability", dad).
			Msg("interval is long but the data lake does not cover it yet: details queries")
	}
	return c.viaQueries(ctx, whole)
}

// viaJobs fetches [from, to) with details jobs, one per 31 days; a job that
// does not complete is replaced by queries on its interval.
func (c *collector) viaJobs(ctx context.Context, whole interval) error {
	for _, iv := range whole.chunks() {
		rows, err := c.be.job(ctx, jobInterval(iv), c.queues)
		if errors.Is(err, ErrJobFailed) {
			c.log.Warn().Err(err).Stringer("interval", iv).Msg("details job failed: falling back to details queries for its interval")
			if err := c.viaQueries(ctx, iv); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		for _, r := range rows {
			c.found.add(r)
		}
	}
	return nil
}

// viaQueries fetches the conversations active in iv with details queries
// reaching back maxConv before it (a query selects by start day).
func (c *collector) viaQueries(ctx context.Context, iv interval) error {
	for _, q := range (interval{iv.start.Add(-c.maxConv), iv.end}).chunks() {
		if err := c.slice(ctx, q, c.queues); err != nil {
			return err
		}
	}
	return nil
}

// slice pages through the query on iv and queues, again while its rows
// shift, and splits it when it holds more than paging reaches.
func (c *collector) slice(ctx context.Context, iv interval, queues []string) error {
	for pass := 1; pass <= maxPasses; pass++ {
		p, err := c.pass(ctx, iv, queues)
		if err != nil {
			return err
		}
		if p.overCap {
			return c.split(ctx, iv, queues, p.totalHits)
		}
		added := 0
		for _, r := range p.rows {
			if c.found.add(r) {
				added++
			}
		}
		if !p.repeated || pass > 1 && added == 0 {
			return nil
		}
		c.log.Info().Stringer("interval", iv).Strs("queues", queues).Int("pass", pass).Int("new", added).
			Msg("details query rows repeated across pages (data arriving while paging): paging it again")
	}
	return fmt.Errorf("details query %s (queues %v): %w: still shifting after %d passes", iv, queues, ErrDrifting, maxPasses)
}

// passResult is one paging through a query.
type passResult struct {
	rows      []Conversation
	repeated  bool // a conversation came twice: the rows shifted
	overCap   bool // more results than paging reaches: nothing else is valid
	totalHits int
}

// pass pages through the query on iv and queues once. Pages are in
// conversationStart order, so it stops at the first conversation that
// started at or after c.to: every later one did too.
func (c *collector) pass(ctx context.Context, iv interval, queues []string) (passResult, error) {
	var res passResult
	seen := map[string]bool{}
	lastPage := c.cap / c.pageSize // a page reaching past the cap is refused
	for number := 1; ; number++ {
		if number > lastPage {
			res.overCap = true // the hits grew past the cap while paging
			return res, nil
		}
		ans, err := c.be.queryPage(ctx, pageRequest{iv: iv, queues: queues, number: number, size: c.pageSize})
		if err != nil {
			return res, err
		}
		res.totalHits = ans.totalHits
		if ans.totalHits > c.cap {
			res.overCap = true
			return res, nil
		}
		past := false
		for _, r := range ans.rows {
			if seen[r.ID] {
				res.repeated = true
			}
			seen[r.ID] = true
			res.rows = append(res.rows, r)
			past = past || !r.Start.Before(c.to)
		}
		if past || len(ans.rows) < c.pageSize || number*c.pageSize >= ans.totalHits {
			return res, nil
		}
	}
}

// split covers a query holding more than paging reaches: per UTC day, then
// per queue, then with a details job.
func (c *collector) split(ctx context.Context, iv interval, queues []string, hits int) error {
	log := c.log.Info().Stringer("interval", iv).Strs("queues", queues).Int("total_hits", hits).Int("cap", c.cap)
	if days := iv.days(); len(days) > 1 {
		log.Msg("details query beyond the paging cap: split per UTC day")
		for _, d := range days {
			if err := c.slice(ctx, iv.clip(d), queues); err != nil {
				return err
			}
		}
		return nil
	}
	if len(queues) > 1 {
		log.Msg("details query beyond the paging cap: split per queue")
		for _, q := range queues {
			if err := c.slice(ctx, iv, []string{q}); err != nil {
				return err
			}
		}
		return nil
	}
	log.Msg("details query beyond the paging cap: details job")
	return c.jobForDay(ctx, iv, queues, hits)
}

// jobForDay fetches with a details job the conversations of a query on one
// UTC day (those that started that day) active in [from, to): they had
// activity from the later of from and the day's start, until at most
// maxConv after the day ends. The data lake must cover that.
func (c *collector) jobForDay(ctx context.Context, iv interval, queues []string, hits int) error {
	d := day(iv.start)
	active := interval{maxTime(c.from, d), minTime(c.to, d.AddDate(0, 0, 1).Add(c.maxConv))}
	if active.empty() {
		return nil // nothing that started that day reaches the interval
	}
	job := jobInterval(active)
	key := fmt.Sprint(job, queues)
	if c.jobsRun[key] {
		return nil
	}
	dad, err := c.be.dataAvailability(ctx)
	if err != nil {
		return err
	}
	if job.end.After(dad) {
		return fmt.Errorf("details query %s (queues %v): %d hits: %w, and dataAvailabilityDate %s does not cover %s for a details job",
			iv, queues, hits, ErrTooManyResults, dad.UTC().Format(apiDateLayout), job)
	}
	rows, err := c.be.job(ctx, job, queues)
	if err != nil {
		return fmt.Errorf("details query %s (queues %v) beyond the paging cap: %w", iv, queues, err)
	}
	c.jobsRun[key] = true
	for _, r := range rows {
		c.found.add(r)
	}
	return nil
}

// jobInterval is the job interval that selects the conversations active in
// iv as activeIn has it: a job's "had activity during" may leave out one
// that ended exactly at the start, a millisecond earlier keeps it (the
// caller filters).
func jobInterval(iv interval) interval { return interval{iv.start.Add(-time.Millisecond), iv.end} }

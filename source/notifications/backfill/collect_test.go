package backfill

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// fakeConv is a conversation of the fake backend (end zero: ongoing).
type fakeConv struct {
	id         string
	start, end time.Time
	queue      string
}

func (c fakeConv) row() Conversation {
	end := ""
	if !c.end.IsZero() {
		end = fmt.Sprintf(`,"conversationEnd":%q`, c.end.Format(apiDateLayout))
	}
	raw := fmt.Sprintf(`{"conversationId":%q,"conversationStart":%q%s,"queue":%q}`, c.id, c.start.Format(apiDateLayout), end, c.queue)
	return Conversation{ID: c.id, Start: c.start, End: c.end, Raw: []byte(raw)}
}

// fakeBackend serves the analytics API's semantics from a list: a query
// selects by start day and refuses a page past its cap; a job selects by
// activity. It records every call.
type fakeBackend struct {
	convs    []fakeConv
	cap      int
	dad      time.Time
	failJobs int
	// repeatRows makes the next page after the first start that many rows
	// early (as the stand-in's fault does).
	repeatRows int
	// arrive, when set, adds the conversation it returns before every
	// query for a page after the first: data arriving while paging.
	arrive func() fakeConv
	calls  []string
}

func inQueues(q string, queues []string) bool { return queues == nil || slices.Contains(queues, q) }

func (b *fakeBackend) queryPage(_ context.Context, p pageRequest) (pageAnswer, error) {
	b.calls = append(b.calls, fmt.Sprintf("query %s %v p%d", p.iv, p.queues, p.number))
	if p.number*p.size > b.cap {
		return pageAnswer{}, fmt.Errorf("page %d of %d: pagination may not exceed %d results", p.number, p.size, b.cap)
	}
	if p.number > 1 && b.arrive != nil {
		b.convs = append(b.convs, b.arrive())
	}
	days := p.iv.days()
	var sel []fakeConv
	for _, c := range b.convs {
		if slices.ContainsFunc(days, func(d time.Time) bool { return d.Equal(day(c.start)) }) && inQueues(c.queue, p.queues) {
			sel = append(sel, c)
		}
	}
	slices.SortFunc(sel, func(x, y fakeConv) int { return cmp.Or(x.start.Compare(y.start), cmp.Compare(x.id, y.id)) })
	offset := (p.number - 1) * p.size
	if p.number > 1 && b.repeatRows > 0 {
		offset, b.repeatRows = max(offset-b.repeatRows, 0), 0
	}
	ans := pageAnswer{totalHits: len(sel)}
	for _, c := range sel[min(offset, len(sel)):min(offset+p.size, len(sel))] {
		ans.rows = append(ans.rows, c.row())
	}
	return ans, nil
}

func (b *fakeBackend) job(_ context.Context, iv interval, queues []string) ([]Conversation, error) {
	b.calls = append(b.calls, fmt.Sprintf("job %s %v", iv, queues))
	if b.failJobs > 0 {
		b.failJobs--
		return nil, fmt.Errorf("job: %w: FAILED", ErrJobFailed)
	}
	var out []Conversation
	for _, c := range b.convs {
		if c.start.Before(iv.end) && (c.end.IsZero() || c.end.After(iv.start)) && inQueues(c.queue, queues) {
			out = append(out, c.row())
		}
	}
	return out, nil
}

func (b *fakeBackend) dataAvailability(context.Context) (time.Time, error) {
	b.calls = append(b.calls, "availability")
	return b.dad, nil
}

// at is a time on 2026-11-30 (negative hours: the day before).
func at(hours float64) time.Time {
	return time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC).Add(time.Duration(hours * float64(time.Hour)))
}

// fakeConvs are n conversations in queue q, the first starting at start,
// one every `every`, each lasting dur (0: ongoing).
func fakeConvs(q string, start time.Time, n int, every, dur time.Duration) []fakeConv {
	var out []fakeConv
	for i := range n {
		c := fakeConv{id: fmt.Sprintf("%s-%s", q, start.Add(time.Duration(i)*every).Format("0102T1504")),
			start: start.Add(time.Duration(i) * every), queue: q}
		if dur > 0 {
			c.end = c.start.Add(dur)
		}
		out = append(out, c)
	}
	return out
}

// The interval of the plan tests is [00:00, 06:00) on 2026-11-30 with a
// 12 h lookback: the queries touch the 29th (9 conversations: a 6, b 3)
// and the 30th (18: a 9, b 9, of which 3 of b after the interval).
func planConvs() []fakeConv {
	var all []fakeConv
	all = append(all, fakeConvs("a", at(-1), 8, 10*time.Minute, 20*time.Minute)...) // 23:00..00:10 on the 29th: some end before 00:00
	all = append(all, fakeConvs("b", at(-4), 3, time.Hour, 5*time.Minute)...)       // the 29th, all over before 00:00
	all = append(all, fakeConvs("a", at(1), 6, 15*time.Minute, 10*time.Minute)...)
	all = append(all, fakeConvs("b", at(2), 6, 15*time.Minute, 10*time.Minute)...)
	all = append(all, fakeConvs("a", at(5.9), 1, 0, 0)...)                      // ongoing
	all = append(all, fakeConvs("b", at(7), 3, time.Minute, 10*time.Minute)...) // after the interval
	return all
}

func TestCollectorPlan(t *testing.T) {
	const (
		whole = "2026-11-29T12:00:00.000Z/2026-11-30T06:00:00.000Z"
		day29 = "2026-11-29T12:00:00.000Z/2026-11-30T00:00:00.000Z"
		day30 = "2026-11-30T00:00:00.000Z/2026-11-30T06:00:00.000Z"
		job30 = "2026-11-29T23:59:59.999Z/2026-11-30T06:00:00.000Z" // a millisecond early: see jobInterval
	)
	from, to := at(0), at(6)
	for _, tc := range []struct {
		name     string
		cap      int
		pageSize int
		queues   []string
		jobsOver time.Duration
		dad      time.Time
		failJobs int
		repeat   int
		calls    []string
		err      error
		log      string // a line the log must hold
	}{
		{name: "under the cap: one query, paged until past the interval", cap: 100, pageSize: 10,
			calls: []string{"query " + whole + " [] p1", "query " + whole + " [] p2", "query " + whole + " [] p3"}},
		{name: "beyond the cap: per UTC day", cap: 20, pageSize: 10,
			calls: []string{"query " + whole + " [] p1",
				"query " + day29 + " [] p1",
				"query " + day30 + " [] p1", "query " + day30 + " [] p2"},
			log: "split per UTC day"},
		{name: "a day beyond the cap: per queue", cap: 12, pageSize: 6, queues: []string{"a", "b"},
			calls: []string{"query " + whole + " [a b] p1",
				"query " + day29 + " [a b] p1", "query " + day29 + " [a b] p2",
				"query " + day30 + " [a b] p1",
				"query " + day30 + " [a] p1", "query " + day30 + " [a] p2",
				"query " + day30 + " [b] p1", "query " + day30 + " [b] p2"},
			log: "split per queue"},
		{name: "a queue's day beyond the cap: a details job, once per interval", cap: 5, pageSize: 5, queues: []string{"a", "b"}, dad: at(9),
			calls: []string{"query " + whole + " [a b] p1",
				"query " + day29 + " [a b] p1", "query " + day29 + " [a] p1", "availability", "job " + job30 + " [a]",
				"query " + day29 + " [b] p1",
				"query " + day30 + " [a b] p1", "query " + day30 + " [a] p1",
				"query " + day30 + " [b] p1", "availability", "job " + job30 + " [b]"},
			log: "details job"},
		{name: "no queue filter: from a day straight to a job", cap: 10, pageSize: 5, dad: at(9),
			calls: []string{"query " + whole + " [] p1",
				"query " + day29 + " [] p1", "query " + day29 + " [] p2",
				"query " + day30 + " [] p1", "availability", "job " + job30 + " []"}},
		{name: "beyond the cap before the data lake covers it", cap: 10, pageSize: 5, dad: at(5),
			calls: []string{"query " + whole + " [] p1", "query " + day29 + " [] p1", "query " + day29 + " [] p2",
				"query " + day30 + " [] p1", "availability"},
			err: ErrTooManyResults},
		{name: "beyond the cap and the job fails", cap: 10, pageSize: 5, dad: at(9), failJobs: 1,
			calls: []string{"query " + whole + " [] p1", "query " + day29 + " [] p1", "query " + day29 + " [] p2",
				"query " + day30 + " [] p1", "availability", "job " + job30 + " []"},
			err: ErrJobFailed},
		{name: "long interval in the data lake: a details job", cap: 100, pageSize: 10, jobsOver: time.Hour, dad: at(9),
			calls: []string{"availability", "job " + job30 + " []"}},
		{name: "long interval, failed job: queries", cap: 100, pageSize: 10, jobsOver: time.Hour, dad: at(9), failJobs: 1,
			calls: []string{"availability", "job " + job30 + " []",
				"query " + whole + " [] p1", "query " + whole + " [] p2", "query " + whole + " [] p3"},
			log: "details job failed: falling back to details queries"},
		{name: "long interval past the data lake: queries", cap: 100, pageSize: 10, jobsOver: time.Hour, dad: at(5),
			calls: []string{"availability", "query " + whole + " [] p1", "query " + whole + " [] p2", "query " + whole + " [] p3"}},
		{name: "rows repeated across pages: paged again", cap: 100, pageSize: 10, repeat: 3,
			calls: []string{"query " + whole + " [] p1", "query " + whole + " [] p2", "query " + whole + " [] p3",
				"query " + whole + " [] p1", "query " + whole + " [] p2", "query " + whole + " [] p3"},
			log: "rows repeated across pages"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			be := &fakeBackend{convs: planConvs(), cap: tc.cap, dad: tc.dad, failJobs: tc.failJobs, repeatRows: tc.repeat}
			var logs bytes.Buffer
			jobsOver := cmp.Or(tc.jobsOver, 6*time.Hour)
			c := newCollector(be, Options{Logger: zerolog.New(&logs), PageSize: tc.pageSize, MaxConversation: 12 * time.Hour,
				JobsOver: jobsOver, QueueIDs: tc.queues}, tc.cap, from, to)
			err := c.run(context.Background())
			if !slices.Equal(be.calls, tc.calls) {
				t.Errorf("calls:\n  %s\nwant:\n  %s", strings.Join(be.calls, "\n  "), strings.Join(tc.calls, "\n  "))
			}
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("run: %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if !strings.Contains(logs.String(), tc.log) {
				t.Errorf("log lacks %q:\n%s", tc.log, logs.String())
			}
			checkActive(t, c.found, planConvs(), tc.queues, from, to)
		})
	}
}

// checkActive holds the set's active conversations to exactly those of
// convs (in queues) active in [from, to), each once.
func checkActive(t *testing.T, found *conversationSet, convs []fakeConv, queues []string, from, to time.Time) {
	t.Helper()
	var want []string
	for _, c := range convs {
		if inQueues(c.queue, queues) && c.row().activeIn(from, to) {
			want = append(want, c.id)
		}
	}
	slices.Sort(want)
	var got []string
	for _, c := range found.activeIn(from, to) {
		got = append(got, c.ID)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("active conversations:\n  %v\nwant:\n  %v", got, want)
	}
	if len(want) < 10 {
		t.Fatalf("only %d conversations expected: the data does not exercise the plan", len(want))
	}
}

// Data arriving on every page shifts the rows pass after pass: the query
// gives up after maxPasses rather than return what it cannot vouch for.
func TestCollectorGivesUpOnRowsThatKeepDrifting(t *testing.T) {
	n := 0
	be := &fakeBackend{convs: planConvs(), cap: 100, arrive: func() fakeConv {
		n++ // each starts before every row paged so far: the rows shift by one
		return fakeConv{id: fmt.Sprintf("late-%d", n), start: at(-12).Add(-time.Duration(n) * time.Second).Add(time.Hour), queue: "a"}
	}}
	c := newCollector(be, Options{PageSize: 10, MaxConversation: 12 * time.Hour, JobsOver: 6 * time.Hour, Logger: zerolog.Nop()},
		100, at(0), at(6))
	err := c.run(context.Background())
	if !errors.Is(err, ErrDrifting) {
		t.Fatalf("run: %v, want ErrDrifting", err)
	}
	passes := 0
	for _, c := range be.calls {
		if strings.HasSuffix(c, " p1") {
			passes++
		}
	}
	if passes != maxPasses {
		t.Errorf("%d passes, want %d:\n%s", passes, maxPasses, strings.Join(be.calls, "\n"))
	}
}

// Package backfill fetches, from the Genesys Cloud analytics API, the
// conversation details that cover an interval in which notification events
// may have been missed (the Notifications API queues nothing for a client
// that is away). It owns the analytics side of a gap: which requests cover
// the interval, their paging, splitting and drift, and the raw conversation
// objects they return. What becomes of those (records, keys) is the
// caller's.
//
// # How an interval is covered (Active)
//
//   - Wait on the API client's clock until the interval ended more than a
//     minute ago (61 s): the platform refuses or drifts on fresher data.
//   - An interval longer than Options.JobsOver that ended before the data
//     lake's dataAvailabilityDate is fetched with a details job, whose
//     interval means "had activity during" (jobs.go). A job that ends
//     FAILED (or CANCELLED, EXPIRED) is logged and the interval fetched
//     with queries instead.
//   - Otherwise with details queries (collect.go). A query selects the
//     conversations that started on a day its interval touches, so the
//     query interval reaches back Options.MaxConversation before the
//     interval, and the conversations are filtered here on their start and
//     end. Pages are ordered by conversationStart, so paging stops at the
//     first conversation that started after the interval.
//   - A query interval is at most 31 days (longer ones are cut at UTC
//     midnights); paging may not go past 100,000 results. A query whose
//     totalHits is beyond that is split per UTC day, then per queue (only
//     when Options.QueueIDs names them: without a queue filter a per-queue
//     split would miss the conversations that touched no queue), and a
//     slice still beyond it is fetched with a details job, which the data
//     lake must already cover (else ErrTooManyResults).
//   - Rows drift and repeat across pages while data arrives: a row seen
//     twice in one pass means the rows shifted under the paging, so the
//     query is paged again (at most maxPasses times, else ErrDrifting) and
//     the passes merged. Each conversation is kept once, the most complete
//     row of it: the one with conversationEnd, else the latest.
//
// # Invariants
//
//   - Conversation.Raw is a copy of the bytes the API served for that
//     element of `conversations`, never re-encoded; only conversationId,
//     conversationStart and conversationEnd are read from it.
//   - Every wait (the one-minute rule, job polls, the API client's
//     rate-limit waits) is on Options.API.Clock().
//   - A details job abandoned before its results are read (the context
//     ended, a call failed) is cancelled with DELETE.
//
// A details job serves conversations as the data lake held them at its
// dataAvailabilityDate and with participant attributes, which the query
// leaves out: the same state of a conversation fetched both ways has two
// Raw contents, so two DedupKeys.
//   - No goroutine is started: every call runs on its caller's.
//
// # Files
//
// options.go: Options, New, errors. conversation.go: Conversation, its
// DedupKey, parsing rows and keeping each conversation once. interval.go:
// intervals, UTC days, 31-day chunks. collect.go: the plan (queries,
// passes, splits, jobs) over a backend; api.go: that backend's details
// query over the API, jobs.go its details jobs. active.go: Active.
// byid.go: ByID.
package backfill

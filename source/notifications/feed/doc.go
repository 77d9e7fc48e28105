// Package feed is the notifications source (SOURCE=notifications): Genesys
// Cloud's Notifications WebSocket, with every interval in which events may
// have been missed back-filled from the analytics API. It joins three
// parts: the channel client (package notifications), discovery (what to
// subscribe: package discovery) and the fetches (package backfill).
//
// # What it writes
//
//   - Every notification read, as an event record: the frame as read
//     ({topicName, version, eventBody, metadata}), dedup key the content
//     key of {topicName, eventBody} (a copy read on two sockets during a
//     handover is written once), record key gcconv:{conversationId} when
//     the topic is about a conversation, else the topic; headers
//     genesys-topic, genesys-channel, genesys-conversation-id.
//   - Every back-filled conversation, as a record of kind
//     conversation-detail: the analytics API's conversation object as
//     served, key gcconv:{conversationId}, dedup key from its id, end and
//     content (backfill.Conversation.DedupKey), header genesys-backfill
//     saying why (gap, followed, max-wait). It is a snapshot of the
//     conversation, not its detail events: those cannot be rebuilt from
//     it, and the source does not pretend to.
//   - Malformed frames, to the dead-letter topic.
//
// # What is back-filled
//
//   - A gap the channel client reports (a socket down, a channel
//     replaced, a handover that was not seamless) of queue or other
//     non-conversation topics: every conversation active in it, widened by
//     Options.Latency on both sides, fetched with the details query (or a
//     job) once the interval is more than a minute old. The ended ones are
//     written; the others are awaited by id.
//   - A conversation discovery sees for the first time (its detail topics
//     can only be subscribed after it began, or not at all past the
//     budget), and one whose detail topics a gap names: awaited by id,
//     fetched every PendingPoll, written once its conversationEnd is set.
//   - The bridge's own downtime: from the checkpoint's Live to the start
//     of the epoch, as a gap.
//
// # Position
//
// The checkpoint's State holds Live (the channel client's CompleteUntil as
// of the checkpoint's prefix: every event received before it was written,
// or lies in a gap listed), the gaps not yet fetched and the conversations
// still awaited. The position's Since (and the Horizon) is the earliest of
// them less Latency and keyMargin: a gap's fetch, widened by Latency, finds
// again conversations written just before the gap began, and the next
// epoch's scan must hold their keys.
//
// Invariants:
//   - A gap or an awaited conversation leaves the checkpoint only in the
//     checkpoint of a prefix that holds the Output call of its last record
//     (Progress.Count): with transactions, in the same transaction as its
//     records. A crash before re-fetches it, and the records written
//     already are dropped by the dedup window (their keys are kept by when
//     they were fetched, after the checkpoint's Since).
//   - Live never passes an event read but not yet written: it is paired
//     with the count of Output calls made after it was read.
//   - Until the first sockets are connected, Live stays at the epoch's
//     start; the client reports [start, connected) as a gap of the topics
//     discovery subscribed from the start.
//
// # Files
//
// source.go: Options, New, Resume. stream.go: one epoch, its goroutines,
// the counted sends. handler.go: what the channel client hands over.
// fill.go: the two back-fill loops. ledger.go: the checkpoint state, in
// its work and durable views. records.go: the records. metrics.go.
// check.go: `check --connect`.
package feed

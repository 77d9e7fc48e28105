// Package sqs is the source that reads an Amazon SQS standard queue fed by
// an EventBridge rule: Genesys Cloud's EventBridge integration, its only
// complete, durable, org-wide delivery of analytics detail events.
//
// One message is one EventBridge event is one record. The record value is
// the event's detail (SQS_VALUE=detail: Genesys's {topicName, version,
// eventBody, metadata}, a window on the body's own bytes) or the whole
// envelope (body); it is never re-encoded. The event time is
// detail.eventBody.eventTime (epoch ms), else the envelope's time. What is
// not an EventBridge event (not JSON, no detail object, no time) is
// dead-lettered.
//
// Exactly once, on a queue that delivers at least once:
//   - The dedup key is the content of detail: the SHA-256 of the canonical
//     JSON of {"eventBody": ..., "topicName": ...} (package contentkey),
//     never the EventBridge id, which Genesys's resend of an event renews.
//     A detail without them is keyed by its whole canonical content.
//   - A message is deleted only from Acker.Committed, once its record is
//     committed (with transactions, in the transaction that holds the
//     checkpoint). A crash between commit and delete redelivers it; the
//     dedup window, rebuilt from the topic's read_committed tail at every
//     start, drops it, and it is deleted then.
//   - Keys are kept by when the message was read (Event.KeyTime), for
//     DEDUP_WINDOW: a redelivery comes back within the visibility timeout
//     of a receive, whatever the event's own time (Genesys resends events
//     up to 4 days old).
//   - A copy redelivered while the first is still in flight is dropped by
//     the core and acknowledged after it; each copy's own receipt handle
//     is deleted.
//   - What an epoch read but never committed (an aborted transaction, a
//     failed write) is made visible again at once when the epoch closes
//     (ChangeMessageVisibility to 0) rather than left to its timeout: the
//     next epoch rebuilds its window from Kafka after fencing the old
//     transaction, so whatever did commit is dropped and the rest is
//     written, without waiting out a visibility timeout that extensions
//     may have pushed far ahead. A SIGKILL leaves them to their timeout, as
//     it does the messages of a receive the end of an epoch cut short (SQS
//     handed them out, but the answer was never read).
//   - Messages held past half the queue's visibility timeout (waiting for
//     Kafka) are extended with ChangeMessageVisibilityBatch, so a slow
//     commit does not turn into redeliveries.
//
// Refusals (access denied, with the IAM action named; a queue that does not
// exist; a region or endpoint that cannot serve it) stop the bridge with one
// line; throttling and server errors are retried with backoff (the SDK's
// retryer first, then RECONNECT_*_BACKOFF).
//
// Only one instance per BRIDGE_NAME reads the queue (the core's fencing):
// competing consumers would each hold a dedup window of its own, and a
// redelivery landing on the other instance would be written twice.
package sqs

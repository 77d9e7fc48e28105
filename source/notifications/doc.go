// Package notifications owns the lifecycle of Genesys Cloud notification
// channels for one OAuth client: the foundation of a future
// SOURCE=notifications. It is not a source yet (no checkpoint position,
// no back-fill, no records): it keeps the wanted topics subscribed through
// everything the platform does to its channels, hands over every event it
// reads, and reports every interval in which events may have been missed,
// so that a back-fill can fetch them from the analytics APIs (the
// Notifications API queues nothing for a client that is away).
//
// # Lifecycle
//
// New builds a Client on an api.Client (OAuth client credentials, rate
// limits: package api). Subscribe and Unsubscribe change the wanted topics
// at any time, from any goroutine. Run (once) keeps them until its context
// ends, calling the Handler from its own goroutine: Event, Gap, Malformed,
// Status. When Run returns, every goroutine it started has ended; its
// channels are left to expire (the platform has no call to delete one).
//
// The topics are spread over slots of at most TopicsPerChannel (1,000, the
// platform's limit per socket), at most MaxChannels of them (20 per OAuth
// client; one more would evict the oldest). What does not fit is counted
// in Budget.Unplaced and waits for room. Each slot has a keeper goroutine
// that brings its channel up and keeps it:
//
//  1. POST a channel; PUT the full topic list with ignoreErrors=true.
//     Topics answered Rejected are logged once each, naming the missing
//     permissions, dropped from the wanted set and counted in
//     Budget.Rejected. Then connect the socket at connectUri, without an
//     Authorization header.
//     Later changes of a connected channel's topics are PUT at most once
//     a SubscribeEvery (1 s), together: conversations discovered one after
//     another cost one request a period.
//  2. Watch the socket (package socket): a socket silent for QuietAfter is
//     pinged ({"message":"ping"}); unanswered for PongTimeout, it is
//     replaced by a new socket on the same channel.
//  3. socket_closing: a new socket is connected before the old one
//     closes; the old one is read until it ends (or DrainFor). Events read
//     on both are passed on twice, with the same dedup key.
//  4. streaming-subscriptions-expiring, or RenewBefore the channel's
//     expiry: PUT the full list again (the platform gives the channel a
//     new life; if it does not, the expiry ends the socket and step 6
//     replaces the channel, with a gap).
//  5. A socket that ends otherwise: HEAD the channel; if it lives, connect
//     a new socket to it.
//  6. no_longer_subscribed, duplicate_id, 404 on HEAD or on the PUT, 401
//     on the socket: the channel is gone; start again at 1 with a new one.
//
// Failures other than these are retried with backoff (MinBackoff to
// MaxBackoff); refused credentials and requests the platform calls
// malformed or forbidden (400, 403) end Run.
//
// # Invariants
//
//   - Every interval in which an event of a wanted topic may have been
//     missed is reported as a Gap [From, To) naming the topics: no socket
//     read them (From: the last frame the ended socket read), the channel
//     was replaced (From: the message that said so, or the channel's last
//     sign of life), or they were subscribed later than wanted (From: the
//     since given to Subscribe). To is one millisecond past the moment the
//     topics were read again. A socket_closing handover is seamless (no
//     gap) when the new socket connected within HandoverWithin of the
//     announcement or before the old one ended; the platform keeps the old
//     one open for about a minute, or until the new one takes over.
//   - A Gap that a new socket ends is handed over before any event that
//     socket read.
//   - An event's DedupKey is the content key of {topicName, eventBody}
//     (contentkey.Pair), never of the envelope (version, CorrelationId):
//     the same event read twice, on two sockets, or from EventBridge by the
//     sqs source, has the same key.
//   - Event.Frame is the socket message as read, never re-encoded;
//     EventBody is a window on it.
//   - Control messages (channel.metadata, v2.system.*,
//     streaming-subscriptions-expiring) are never events.
//   - Every time is on the api client's clock: a test shares the Genesys
//     stand-in's manual clock and compresses heartbeats, rate-limit waits
//     and a channel's day of life.
//
// # Files
//
// client.go: Options, New, Subscribe, Status, Stats. complete.go:
// CompleteUntil, what the client has missed nothing before. types.go: Handler
// and what it is given. run.go: Run, the plan of topics over slots, the
// budget. keeper.go: one slot's loop; steps.go: its steps (create,
// subscribe, connect, hand over, replace); sockets.go: the sockets'
// readers and their control messages; gaps.go: open and closed gaps.
package notifications

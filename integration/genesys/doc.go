// Package genesys is an in-repo stand-in for the parts of Genesys Cloud a
// `SOURCE=notifications` client needs: OAuth client credentials, the
// Notifications API (channels, subscriptions and the streaming socket),
// routing queues, and the analytics back-fill APIs (conversation details
// query and details jobs), over one generated org whose conversations are
// seen consistently through all of them. It follows
// shared/reference/genesys-notifications.md and upstream-api.md (part 2);
// the contract tests beside the code quote the lines they hold it to.
//
// It runs three hosts, as a region does: login (POST /oauth/token), api
// (/api/v2/...) and streaming (the sockets a channel's connectUri names).
// Every time it keeps is on an injectable clock (integration/clock), so a
// test compresses heartbeats, socket closes, channel expiry and job delays
// without sleeping.
//
// # What it owns
//
//   - Conversations: inbound calls generated from a seed by the eventbridge
//     generator (the same detail-event bodies as the sqs source), through
//     the org's queues. Each is published as its detail events
//     (v2.detail.events.conversation.{id}.<type>, eventTime epoch ms) and as
//     full-conversation snapshots on v2.routing.queues.{id}.conversations,
//     and queried as analytics conversation details: one call, three views,
//     the same participant, session ids and times.
//   - The ledger: every conversation, every notification published and the
//     channels it reached or missed; Coverage checks what a consumer kept.
//   - Faults: 429 with Retry-After and inin-ratelimit-* headers, other
//     failures, socket_closing, dropped sockets, no_longer_subscribed, rows
//     repeating across query pages, failed jobs; as Go methods or through
//     the admin API under /admin/ on the API host.
//
// # Where the reference is silent, and what the stand-in does
//
//   - A subscription PUT or POST gives the channel a new full life (the
//     reference leaves "whether expires moves after a PUT" open; without it
//     "resubscribe to keep a channel past 24 h" could not work).
//     streaming-subscriptions-expiring ({"expiring":60}) comes
//     ExpiringWarning before expiry; at expiry the socket closes with 1001
//     and the channel is gone: HEAD 404, a new socket 401.
//   - A socket to a channel that does not exist (any more) is refused with
//     401 before the upgrade ("an auth failure after an earlier successful
//     connect means the channel expired").
//   - A second socket kicks the first with 1001; an evicted channel's socket
//     is closed with 1001; a planned close (socket_closing) is 1001
//     ClosingGrace later.
//   - v2.system messages use the notification envelope with a
//     SystemMessageSystemMessage body; channel.metadata frames are exactly
//     the reference's.
//   - Subscriptions: without ignoreErrors any rejected topic fails the whole
//     request (403 when a permission is missing, 400 for an unknown topic)
//     and nothing changes; with ignoreErrors=true the answer is 200 listing
//     each topic Permitted or Rejected, even when all are rejected.
//     Combined topics (prefix?a&b) count their parts toward the 1,000.
//   - Details query: "end the interval a minute before now" is the
//     reference's advice to clients; the stand-in enforces it (400) unless
//     Options.AcceptRecentIntervals, so a client that forgets fails loudly.
//     conversationEnd is the end of after-call work: once a detail has it,
//     every detail event of the conversation has happened.
//   - Details jobs see conversations as they were at dataAvailabilityDate
//     (now minus DataLakeLag) when submitted.
//   - GET /api/v2/notifications/availabletopics lists the topics the
//     stand-in serves, as templates with {id}, each on transport All
//     (whether the real platform offers the detail topics over the
//     WebSocket is open: that answer is what a client should read).
//
// # Files
//
//   - options.go: Options, defaults, validation. server.go: lifecycle,
//     hosts, request tracking. routes.go: the routes of each host.
//   - oauth.go: tokens. channels.go, topics.go, subscriptions.go,
//     availabletopics.go: the Notifications REST API. socket.go: one socket's reader and writer.
//     messages.go: what a socket carries.
//   - schedule.go, pump.go: the timed actions and the goroutine that runs
//     them. world.go: conversations and publication. snapshots.go,
//     details.go: the queue-topic and analytics views of a call.
//   - queues.go; interval.go, filters.go, query.go: the details query;
//     detailsget.go: details by id; jobs.go. faults.go, admin.go,
//     ledger.go.
//
// # Invariants
//
//   - One goroutine, the pump, does everything timed, in time order, under
//     Server.mu: after a clock jump a socket gets the events due before its
//     channel expired, then the close. Heartbeats missed in a jump coalesce
//     into one.
//   - Nothing is buffered for a channel without a socket: a notification
//     published then is recorded as Missed for it and never sent.
//   - A socket is attached to its channel before the upgrade completes, so
//     a client that has dialled misses nothing published afterwards.
//   - Each socket's writer writes its queue in order; the reader's pongs go
//     through the same queue, so a pong proves the frames queued before it
//     were sent. A socket whose queue fills is closed with 1013.
//   - Every goroutine has an owner that waits for it; Close returns when all
//     have ended.
package genesys

// Package discovery decides which notification topics the notifications
// source subscribes: its queues' topics, and the detail-event topics of
// the conversations those queues show. Genesys Cloud has no org-wide
// analytics or conversation topic; every topic names an object id, so the
// ids have to be found first (genesys-notifications.md, "Topics: everything
// needs an id").
//
// # Queues
//
// Options.Templates are topic templates: "{id}" is replaced by each queue
// id (v2.routing.queues.{id}.conversations,
// v2.analytics.queues.{id}.observations); a template without {id} is
// subscribed as is. The queues are Options.QueueIDs, or with AllQueues
// every queue GET /api/v2/routing/queues lists (every page), listed again
// every Refresh: the topics of a queue that appears are subscribed from
// the start of the previous listing (the last moment it was known absent,
// so the client reports the interval between as a gap), those of a queue
// that disappears are unsubscribed. Run subscribes the first set from the
// since it is given (a restart's checkpoint).
//
// # Conversations
//
// Seen reads every event. A queue conversation snapshot
// (v2.routing.queues.{id}.conversations and its .calls, .chats, ...
// variants: the whole conversation at one change, no event id) yields a
// Sighting. The first snapshot of a conversation subscribes its detail
// topics v2.detail.events.conversation.{id}.{type}, one per
// Options.DetailTypes, from the conversation's start: its first detail
// events happened before it reached a queue, and the client reports them
// as a gap to back-fill. At most MaxFollowed conversations are followed at
// once (the platform's topic budget); the decision is taken once, at the
// first sighting: a conversation refused then is never followed (counted
// in Stats.NotFollowed, Sighting.Followed false), so its events must be
// fetched another way once it ends.
//
// A conversation is over when the snapshot shows every participant ended
// (endTime, a disconnected or terminated state, or every communication
// disconnected) and every ended participant that must wrap up has done so
// (not wrapupRequired, wrapupSkipped, a wrapup, endAcwTime, after-call
// work complete or skipped, or the participant never connected: an agent
// who never answered has nothing to wrap up). Linger after the snapshot
// that showed it over was read, its detail topics are unsubscribed (late
// events, such as acw, still arrive meanwhile). A snapshot showing it alive
// again before then cancels the drop.
//
// A followed conversation whose end is never seen (its last snapshots
// fell into a gap) would hold its topics for ever: with no snapshot and no
// detail event for StaleAfter, it is dropped as stale (Stats.Stale). A
// dropped conversation's id is remembered for Remember, so that a late
// snapshot of it is not taken for a new conversation.
//
// # Concurrency
//
// Seen is called from one goroutine (the source's Handler); Run from
// another; Stats from any. They share one mutex, under which the
// Subscriber is called, so that it sees subscriptions and unsubscriptions
// in the order they were decided. Run starts no goroutine: it waits on
// the API client's clock for the next refresh or the next drop due, and
// Seen wakes it when a drop falls due earlier.
//
// # Files
//
// options.go: Options, defaults, validation, New. topics.go: template
// expansion and topic names. snapshot.go: what a snapshot body says
// (start, over). follow.go: Seen and the conversations. queues.go: the
// queue listing and refresh. run.go: Run. stats.go: Stats.
package discovery

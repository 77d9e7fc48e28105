// Package sim is a scriptable stand-in for the upstream analytics WebSocket
// server described in shared/reference/upstream-api.md.
//
// It owns everything on the far side of the bridge's socket: the event
// generator (seeded, so a run can be reproduced), the retained event log that
// `?since=` replays are served from, the OAuth client-credentials token
// endpoint, and a set of faults (clean closes, TCP resets, half-open stalls,
// refused upgrades, expired tokens, planned socket closes) that integration
// tests, the demo and users trigger either through Go methods or through the
// HTTP admin API under /admin.
//
// The server keeps a ledger of every event it ever emitted, in emission order,
// with the exact bytes first sent. Tests compare what the bridge wrote to
// Kafka with that ledger: exactly once means every ledger entry appears once.
//
// # Files
//
//   - config.go: Config, its defaults and validation.
//   - server.go: Server lifecycle, HTTP routing, the listener wrapper that
//     lets faults reach the raw TCP connection.
//   - events.go: the event model and its two serialisations.
//   - generator.go: the generator goroutine, the ledger, the retained log and
//     fan-out to subscribers.
//   - stream.go: the upgrade handler (refusals, auth, since validation).
//   - session.go: one upgraded connection: a reader and a writer goroutine.
//   - faults.go: the fault methods.
//   - oauth.go: tokens and the /oauth/token endpoint.
//   - admin.go: the /admin HTTP API.
//
// # Invariants
//
//   - Replay and live never overlap or leave a gap: the since snapshot is
//     taken and the subscriber registered under the same lock the generator
//     holds while it appends to the log and fans out.
//   - No unbounded buffering: each connection has a bounded outbound queue;
//     when it is full the connection is closed with 1013 (try again later).
//   - Every goroutine has an owner that waits for it; Close returns only when
//     all of them have finished.
package sim

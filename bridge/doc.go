// Package bridge is the core: it streams a source's events into Kafka, each
// exactly once, across reconnects, crashes, restarts and ambiguous writes.
// It knows nothing of how a source connects or resumes (package source is
// the contract; main wires a source in) and writes through the Kafka write
// path of bridge/sink.
//
// Where things live: the lifecycle, turns at producing and epochs after
// failures (bridge.go, epoch.go); the two commit modes behind one interface
// (commit.go: fenced.go with transactions, and who streams then,
// fenced_turn.go; leased.go without); arrival order and the acknowledged
// prefix (tracker.go), what that prefix means for the checkpoint, the dedup
// window and the source's acknowledgements (progress.go); records built
// from what the source hands over (writer.go); the dedup window
// (window.go) and its rebuild from the outputs' tails (rebuild.go);
// health, metrics and freshness (health.go, metrics.go, freshness.go).
//
// How the guarantee is kept:
//
//   - Nothing is acknowledged upstream until Kafka holds it, so "delivered"
//     is decided here: with transactions, a record counts once the
//     transaction holding it commits, and that transaction also holds the
//     checkpoint covering it; without, once Kafka acknowledged it with
//     acks=all.
//   - The checkpoint covers only the longest acknowledged prefix of arrival
//     order; the source turns that progress into its resume position
//     (Stream.Position), so a restart from it loses nothing.
//   - What a source sends again (a replay, a redelivery) is recognised by
//     its dedup key: in memory, or from a read_committed scan of the event
//     and dead-letter topics' tails that opens every epoch. Keys are kept
//     until the source's Horizon passes them.
//   - A batch whose answer is lost is resent with the same producer id,
//     epoch and sequence, so the broker appends it once. When no definite
//     answer comes, the epoch ends; the next one starts with a new producer
//     epoch, which (with transactions) aborts whatever of the old one landed.
//   - With transactions every epoch's InitProducerID fences all other
//     instances of the bridge name: a frozen or partitioned instance cannot
//     commit after another took over.
//
// Goroutines: Run owns everything. Per epoch it starts the producer (one
// goroutine per topic-partition, bridge/sink), one committer or checkpoint
// writer, and one failure watcher, and waits for them before the epoch ends.
// The source's Stream.Run runs on the epoch's own goroutine; a source owns
// and waits for any goroutine of its own.
package bridge

// Package bridge owns the pipeline from the upstream analytics WebSocket to
// Kafka: connecting (upstream.go, token.go, backoff.go) and deciding what
// follows a connection (reconnect.go, carried out by stream.go), decoding
// frames without re-encoding events (event.go), building records
// (records.go), recognising replayed events (dedup.go, tail.go), writing
// idempotent or transactional batches with known offsets (producer.go,
// transaction.go, on the protocol in bridge/txn), deciding what was
// delivered (tracker.go) and checkpointing it (checkpointing.go), choosing
// which instance streams (standby.go, or the lease in package checkpoint),
// and tying it together in epochs (epoch.go) under one lifecycle
// (bridge.go).
//
// Delivery guarantee: every event the upstream emits becomes exactly one
// record in KAFKA_TOPIC, across reconnects, token expiries, crashes and
// ambiguous writes, provided events arrive at most EVENT_LATENESS late and
// the upstream still retains the checkpoint's time. How:
//
//   - Nothing is acknowledged upstream, so "delivered" is decided here: with
//     transactions, a record counts once the transaction holding it
//     commits, and that transaction also holds the checkpoint covering it;
//     without, once Kafka acknowledged it with acks=all.
//   - The checkpoint (package checkpoint) advances only to the end of the
//     longest acknowledged prefix of arrival order, and resumes
//     EVENT_LATENESS before it, so a replay from it loses nothing.
//   - A replay resends events already written; their dedup keys are known
//     (in memory, or from a read_committed scan of the output topic's tail
//     that opens every epoch), and they are dropped.
//   - A batch whose answer is lost is resent with the same producer id,
//     epoch and sequence, so the broker appends it once. When no definite
//     answer comes, the epoch ends; the next one starts with a new producer
//     epoch, which (with transactions) aborts whatever of the old one landed.
//   - With transactions every epoch's InitProducerID fences all other
//     instances of the bridge name: a frozen or partitioned instance cannot
//     commit after another took over.
//
// Goroutines: Run owns everything. Per epoch it starts one producer
// goroutine per topic-partition and one committer (or, without
// transactions, one checkpoint writer), and waits for them before the
// epoch ends; per upstream connection, one pinger, waited for when the
// connection closes. The caller's goroutine reads frames.
package bridge

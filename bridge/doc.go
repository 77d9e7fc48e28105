// Package bridge owns the pipeline from the upstream analytics WebSocket to
// Kafka: connecting and reconnecting (upstream.go, token.go, backoff.go),
// decoding frames without re-encoding events (event.go), writing records
// with known offsets (producer.go), deciding what was delivered
// (tracker.go, tail.go) and tying it together with the checkpoint and the
// lease (bridge.go).
//
// Delivery guarantee: every event the upstream emits becomes exactly one
// record in KAFKA_TOPIC, across reconnects, token expiries, crashes and
// ambiguous writes, provided events arrive at most EVENT_LATENESS late and
// the upstream still retains the checkpoint's time. How:
//
//   - Nothing is acknowledged upstream, so "delivered" is decided here: a
//     record counts once Kafka acknowledged it with acks=all.
//   - The checkpoint (package checkpoint) advances only to the end of the
//     longest acknowledged prefix of arrival order, and resumes
//     EVENT_LATENESS before it, so a replay from it loses nothing.
//   - A replay resends events already written; their dedup keys are known
//     (in memory, or from a scan of the output topic's tail that opens every
//     epoch), and they are dropped.
//   - A produce request whose answer is lost may or may not have been
//     written. The bridge never retries it blindly: it ends the epoch,
//     rescans the tail from the checkpoint, and resumes the upstream.
//
// Goroutines: Run owns everything. Per epoch it starts one producer
// goroutine per topic-partition and one checkpoint writer, and waits for
// them before the epoch ends; per upstream connection, one pinger, waited
// for when the connection closes. The caller's goroutine reads frames.
package bridge

// Package txn owns Kafka's idempotent and transactional producer protocol,
// built on kafka-go's low-level requests (kafka-go has no such producer):
// the producer identity (InitProducerID), record batches that carry the
// identity and a sequence number (Encoder, encodeBatch), the transaction
// control requests (AddPartitionsToTxn, EndTxn) with their retries, and one
// table that classifies every error the broker can answer (Classify).
//
// Invariants (each prevents a duplicate or a lost event):
//   - A batch's sequence numbers advance only on a definite success; after
//     an ambiguous failure the same bytes are sent again, so the broker
//     appends them at most once.
//   - InitProducerID always sends producer id and epoch -1: kafka-go's
//     zero values read as an existing, fenced producer on Kafka 4.x.
//   - A fenced producer (another instance initialised the same
//     transactional id) never writes again: every later request fails.
//
// What a caller must do: one goroutine per partition owns that partition's
// sequence; at most one request per partition is in flight (the broker's
// duplicate window is five batches).
package txn

// Package checkpoint owns the bridge's durable resume position and the
// exclusive right to advance it.
//
// A Position lives in a compacted Kafka topic as one record per bridge name
// (the record key). It holds the upstream time to resume from (Since) and, per
// partition of the output topic, the offset from which every record this
// bridge wrote with an event time at or after Since can be found (ScanFrom).
// Together they let a restarted bridge replay the upstream from Since and
// drop what it already delivered, by scanning only the output topic's tail.
//
// Every read of a log here (ReadPartition: the checkpoint, the bridge's tail
// scan) sees what a read_committed consumer sees: records of aborted
// transactions never count.
//
// A Lease (a Kafka consumer group with a single assignable token) makes sure
// only one bridge per name produces at a time when transactions are off;
// see lease.go for its limits. With transactions, producer fencing does it.
//
// Invariants:
//   - A Position is written only after every record it covers has been
//     acknowledged by Kafka (Save is the last step, never the first), or in
//     the same transaction as those records (Record).
//   - Decode never guesses: an unreadable or newer-versioned record is an
//     error (ErrCorrupt, ErrVersion), never a silent restart from "now".
package checkpoint

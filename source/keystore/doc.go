// Package keystore is the compact, time-bounded set of dedup keys behind the
// dedup window: it answers "was this content seen within the window?" for
// millions of keys in a fixed amount of memory.
//
// A Key is 128 bits: the first 16 bytes of the SHA-256 of an event's content
// (for the sqs source, detail.topicName + detail.eventBody; never the
// EventBridge id). Each key is stored with the Unix second it was added at
// (uint32, good until 2106) in one flat open-addressing table (Robin Hood
// linear probing with backward-shift deletion), allocated once for the
// configured capacity: 20 bytes a slot, at most 90% of the slots used, so
// 22.2 bytes a key at capacity. No pointers: the garbage collector never
// scans it, and nothing is allocated after New.
//
// Memory: a 1 h window at 1,000 events/s is 3.6M keys. The capacity must
// also hold the keys added between two prunes (Capacity computes it): with
// a prune every 10 s it is 3,611,000 keys, 4,012,223 slots, 80.2 MB
// (76.5 MiB) taken at New, whatever the fill. Measured with
// integration/cmd/keystore-rss (75 simulated minutes at that rate) under
// /usr/bin/time -v: 22.22 bytes per key, maximum resident set of the whole
// process 81,004 kB (79.1 MiB), below the 96 MiB bound. BenchmarkWindow
// reports bytes/key at the steady state, and about 2.7 µs per event (key
// derivation, Seen, Add, amortized prune) on the 2-core CI machine.
//
// False matches. Two distinct contents share a key only if their SHA-256
// values agree on 128 bits. SHA-256 behaving as a random function, a new
// event falsely matches one of n = 3.6M keys in the window with probability
// at most n / 2^128 ≈ 1.1e-32; over a year at 1,000 events/s (3.2e10 events,
// each checked against at most 3.6M keys) at most 3.3e-22; and the chance
// that any two of the 3.6M keys in one window collide (birthday bound
// n^2 / 2^129) is about 1.9e-26. A false match would lose an event; at these
// odds it is negligible next to hardware faults. (64-bit keys would not be:
// about 0.6% a year at that rate.)
//
// Past capacity Add returns ErrFull and stores nothing: the caller must
// decide, visibly, what to do (prune, shorten the window, raise the cap);
// the store never evicts a key that is still inside the window on its own.
//
// A Store is not safe for concurrent use; its owner serializes calls.
package keystore

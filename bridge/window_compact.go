package bridge

import (
	"crypto/sha256"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/analytics-bridge/analytics-bridge/source/keystore"
)

// compactPruneEvery is how far the cutoff must move before a prune walks
// the table again: a walk reads all of it (about 10 ms for 3.6M keys), and
// the tracker asks at every commit. DEDUP_MAX_KEYS must hold the keys added
// meanwhile (keystore.Capacity).
const compactPruneEvery = 5 * time.Second

// compactWindow is the bounded keyWindow: the first 128 bits of each key's
// SHA-256, kept by whole seconds, in a table allocated once at start (see
// package keystore for the bytes per key and the odds of a false match).
//
// Full, it forgets its oldest keys early rather than refusing a record:
// stopping would halt delivery for good, while an early-forgotten key costs
// a duplicate only if its message comes back after all. Each time, the
// evictions are counted and logged, naming how far back the window now
// reaches.
type compactWindow struct {
	store    *keystore.Store
	pruned   time.Time // the cutoff of the last walk
	evicted  prometheus.Counter
	log      zerolog.Logger
	warnedAt time.Time
}

// DedupWindowBytes is the memory the bounded dedup window of maxKeys keys
// takes at start (0: unbounded, not taken up front), to add to the heap's
// soft limit.
func DedupWindowBytes(maxKeys int) int64 {
	if maxKeys <= 0 {
		return 0
	}
	return int64(keystore.BytesFor(maxKeys))
}

func newCompactWindow(maxKeys int, evicted prometheus.Counter, log zerolog.Logger) (*compactWindow, error) {
	s, err := keystore.New(maxKeys)
	if err != nil {
		return nil, err
	}
	return &compactWindow{store: s, evicted: evicted, log: log}, nil
}

// reset empties the window for a new epoch's scan, keeping its memory.
func (w *compactWindow) reset() {
	w.store.Reset()
	w.pruned = time.Time{}
}

func hashKey(key string) keystore.Key { return keystore.FromSHA256(sha256.Sum256([]byte(key))) }

func (w *compactWindow) seen(key string) bool { return w.store.Seen(hashKey(key)) }

func (w *compactWindow) add(key string, kept time.Time) {
	k := hashKey(key)
	for w.store.Add(k, kept) == keystore.ErrFull {
		w.evictOldest(kept)
	}
}

// evictOldest forgets the oldest twentieth of the span the window holds
// (at least its oldest second), to make room for a key kept by now.
func (w *compactWindow) evictOldest(now time.Time) {
	oldest, ok := w.store.Oldest()
	if !ok {
		return // unreachable: a full store holds keys
	}
	cutoff := oldest.Add(max(time.Second, now.Sub(oldest)/20))
	n := w.store.Prune(cutoff)
	w.evicted.Add(float64(n))
	if now.Sub(w.warnedAt) >= time.Minute {
		w.warnedAt = now
		w.log.Warn().Int("max_keys", w.store.Cap()).Int("evicted", n).Time("window_starts", cutoff).
			Dur("window_spans", now.Sub(cutoff)).
			Msg("dedup window full (DEDUP_MAX_KEYS): the oldest keys were forgotten early, and a message redelivered from before window_starts would be written again; raise DEDUP_MAX_KEYS (22.3 bytes a key) or shorten DEDUP_WINDOW")
	}
}

func (w *compactWindow) remove(key string) { w.store.Remove(hashKey(key)) }

func (w *compactWindow) len() int { return w.store.Len() }

func (w *compactWindow) prune(cutoff time.Time) {
	if cutoff.Sub(w.pruned) < compactPruneEvery {
		return
	}
	w.pruned = cutoff
	w.store.Prune(cutoff)
}

package bridge

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"
)

func TestCompactWindow(t *testing.T) {
	base := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	evicted := prometheus.NewCounter(prometheus.CounterOpts{Name: "evicted"})
	w, err := newCompactWindow(1000, evicted, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	w.add("a", base)
	w.add("b", base.Add(10*time.Second))
	if !w.seen("a") || !w.seen("b") || w.seen("c") {
		t.Fatalf("seen a %v b %v c %v, want true true false", w.seen("a"), w.seen("b"), w.seen("c"))
	}
	w.remove("a")
	if w.seen("a") || w.len() != 1 {
		t.Fatalf("after remove: seen a %v, len %d", w.seen("a"), w.len())
	}
	w.add("a", base)
	w.prune(base.Add(time.Second))
	if w.seen("a") {
		t.Fatal("a kept past a prune beyond its time")
	}
	// A cutoff that moved less than compactPruneEvery does not walk the
	// table again; one that moved farther does.
	w.add("c", base.Add(2*time.Second))
	w.prune(base.Add(3 * time.Second))
	if !w.seen("c") {
		t.Fatal("a prune within compactPruneEvery of the last one walked the table")
	}
	w.prune(base.Add(compactPruneEvery + 2*time.Second))
	if w.seen("c") {
		t.Fatal("c kept past a prune beyond its time")
	}
	w.reset()
	if w.len() != 0 || w.seen("b") {
		t.Fatalf("after reset: len %d, seen b %v", w.len(), w.seen("b"))
	}
}

// Full, the window forgets its oldest keys and counts them; it never
// refuses a key, and never forgets a recent one.
func TestCompactWindowFullEvictsTheOldest(t *testing.T) {
	base := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	evicted := prometheus.NewCounter(prometheus.CounterOpts{Name: "evicted"})
	w, err := newCompactWindow(1000, evicted, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	key := func(i int) string { return fmt.Sprintf("key-%d", i) }
	for i := range 1000 { // 10 keys a second for 100 s: full
		w.add(key(i), base.Add(time.Duration(i/10)*time.Second))
	}
	if n := testutil.ToFloat64(evicted); n != 0 {
		t.Fatalf("%v evicted before the window was full", n)
	}
	w.add("newest", base.Add(100*time.Second))
	if !w.seen("newest") {
		t.Fatal("the key that overflowed the window was not kept")
	}
	n := testutil.ToFloat64(evicted)
	if n < 10 || n > 100 {
		t.Fatalf("evicted %v keys, want the oldest few seconds' (10..100)", n)
	}
	if w.seen(key(0)) {
		t.Error("the oldest key survived the eviction")
	}
	for i := 900; i < 1000; i++ {
		if !w.seen(key(i)) {
			t.Fatalf("recent key %d evicted", i)
		}
	}
}

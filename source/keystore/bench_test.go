package keystore

import (
	"testing"
	"time"
)

// BenchmarkWindow runs the store as the dedup window does at steady state:
// 1 h window, 1,000 events/s, so 3.6M keys held. Each op is one event (key
// derivation, Seen, Add); every 1,000 ops the clock moves a second, and every
// 10 s the window is pruned, so the capacity has 10 s of slack. It reports
// the table's bytes per held key.
func BenchmarkWindow(b *testing.B) {
	const rate, window, pruneEvery = 1000, time.Hour, 10
	keys := int(window/time.Second) * rate
	s, err := New(Capacity(window, pruneEvery*time.Second, rate))
	if err != nil {
		b.Fatal(err)
	}
	now := t0
	var next uint64
	for range keys {
		// the hour before now, oldest second first
		if err := s.Add(key(next), now.Add(-window-time.Second).Add(time.Duration(next/rate)*time.Second)); err != nil {
			b.Fatal(err)
		}
		next++
	}
	s.Prune(now.Add(-window)) // makes room for the current second
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		k := key(next)
		next++
		if s.Seen(k) {
			b.Fatal("false match")
		}
		if err := s.Add(k, now); err != nil {
			b.Fatalf("Add after %d ops: %v", i, err)
		}
		if next%rate == 0 {
			now = now.Add(time.Second)
			if now.Unix()%pruneEvery == 0 {
				s.Prune(now.Add(-window))
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(s.Bytes())/float64(s.Len()), "bytes/key")
	b.ReportMetric(float64(s.Len()), "keys")
}

// BenchmarkSeenHit is a lookup of a held key in a store at capacity.
func BenchmarkSeenHit(b *testing.B) {
	const n = 3_600_000
	s, _ := New(n)
	ks := make([]Key, 1<<16)
	for i := range n {
		k := key(uint64(i))
		_ = s.Add(k, t0)
		if i < len(ks) {
			ks[i] = k
		}
	}
	b.ResetTimer()
	for i := range b.N {
		if !s.Seen(ks[i&(len(ks)-1)]) {
			b.Fatal("miss")
		}
	}
}

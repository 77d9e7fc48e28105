package keystore

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

func key(i uint64) Key {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], i)
	return Sum(b[:])
}

func TestAddSeenPrune(t *testing.T) {
	s, err := New(100)
	if err != nil {
		t.Fatal(err)
	}
	a, b, c := key(1), key(2), key(3)
	steps := []struct {
		name string
		do   func() error
		seen map[Key]bool
		len  int
	}{
		{"empty", func() error { return nil }, map[Key]bool{a: false}, 0},
		{"add a", func() error { return s.Add(a, t0) }, map[Key]bool{a: true, b: false}, 1},
		{"add a again", func() error { return s.Add(a, t0) }, map[Key]bool{a: true}, 1},
		{"add b later", func() error { return s.Add(b, t0.Add(10*time.Second)) }, map[Key]bool{a: true, b: true}, 2},
		{"prune before b", func() error { s.Prune(t0.Add(5 * time.Second)); return nil }, map[Key]bool{a: false, b: true}, 1},
		{"b refreshed keeps the later time", func() error { return s.Add(b, t0) }, map[Key]bool{b: true}, 1},
		{"prune at b's second keeps it", func() error { s.Prune(t0.Add(10 * time.Second)); return nil }, map[Key]bool{b: true}, 1},
		{"add c", func() error { return s.Add(c, t0.Add(20*time.Second)) }, map[Key]bool{b: true, c: true}, 2},
		{"prune after all", func() error { s.Prune(t0.Add(time.Hour)); return nil }, map[Key]bool{a: false, b: false, c: false}, 0},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		for k, want := range st.seen {
			if s.Seen(k) != want {
				t.Fatalf("%s: Seen(%x) = %v, want %v", st.name, k[:4], !want, want)
			}
		}
		if s.Len() != st.len {
			t.Fatalf("%s: Len %d, want %d", st.name, s.Len(), st.len)
		}
	}
}

func TestFull(t *testing.T) {
	s, _ := New(3)
	for i := range 3 {
		if err := s.Add(key(uint64(i)), t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if !s.Full() {
		t.Fatal("not Full at capacity")
	}
	if err := s.Add(key(9), t0); !errors.Is(err, ErrFull) {
		t.Fatalf("Add past capacity: %v, want ErrFull", err)
	}
	if s.Seen(key(9)) || s.Len() != 3 {
		t.Fatal("a refused key was stored")
	}
	if err := s.Add(key(0), t0.Add(time.Minute)); err != nil {
		t.Fatalf("refreshing a stored key when full: %v", err)
	}
	if n := s.Prune(t0.Add(2 * time.Second)); n != 1 { // key(1) only: key(0) was refreshed
		t.Fatalf("Prune removed %d, want 1", n)
	}
	if err := s.Add(key(9), t0); err != nil {
		t.Fatalf("Add after Prune: %v", err)
	}
}

func TestNewRefusesZero(t *testing.T) {
	if _, err := New(0); err == nil {
		t.Fatal("New(0) succeeded")
	}
}

// A random mix of adds and prunes agrees with a map, including with keys
// crowded onto a few home slots so that clusters are long and wrap around
// the end of the table.
func TestAgainstMap(t *testing.T) {
	for _, crowded := range []bool{false, true} {
		rng := rand.New(rand.NewPCG(1, 2))
		const capacity = 500
		s, _ := New(capacity)
		model := map[Key]uint32{}
		var universe []Key
		for i := range 2000 {
			k := key(uint64(i))
			if crowded {
				// first 8 bytes near 0 or near 2^64: homes 0, 1 and n-1
				v := uint64(rng.IntN(3)) << 55
				if rng.IntN(2) == 0 {
					v = ^v
				}
				binary.LittleEndian.PutUint64(k[:8], v)
			}
			universe = append(universe, k)
		}
		now := uint32(1000)
		for op := range 20000 {
			switch r := rng.IntN(100); {
			case r < 2:
				cut := now - uint32(rng.IntN(50))
				removed := s.Prune(time.Unix(int64(cut), 0))
				want := 0
				for k, at := range model {
					if at < cut {
						delete(model, k)
						want++
					}
				}
				if removed != want {
					t.Fatalf("crowded=%v op %d: Prune removed %d, want %d", crowded, op, removed, want)
				}
			default:
				k := universe[rng.IntN(len(universe))]
				at := now - uint32(rng.IntN(20))
				err := s.Add(k, time.Unix(int64(at), 0))
				old, had := model[k]
				switch {
				case had:
					model[k] = max(old, at)
				case len(model) >= capacity:
					if !errors.Is(err, ErrFull) {
						t.Fatalf("crowded=%v op %d: Add to a full store: %v", crowded, op, err)
					}
					continue
				default:
					model[k] = at
				}
				if err != nil {
					t.Fatalf("crowded=%v op %d: Add: %v", crowded, op, err)
				}
			}
			if rng.IntN(10) == 0 {
				now++
			}
			if op%500 == 0 || op == 19999 {
				for _, k := range universe {
					_, want := model[k]
					if s.Seen(k) != want {
						t.Fatalf("crowded=%v op %d: Seen = %v, model says %v", crowded, op, !want, want)
					}
				}
				if s.Len() != len(model) {
					t.Fatalf("crowded=%v op %d: Len %d, model %d", crowded, op, s.Len(), len(model))
				}
			}
		}
	}
}

// The memory claim of the package doc: 20-byte slots, about 22.2 bytes per
// key of capacity, 80 MB for an hour at 1,000 events/s.
func TestBytesPerKey(t *testing.T) {
	if SlotBytes != 20 {
		t.Fatalf("slot is %d bytes, want 20", SlotBytes)
	}
	s, _ := New(3_600_000)
	if perKey := float64(s.Bytes()) / float64(s.Cap()); perKey > 22.3 {
		t.Fatalf("%.2f bytes per key of capacity, want at most 22.3", perKey)
	}
	if s.Bytes() > 80_000_100 {
		t.Fatalf("3.6M keys take %d bytes, want about 80 MB", s.Bytes())
	}
}

// A Key is the first 128 bits of SHA-256: the false-match odds in the
// package doc hold for that length only.
func TestSumIsSHA256Prefix(t *testing.T) {
	k := Sum([]byte("abc"))
	if got := hex.EncodeToString(k[:]); got != "ba7816bf8f01cfea414140de5dae2223" {
		t.Fatalf("Sum(abc) = %s, want the first 16 bytes of SHA-256(abc)", got)
	}
}

// A store of Capacity keys, pruned every pruneEvery while perSecond keys a
// second arrive, never refuses one; one second less of capacity does.
func TestCapacityIsEnough(t *testing.T) {
	const perSecond, window, every = 50, 120 * time.Second, 10 * time.Second
	run := func(capacity int) error {
		s, _ := New(capacity)
		var n uint64
		for sec := range 600 {
			now := t0.Add(time.Duration(sec) * time.Second)
			if sec%int(every/time.Second) == 0 {
				s.Prune(now.Add(-window))
			}
			for range perSecond {
				n++
				if err := s.Add(key(n), now); err != nil {
					return err
				}
			}
		}
		return nil
	}
	c := Capacity(window, every, perSecond)
	if err := run(c); err != nil {
		t.Fatalf("Capacity %d: %v", c, err)
	}
	if err := run(c - 2*perSecond); !errors.Is(err, ErrFull) {
		t.Fatalf("two seconds less than Capacity: %v, want ErrFull (Capacity is not tight)", err)
	}
}

func TestRemoveResetOldest(t *testing.T) {
	s, _ := New(1000)
	if _, ok := s.Oldest(); ok {
		t.Fatal("Oldest of an empty store: ok")
	}
	for i := range 500 {
		if err := s.Add(key(uint64(i)), t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	// Removing every other key must leave the rest findable: a wrong
	// backward shift loses keys behind the removed one.
	for i := 0; i < 500; i += 2 {
		s.Remove(key(uint64(i)))
	}
	s.Remove(key(10_000)) // absent: nothing happens
	if s.Len() != 250 {
		t.Fatalf("Len %d after removing 250 of 500, want 250", s.Len())
	}
	for i := range 500 {
		if got, want := s.Seen(key(uint64(i))), i%2 == 1; got != want {
			t.Fatalf("Seen(key %d) = %v, want %v", i, got, want)
		}
	}
	if got, ok := s.Oldest(); !ok || !got.Equal(t0.Add(time.Second)) {
		t.Fatalf("Oldest = %v %v, want %v", got, ok, t0.Add(time.Second))
	}
	s.Reset()
	if s.Len() != 0 || s.Seen(key(1)) {
		t.Fatalf("after Reset: Len %d, Seen(key 1) %v", s.Len(), s.Seen(key(1)))
	}
	if err := s.Add(key(1), t0); err != nil || !s.Seen(key(1)) {
		t.Fatalf("Add after Reset: %v", err)
	}
}

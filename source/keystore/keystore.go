package keystore

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"time"
	"unsafe"
)

// Key is a 128-bit content key.
type Key [16]byte

// Sum returns the Key of content: its SHA-256, cut to 128 bits.
func Sum(content []byte) Key { return FromSHA256(sha256.Sum256(content)) }

// FromSHA256 cuts a SHA-256 sum to a Key.
func FromSHA256(sum [32]byte) Key { return Key(sum[:16]) }

// ErrFull is returned by Add when the store holds its capacity of keys.
var ErrFull = errors.New("keystore: full")

// maxLoad bounds the share of used slots; Robin Hood probing keeps probe
// sequences short up to about there.
const maxLoad = 0.9

// slot is one table entry; at == 0 marks it empty.
type slot struct {
	key Key
	at  uint32 // Unix seconds, at least 1
}

// SlotBytes is the size of one table slot.
const SlotBytes = int(unsafe.Sizeof(slot{}))

// Store is a fixed-capacity set of keys with the time each was added.
type Store struct {
	slots []slot
	n     uint64 // len(slots)
	len   int
	cap   int
}

// BytesFor is the memory New(maxKeys) takes.
func BytesFor(maxKeys int) int { return int(slotsFor(maxKeys)) * SlotBytes }

func slotsFor(maxKeys int) uint64 { return uint64(float64(maxKeys)/maxLoad) + 1 }

// New returns a store for up to maxKeys keys. Its memory, Bytes(), is taken
// at once: about 22.2 bytes per key of capacity.
func New(maxKeys int) (*Store, error) {
	if maxKeys < 1 {
		return nil, fmt.Errorf("keystore: capacity %d: must be at least 1", maxKeys)
	}
	n := slotsFor(maxKeys)
	return &Store{slots: make([]slot, n), n: n, cap: maxKeys}, nil
}

// Len returns how many keys the store holds.
func (s *Store) Len() int { return s.len }

// Cap returns how many keys the store can hold.
func (s *Store) Cap() int { return s.cap }

// Full reports whether Add of a new key would fail.
func (s *Store) Full() bool { return s.len >= s.cap }

// Bytes returns the memory the table takes.
func (s *Store) Bytes() int { return len(s.slots) * SlotBytes }

// home is the slot a key hashes to. The key is a hash already: its first 8
// bytes, mapped onto [0, n) by a multiply (n is not a power of two).
func (s *Store) home(k *Key) uint64 {
	hi, _ := bits.Mul64(binary.LittleEndian.Uint64(k[:8]), s.n)
	return hi
}

// dist is how far slot i is from home h, going forward around the table.
func (s *Store) dist(i, h uint64) uint64 {
	if i >= h {
		return i - h
	}
	return i + s.n - h
}

func (s *Store) next(i uint64) uint64 {
	if i++; i == s.n {
		return 0
	}
	return i
}

func stamp(t time.Time) uint32 {
	u := t.Unix()
	switch {
	case u < 1:
		return 1
	case u > 1<<32-1:
		return 1<<32 - 1
	}
	return uint32(u)
}

// find returns the slot holding k, or -1.
func (s *Store) find(k *Key) int64 {
	i := s.home(k)
	for d := uint64(0); ; d++ {
		e := &s.slots[i]
		if e.at == 0 {
			return -1
		}
		if e.key == *k {
			return int64(i)
		}
		// Robin Hood invariant: k would sit no farther from its home than
		// an entry it passes, so a closer-to-home entry ends the search.
		if s.dist(i, s.home(&e.key)) < d {
			return -1
		}
		i = s.next(i)
	}
}

// Seen reports whether k is in the store.
func (s *Store) Seen(k Key) bool { return s.find(&k) >= 0 }

// Add records k as seen at t (whole seconds). A key already there keeps the
// later of its two times. A new key in a full store is refused with ErrFull.
func (s *Store) Add(k Key, t time.Time) error {
	at := stamp(t)
	if i := s.find(&k); i >= 0 {
		s.slots[i].at = max(s.slots[i].at, at)
		return nil
	}
	if s.len >= s.cap {
		return ErrFull
	}
	cur := slot{key: k, at: at}
	i := s.home(&cur.key)
	for d := uint64(0); ; d++ {
		e := &s.slots[i]
		if e.at == 0 {
			*e = cur
			s.len++
			return nil
		}
		if ed := s.dist(i, s.home(&e.key)); ed < d {
			// take the slot from the entry closer to its home; carry it on
			cur, *e = *e, cur
			d = ed
		}
		i = s.next(i)
	}
}

// Remove forgets k, if the store holds it.
func (s *Store) Remove(k Key) {
	if i := s.find(&k); i >= 0 {
		s.deleteAt(uint64(i))
		s.len--
	}
}

// Reset empties the store, keeping its memory.
func (s *Store) Reset() {
	clear(s.slots)
	s.len = 0
}

// Oldest returns the earliest time a held key was added at (whole seconds),
// and false when the store is empty. It walks the whole table.
func (s *Store) Oldest() (time.Time, bool) {
	var oldest uint32
	for i := range s.slots {
		if at := s.slots[i].at; at != 0 && (oldest == 0 || at < oldest) {
			oldest = at
		}
	}
	if oldest == 0 {
		return time.Time{}, false
	}
	return time.Unix(int64(oldest), 0).UTC(), true
}

// Prune removes the keys added before before (compared in whole seconds)
// and returns how many it removed. It walks the whole table: call it once
// per window step (every few seconds), not per event.
func (s *Store) Prune(before time.Time) int {
	limit := stamp(before)
	// Start just past an empty slot (there is one: load < 1), so that no
	// cluster wraps past where the walk began.
	start := uint64(0)
	for s.slots[start].at != 0 {
		start = s.next(start)
	}
	removed := 0
	i := s.next(start)
	for steps := uint64(1); steps < s.n; {
		e := &s.slots[i]
		if e.at != 0 && e.at < limit {
			s.deleteAt(i)
			removed++
			continue // an entry from farther on may have moved into i
		}
		i = s.next(i)
		steps++
	}
	s.len -= removed
	return removed
}

// deleteAt empties slot i, shifting the rest of its cluster back by one
// until an empty slot or an entry already at its home.
func (s *Store) deleteAt(i uint64) {
	for {
		j := s.next(i)
		e := &s.slots[j]
		if e.at == 0 || s.dist(j, s.home(&e.key)) == 0 {
			s.slots[i] = slot{}
			return
		}
		s.slots[i] = *e
		i = j
	}
}

// Capacity is the number of keys a store needs for a window at a peak rate
// of perSecond keys when Prune runs every pruneEvery: the window plus what
// arrives between two prunes (plus the window's closing second, which Prune
// keeps). Past it, Add reports ErrFull.
func Capacity(window, pruneEvery time.Duration, perSecond int) int {
	secs := (window + pruneEvery + time.Second + time.Second - 1) / time.Second
	return int(secs) * perSecond
}

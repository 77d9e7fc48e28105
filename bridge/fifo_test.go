package bridge

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestFifoKeepsOrder drives a fifo and a plain slice with the same random
// pushes, pops and drops, and compares them after every step.
func TestFifoKeepsOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var q fifo[int]
	var want []int
	next := 0
	for step := range 20000 {
		switch op := rng.IntN(10); {
		case op < 6:
			q.push(next)
			want = append(want, next)
			next++
		case op < 9 && len(want) > 0:
			n := rng.IntN(len(want) + 1)
			q.pop(n)
			want = want[n:]
		case len(want) > 0:
			q.dropLast()
			want = want[:len(want)-1]
		}
		if q.len() != len(want) {
			t.Fatalf("step %d: len %d, want %d", step, q.len(), len(want))
		}
		got := make([]int, q.len())
		for i := range got {
			got[i] = *q.at(i)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("step %d: %v, want %v", step, got, want)
		}
	}
}

// TestFifoReusesItsArray checks the point of fifo: a steady flow through a
// queue that stays short does not grow the backing array past twice its
// length (a plain slice popped from the front reallocates all along).
func TestFifoReusesItsArray(t *testing.T) {
	var q fifo[int]
	for i := range 64 {
		q.push(i)
	}
	grown := 0
	for i := range 100000 {
		before := cap(q.buf)
		q.push(i)
		q.pop(1)
		if cap(q.buf) != before {
			grown++
		}
	}
	if grown > 1 || cap(q.buf) > 2*64 || q.len() != 64 {
		t.Errorf("a steady flow through a 64-entry queue reallocated %d times, capacity %d (len %d)", grown, cap(q.buf), q.len())
	}
	// Popped entries are cleared, so that they keep nothing alive.
	var p fifo[*int]
	v := 1
	p.push(&v)
	p.push(&v)
	p.pop(1)
	if p.buf[0] != nil {
		t.Error("a popped entry still holds its pointer")
	}
}

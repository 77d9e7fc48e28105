package sqs

import (
	"sync"
	"time"
)

// held is the ledger of the messages an epoch received and has not
// deleted: each one's receipt handle (the latest receive's: every receive
// issues a new one) and when it becomes visible again unless extended.
// Receivers add to it, the core's Acker calls move messages to the delete
// queue, the extender and Close read it. A mutex guards it: Committed is
// called from the core's commit goroutine.
type held struct {
	mu      sync.Mutex
	next    uint64
	msgs    map[uint64]*heldMessage
	deletes []pendingDelete
	wake    chan struct{} // a delete was queued
}

type heldMessage struct {
	handle    string
	visibleAt time.Time
}

type pendingDelete struct {
	id       uint64
	handle   string
	attempts int
}

func newHeld() *held {
	return &held{msgs: map[uint64]*heldMessage{}, wake: make(chan struct{}, 1)}
}

// hold records a received message; its id is the event's AckID.
func (h *held) hold(handle string, visibleAt time.Time) uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.next++
	h.msgs[h.next] = &heldMessage{handle: handle, visibleAt: visibleAt}
	return h.next
}

// Committed is the core's Acker: the message's record is in Kafka for
// good, so the message can be deleted.
func (h *held) Committed(id uint64) {
	h.mu.Lock()
	m, ok := h.msgs[id]
	if ok {
		delete(h.msgs, id)
		h.deletes = append(h.deletes, pendingDelete{id: id, handle: m.handle})
	}
	h.mu.Unlock()
	if ok {
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}
}

// takeDeletes removes up to n queued deletes.
func (h *held) takeDeletes(n int) []pendingDelete {
	h.mu.Lock()
	defer h.mu.Unlock()
	n = min(n, len(h.deletes))
	batch := append([]pendingDelete(nil), h.deletes[:n]...)
	h.deletes = append(h.deletes[:0], h.deletes[n:]...)
	return batch
}

// retryDeletes queues deletes again (their batch entry failed, and may
// succeed later).
func (h *held) retryDeletes(ds []pendingDelete) {
	h.mu.Lock()
	h.deletes = append(h.deletes, ds...)
	h.mu.Unlock()
}

func (h *held) pendingDeletes() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.deletes)
}

// visibilityChange is a held message whose visibility is to change.
type visibilityChange struct {
	id     uint64
	handle string
}

// due returns the held messages that become visible before by.
func (h *held) due(by time.Time) []visibilityChange {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []visibilityChange
	for id, m := range h.msgs {
		if m.visibleAt.Before(by) {
			out = append(out, visibilityChange{id, m.handle})
		}
	}
	return out
}

// extended records the new visibility of messages still held.
func (h *held) extended(ids []uint64, visibleAt time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range ids {
		if m, ok := h.msgs[id]; ok {
			m.visibleAt = visibleAt
		}
	}
}

// forget drops messages that can no longer be extended (their handle is
// stale, or they were deleted): they come back, and the core drops them.
func (h *held) forget(ids []uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, id := range ids {
		delete(h.msgs, id)
	}
}

// release empties the ledger: the messages never committed.
func (h *held) release() []visibilityChange {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]visibilityChange, 0, len(h.msgs))
	for id, m := range h.msgs {
		out = append(out, visibilityChange{id, m.handle})
	}
	clear(h.msgs)
	return out
}

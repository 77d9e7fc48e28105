package sqstest

import (
	"net/http"
	"strings"
	"sync"
)

// holds keeps the requests of chosen operations waiting at the stand-in's
// door until released: a DeleteMessageBatch that has not reached SQS yet
// while the message comes back, say. The stand-in's own faults act on a
// request once it is in; a hold decides when it gets in.
type holds struct {
	mu      sync.Mutex
	gates   map[string]chan struct{} // by operation: closed to let requests in
	waiting map[string]int           // requests of each operation held now
}

func newHolds() *holds {
	return &holds{gates: map[string]chan struct{}{}, waiting: map[string]int{}}
}

// Hold makes requests of op ("DeleteMessageBatch", ...) wait until release
// is called (or the queue stops); release may be called more than once.
func (q *Queue) Hold(op string) (release func()) {
	h := q.holds
	h.mu.Lock()
	defer h.mu.Unlock()
	gate, ok := h.gates[op]
	if !ok {
		gate = make(chan struct{})
		h.gates[op] = gate
	}
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.gates[op] == gate {
			delete(h.gates, op)
			close(gate)
		}
	}
}

// Waiting returns how many requests of op are held now.
func (q *Queue) Waiting(op string) int {
	q.holds.mu.Lock()
	defer q.holds.mu.Unlock()
	return q.holds.waiting[op]
}

// releaseAll lets every held request in, for the server's shutdown.
func (h *holds) releaseAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for op, gate := range h.gates {
		close(gate)
		delete(h.gates, op)
	}
}

// wrap holds next's requests whose operation is held.
func (h *holds) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op, _ := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
		h.mu.Lock()
		gate, held := h.gates[op]
		if held {
			h.waiting[op]++
		}
		h.mu.Unlock()
		if held {
			select {
			case <-gate:
			case <-r.Context().Done():
			}
			h.mu.Lock()
			h.waiting[op]--
			h.mu.Unlock()
			if r.Context().Err() != nil {
				return // the client gave up: the request never reached SQS
			}
		}
		next.ServeHTTP(w, r)
	})
}

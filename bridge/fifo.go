package bridge

// fifo is a first-in first-out queue that reuses its backing array.
//
// A plain slice popped from the front (s = s[n:]) and appended at the end
// never reuses the space it popped: under a steady flow every append past
// the end reallocates and copies the whole pending part. The tracker's items
// and the dedup window's arrivals are such queues, one entry per event, so
// that churn cost more CPU than the bookkeeping itself. fifo moves the
// pending entries back to the front instead, once they fill the array and
// at least half of it is popped space: each entry is copied at most once
// per time it survives such a compaction, which keeps push amortised O(1).
//
// The backing array keeps the capacity of the longest the queue has been;
// its users are bounded (KAFKA_MAX_IN_FLIGHT items, the dedup window).
type fifo[T any] struct {
	buf  []T
	head int // buf[:head] is popped
}

func (q *fifo[T]) len() int { return len(q.buf) - q.head }

// at returns the i-th pending entry (0 is the oldest).
func (q *fifo[T]) at(i int) *T { return &q.buf[q.head+i] }

func (q *fifo[T]) push(v T) {
	if len(q.buf) == cap(q.buf) && q.head > 0 && q.head >= len(q.buf)/2 {
		n := copy(q.buf, q.buf[q.head:])
		clear(q.buf[n:]) // let popped entries' pointers go
		q.buf, q.head = q.buf[:n], 0
	}
	q.buf = append(q.buf, v)
}

// pop drops the n oldest entries.
func (q *fifo[T]) pop(n int) {
	clear(q.buf[q.head : q.head+n])
	q.head += n
	if q.head == len(q.buf) {
		q.buf, q.head = q.buf[:0], 0
	}
}

// dropLast drops the newest entry.
func (q *fifo[T]) dropLast() {
	last := len(q.buf) - 1
	var zero T
	q.buf[last] = zero
	q.buf = q.buf[:last]
	if q.head == len(q.buf) {
		q.buf, q.head = q.buf[:0], 0
	}
}

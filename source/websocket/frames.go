package websocket

import (
	"sync"
	"sync/atomic"
)

// framePool recycles the buffers upstream frames are read into.
//
// A frame's bytes are the values of its records (never re-encoded, never
// copied until a batch is encoded), so a buffer can be read into again
// only once every record that is a window on it has been encoded. Each
// frameBuf counts its readers for that. Allocating a buffer per frame
// instead was half the bridge's allocated bytes under a backlog, zeroed
// once more before each read.
//
// A buffer whose count never reaches zero (its records were dropped when
// an epoch failed, or never encoded) is simply left to the garbage
// collector: a missed release costs an allocation, never a corrupted
// record.
type framePool struct{ pool sync.Pool }

// frameBuf is one frame's bytes and the count of what still reads them:
// the frame's writer while it decodes the frame, and each record whose
// value is a window on it, until the record is encoded.
type frameBuf struct {
	b    []byte
	refs atomic.Int32
	pool *framePool
}

// get returns a buffer of at least size bytes of capacity, held once (by
// the caller). A pooled buffer far larger than size is left to the
// garbage collector rather than pinned by a small frame.
func (p *framePool) get(size int) *frameBuf {
	if fb, ok := p.pool.Get().(*frameBuf); ok && cap(fb.b) >= size && cap(fb.b) <= 2*size+64<<10 {
		fb.b = fb.b[:0]
		fb.refs.Store(1)
		return fb
	}
	fb := &frameBuf{b: make([]byte, 0, size), pool: p}
	fb.refs.Store(1)
	return fb
}

// Hold counts one more reader of the buffer.
func (fb *frameBuf) Hold() { fb.refs.Add(1) }

// Release ends one reader's hold; the last one returns the buffer to its
// pool.
func (fb *frameBuf) Release() {
	switch n := fb.refs.Add(-1); {
	case n == 0:
		if fb.pool != nil {
			fb.pool.pool.Put(fb)
		}
	case n < 0:
		panic("websocket: frame buffer released more often than held")
	}
}

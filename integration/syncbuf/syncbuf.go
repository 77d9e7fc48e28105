// Package syncbuf gives tests a buffer that concurrent writers and a
// reader may share: a log sink, or a command's output polled while the
// command runs.
package syncbuf

import (
	"bytes"
	"sync"
)

// Buffer is a bytes.Buffer safe for concurrent use. The zero value is
// empty and ready.
type Buffer struct {
	// OnWrite, when set, sees every write, in order, before it is kept.
	OnWrite func(string)

	mu  sync.Mutex
	buf bytes.Buffer
}

// Write keeps p; it never fails.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.OnWrite != nil {
		b.OnWrite(string(p))
	}
	return b.buf.Write(p)
}

// String is everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

package websocket

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// TestFrameBuffersOutliveTheirRecords writes frames read into pooled
// buffers while nothing encodes their records, then encodes them (copies
// each value, then releases its buffer, as the producer does). Each record's value
// must still be its bytes of its frame: a buffer read into again while a
// record was a window on it would show up as another frame's bytes. Once
// encoded, the records let their buffers go back to the pool.
func TestFrameBuffersOutliveTheirRecords(t *testing.T) {
	r := newRig(100000)
	fw := r.frameWriter(t.Context())
	var pool framePool
	var want [][]byte // the values, in the order they are handed over
	const frames = 50
	for i := range frames {
		frame := fmt.Sprintf(`[{"id":"%d-a","timestamp":%d,"pad":"%s"},7,{"id":"%d-b","timestamp":%d}]`, i, 1000+i, bytes.Repeat([]byte{byte('a' + i%26)}, 100), i, 2000+i)
		fb := pool.get(len(frame))
		fb.b = append(fb.b, frame...)
		if err := fw.writeBuffer(fb); err != nil {
			t.Fatal(err)
		}
		want = append(want, []byte(frame[1:strings.Index(frame, ",7,")]), []byte("7"), []byte(frame[strings.Index(frame, ",7,")+3:len(frame)-1]))
		// Frames that were sent and released keep being read into: a
		// buffer from the pool is overwritten with other bytes at once.
		scribble := pool.get(len(frame))
		scribble.b = append(scribble.b, bytes.Repeat([]byte{'X'}, len(frame))...)
		scribble.Release()
	}
	r.mu.Lock()
	recs := r.recs
	r.mu.Unlock()
	if len(recs) != len(want) {
		t.Fatalf("%d records handed over, want %d", len(recs), len(want))
	}
	for i, rec := range r.encode() {
		if !bytes.Equal(rec.value, want[i]) {
			t.Fatalf("record %d is %q, want %q: its frame buffer was read into again while the record was a window on it", i, rec.value, want[i])
		}
	}
	// Every hold is released: the buffers go back to the pool and are
	// read into again (the race detector's pool drops some at random).
	if !raceEnabled {
		fb := pool.get(10)
		defer fb.Release()
		if cap(fb.b) < 100 {
			t.Errorf("a released frame buffer did not go back to the pool (got a new buffer of %d bytes)", cap(fb.b))
		}
	}
}

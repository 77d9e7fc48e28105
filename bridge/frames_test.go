package bridge

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// TestFrameBuffersOutliveTheirRecords writes frames read into pooled
// buffers while nothing encodes their records, then encodes them (copies
// each value, then releases it, as the producer does). Each record's value
// must still be its bytes of its frame: a buffer read into again while a
// record was a window on it would show up as another frame's bytes. Once
// encoded, the records let their buffers go back to the pool.
func TestFrameBuffersOutliveTheirRecords(t *testing.T) {
	r := newFrameRig(100000)
	fw := r.b.newFrameWriter(t.Context(), r.w)
	var pool framePool
	var want [][]byte // the values, in the order they are queued per topic
	var wantDLQ [][]byte
	const frames = 50
	for i := range frames {
		frame := fmt.Sprintf(`[{"id":"%d-a","timestamp":%d,"pad":"%s"},7,{"id":"%d-b","timestamp":%d}]`, i, 1000+i, bytes.Repeat([]byte{byte('a' + i%26)}, 100), i, 2000+i)
		fb := pool.get(len(frame))
		fb.b = append(fb.b, frame...)
		if err := fw.writeBuffer(fb); err != nil {
			t.Fatal(err)
		}
		want = append(want, []byte(frame[1:strings.Index(frame, ",7,")]), []byte(frame[strings.Index(frame, ",7,")+3:len(frame)-1]))
		wantDLQ = append(wantDLQ, []byte("7"))
		// Frames that were sent and released keep being read into: a
		// buffer from the pool is overwritten with other bytes at once.
		scribble := pool.get(len(frame))
		scribble.b = append(scribble.b, bytes.Repeat([]byte{'X'}, len(frame))...)
		scribble.release()
	}
	for _, c := range []struct {
		name string
		q    chan *outRecord
		want [][]byte
	}{{"events", r.out, want}, {"dead letters", r.dlq, wantDLQ}} {
		if len(c.q) != len(c.want) {
			t.Fatalf("%s: %d records queued, want %d", c.name, len(c.q), len(c.want))
		}
		for i := range c.want {
			rec := <-c.q
			encoded := bytes.Clone(rec.value) // what the encoder copies
			rec.releaseValue()
			if !bytes.Equal(encoded, c.want[i]) {
				t.Fatalf("%s: record %d is %q, want %q: its frame buffer was read into again while the record was a window on it", c.name, i, encoded, c.want[i])
			}
			if rec.value != nil || rec.frame != nil {
				t.Fatalf("%s: record %d still holds its value after being encoded", c.name, i)
			}
		}
	}
	// Every hold is released: the buffers go back to the pool and are
	// read into again (the race detector's pool drops some at random).
	if !raceEnabled {
		fb := pool.get(10)
		defer fb.release()
		if cap(fb.b) < 100 {
			t.Errorf("a released frame buffer did not go back to the pool (got a new buffer of %d bytes)", cap(fb.b))
		}
	}
}

package txn

import (
	"encoding/binary"
	"math/bits"
)

// The encoding of one record inside a v2 batch.

// recordLen is the size of a record after its length field.
func recordLen(r *Record, timeDelta, offsetDelta int64) int {
	n := 1 + // attributes
		varintLen(timeDelta) + varintLen(offsetDelta) +
		nullBytesLen(r.Key) + nullBytesLen(r.Value) +
		varintLen(int64(len(r.Headers)))
	for i := range r.Headers {
		h := &r.Headers[i]
		n += varintLen(int64(len(h.Key))) + len(h.Key) + nullBytesLen(h.Value)
	}
	return n
}

func appendRecord(b []byte, r *Record, timeDelta, offsetDelta int64) []byte {
	b = binary.AppendVarint(b, int64(recordLen(r, timeDelta, offsetDelta)))
	b = append(b, 0) // attributes: none are defined for records
	b = binary.AppendVarint(b, timeDelta)
	b = binary.AppendVarint(b, offsetDelta)
	b = appendNullBytes(b, r.Key)
	b = appendNullBytes(b, r.Value)
	b = binary.AppendVarint(b, int64(len(r.Headers)))
	for i := range r.Headers {
		h := &r.Headers[i]
		b = binary.AppendVarint(b, int64(len(h.Key)))
		b = append(b, h.Key...)
		b = appendNullBytes(b, h.Value)
	}
	return b
}

// appendNullBytes writes v as a varint length and the bytes, nil as -1.
func appendNullBytes(b, v []byte) []byte {
	if v == nil {
		return binary.AppendVarint(b, -1)
	}
	return append(binary.AppendVarint(b, int64(len(v))), v...)
}

func nullBytesLen(v []byte) int {
	if v == nil {
		return 1 // the varint -1
	}
	return varintLen(int64(len(v))) + len(v)
}

// varintLen is the size of v as a zig-zag varint (binary.AppendVarint).
func varintLen(v int64) int {
	u := uint64(v<<1) ^ uint64(v>>63)
	return (bits.Len64(u|1) + 6) / 7
}

// appendWriter is an io.Writer that appends to b, for the compressors.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

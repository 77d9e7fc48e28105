package txn

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"testing"
	"time"

	"github.com/pierrec/lz4/v4"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
)

// TestEncodeBatchLz4 decodes what encodeBatch wrote with kafka-go's own
// reader, for every codec: the same records, the producer fields, a valid
// CRC, and for lz4 64 KiB blocks.
func TestEncodeBatchLz4(t *testing.T) {
	value := func(i int) []byte { return bytes.Repeat([]byte(fmt.Sprintf(`{"id":"e-%d","n":%d}`, i, i)), 20) } // > 64 KiB in all
	const n = 400
	for _, codec := range []kafka.Compression{0, kafka.Gzip, kafka.Snappy, kafka.Lz4, kafka.Zstd} {
		t.Run(fmt.Sprint(codec), func(t *testing.T) {
			rs := make([]kafka.Record, n)
			for i := range rs {
				rs[i] = kafka.Record{Time: time.UnixMilli(int64(1e12 + i)), Key: protocol.NewBytes([]byte(fmt.Sprint(i))), Value: protocol.NewBytes(value(i)),
					Headers: []kafka.Header{{Key: "h", Value: []byte("v")}}}
			}
			b, err := encodeBatch(rs, codec, Identity{ID: 42, Epoch: 3}, 7, true)
			if err != nil {
				t.Fatal(err)
			}
			if got := binary.BigEndian.Uint32(b[offCRC:]); got != crc32.Checksum(b[offAttributes:], castagnoli) {
				t.Fatal("bad CRC")
			}
			if int(binary.BigEndian.Uint32(b)) != len(b)-4 || int(binary.BigEndian.Uint32(b[offBatchLength:])) != len(b)-offBatchLength-4 {
				t.Fatal("bad sizes")
			}
			if codec == kafka.Lz4 {
				// The lz4 frame descriptor as the Java producer writes it:
				// FLG version 1, independent blocks, no block or content
				// checksum, no content size; BD block size 64 KiB (4).
				if flg := b[headerEnd+4]; flg != 0x60 {
					t.Errorf("lz4 FLG byte %#x, want 0x60", flg)
				}
				if bd := b[headerEnd+5]; (bd>>4)&7 != 4 {
					t.Errorf("lz4 block size code %d, want 4 (64 KiB)", (bd>>4)&7)
				}
				if _, err := io.ReadAll(lz4.NewReader(bytes.NewReader(b[headerEnd:]))); err != nil {
					t.Fatalf("the records are not one lz4 frame: %v", err)
				}
			}
			var got protocol.RecordSet
			if _, err := got.ReadFrom(bytes.NewReader(b)); err != nil {
				t.Fatalf("kafka-go cannot read the batch: %v", err)
			}
			if binary.BigEndian.Uint64(b[offProducerID:]) != 42 || binary.BigEndian.Uint16(b[offEpoch:]) != 3 || binary.BigEndian.Uint32(b[offBaseSeq:]) != 7 ||
				!got.Attributes.Transactional() || kafka.Compression(got.Attributes.Compression()) != codec {
				t.Errorf("header: attrs %#x", uint16(got.Attributes))
			}
			read := 0
			for {
				r, err := got.Records.ReadRecord()
				if err != nil {
					break
				}
				if !bytes.Equal(mustRead(t, r.Value), value(read)) || string(mustRead(t, r.Key)) != fmt.Sprint(read) {
					t.Fatalf("record %d differs", read)
				}
				read++
			}
			if read != n {
				t.Fatalf("read %d records, want %d", read, n)
			}
		})
	}
}

func mustRead(t *testing.T, b protocol.Bytes) []byte {
	t.Helper()
	if b == nil {
		return nil
	}
	out, err := io.ReadAll(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

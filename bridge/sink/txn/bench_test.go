package txn

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// benchEvent is one record as the bridge writes it during a backlog drain:
// a ~500-byte JSON event keyed by its id, with the bridge's three headers.
type benchEvent struct {
	key, value []byte
	headers    []kafka.Header
	time       time.Time
}

// benchEvents returns n such events, the same on every run. Their values
// vary like real events do, so that lz4 has realistic work.
func benchEvents(n int) []benchEvent {
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
	words := []string{"page_view", "click", "purchase", "signup", "scroll", "search", "add_to_cart", "logout"}
	out := make([]benchEvent, n)
	for i := range out {
		id := fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", rng.Uint32(), rng.Uint32()&0xffff, rng.Uint32()&0xffff, rng.Uint32()&0xffff, rng.Uint64()&0xffffffffffff)
		t := base.Add(time.Duration(i)*time.Millisecond + time.Duration(rng.IntN(1000))*time.Microsecond)
		var v strings.Builder
		fmt.Fprintf(&v, `{"id":%q,"type":%q,"ts":%q,"user":{"id":"u-%d","country":"%c%c","plan":%q},"session":"s-%x",`,
			id, words[rng.IntN(len(words))], t.Format(time.RFC3339Nano), rng.IntN(1e7), 'A'+rng.IntN(26), 'A'+rng.IntN(26),
			[]string{"free", "pro", "team"}[rng.IntN(3)], rng.Uint64())
		fmt.Fprintf(&v, `"page":{"url":"https://shop.example.com/p/%d?ref=%x","title":"Product %d","referrer":"https://search.example.org/?q=%x"},`,
			rng.IntN(1e6), rng.Uint32(), rng.IntN(1e5), rng.Uint64())
		fmt.Fprintf(&v, `"device":{"ua":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.%d.%d Safari/537.36","screen":"%dx%d"},`,
			100+rng.IntN(30), rng.IntN(9999), rng.IntN(999), 800+rng.IntN(2000), 600+rng.IntN(1000))
		fmt.Fprintf(&v, `"props":{"amount":%d.%02d,"currency":"EUR","items":%d,"experiment":"exp-%d","variant":"%c"}}`,
			rng.IntN(1000), rng.IntN(100), rng.IntN(20), rng.IntN(50), 'a'+rng.IntN(4))
		out[i] = benchEvent{
			key:   []byte(id),
			value: []byte(v.String()),
			time:  t,
			headers: []kafka.Header{
				{Key: "bridge-dedup-key", Value: []byte(id)},
				{Key: "bridge-event-time", Value: []byte(t.Format(time.RFC3339Nano))},
				{Key: "bridge-name", Value: []byte("analytics-bridge")},
			},
		}
	}
	return out
}

var benchCodecs = []struct {
	name  string
	codec kafka.Compression
}{{"none", 0}, {"lz4", kafka.Lz4}}

// BenchmarkEncodeBatch encodes a full batch (1000 records of ~500 bytes)
// the way producer.produce does per batch. old: build []kafka.Record with
// kafka.NewBytes per key and value, then kafka-go's RecordSet. new: fill a
// reused []Record, then a reused Encoder.
func BenchmarkEncodeBatch(b *testing.B) {
	events := benchEvents(1000)
	size := 0
	for _, e := range events {
		size += len(e.value)
	}
	for _, c := range benchCodecs {
		codec := c.codec
		b.Run(c.name+"/old", func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				records := make([]kafka.Record, len(events))
				for i, e := range events {
					records[i] = kafka.Record{Time: e.time, Key: kafka.NewBytes(e.key), Value: kafka.NewBytes(e.value), Headers: e.headers}
				}
				if _, err := oracleEncodeBatch(records, codec, Identity{ID: 7, Epoch: 1}, 0, true); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/new", func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			var e Encoder
			records := make([]Record, 0, len(events))
			for b.Loop() {
				records = records[:0]
				for _, ev := range events {
					records = append(records, Record{Time: ev.time, Key: ev.key, Value: ev.value, Headers: ev.headers})
				}
				if _, err := e.Encode(records, codec, Identity{ID: 7, Epoch: 1}, 0, true); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package kafkatest

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pierrec/lz4/v4"
	kafkalz4 "github.com/segmentio/kafka-go/lz4"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// clusters returns the embedded broker, and the real one too when
// KAFKA_BROKERS is set, so that the reader is checked on both.
func clusters(t *testing.T) map[string]*Cluster {
	t.Helper()
	fake, err := StartEmbedded()
	if err != nil {
		t.Fatalf("starting the embedded broker: %v", err)
	}
	t.Cleanup(fake.Close)
	out := map[string]*Cluster{"embedded": {Brokers: fake.ListenAddrs(), Fake: fake, Prefix: prefix(t)}}
	if env := strings.TrimSpace(os.Getenv("KAFKA_BROKERS")); env != "" {
		real := &Cluster{Real: true, Prefix: prefix(t)}
		for _, b := range strings.Split(env, ",") {
			real.Brokers = append(real.Brokers, strings.TrimSpace(b))
		}
		out["real"] = real
	}
	return out
}

// onEachCluster runs test as a subtest on every cluster of clusters.
func onEachCluster(t *testing.T, test func(t *testing.T, c *Cluster)) {
	cs := clusters(t)
	for _, name := range slices.Sorted(maps.Keys(cs)) {
		t.Run(name, func(t *testing.T) { test(t, cs[name]) })
	}
}

func createTopic(ctx context.Context, t *testing.T, cl *kgo.Client, topic string, partitions int32) {
	t.Helper()
	req := kmsg.NewPtrCreateTopicsRequest()
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = topic, partitions, 1
	req.Topics = append(req.Topics, rt)
	req.TimeoutMillis = 30000
	res, err := req.RequestWith(ctx, cl)
	if err == nil {
		err = kerr.ErrorForCode(res.Topics[0].ErrorCode)
	}
	if err != nil {
		t.Fatalf("creating %s: %v", topic, err)
	}
}

// TestReadAllReturnsCommittedRecordsOnly writes one committed and one
// aborted transaction with franz-go's transactional producer and requires
// ReadAll to return exactly the committed records. The partitions end in
// different ways: 0 with an abort marker after aborted records that follow
// committed ones, 1 with a commit marker, 2 with only an aborted
// transaction (nothing to return, yet the read must finish). A transaction
// left open must then not make ReadAll wait, nor show up in it.
func TestReadAllReturnsCommittedRecordsOnly(t *testing.T) {
	onEachCluster(t, func(t *testing.T, c *Cluster) {
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		defer cancel()
		topic := c.Prefix + ".txn"
		producer, err := kgo.NewClient(
			kgo.SeedBrokers(c.Brokers...),
			kgo.TransactionalID(c.Prefix+"-producer"),
			kgo.DefaultProduceTopic(topic),
			kgo.RecordPartitioner(kgo.ManualPartitioner()),
		)
		if err != nil {
			t.Fatal(err)
		}
		defer producer.Close()
		createTopic(ctx, t, producer, topic, 3)

		if recs, err := c.ReadAll(ctx, topic); err != nil || len(recs) != 0 {
			t.Fatalf("ReadAll of the empty topic = %v, %v; want nothing", recs, err)
		}

		txn := func(commit kgo.TransactionEndTry, label string, parts ...int32) []Record {
			t.Helper()
			if err := producer.BeginTransaction(); err != nil {
				t.Fatal(err)
			}
			var written []Record
			for i, p := range parts {
				r := &kgo.Record{
					Partition: p,
					Key:       fmt.Appendf(nil, "%s-key-%d", label, i),
					Value:     fmt.Appendf(nil, "%s-value-%d", label, i),
					Headers:   []kgo.RecordHeader{{Key: "txn", Value: []byte(label)}, {Key: "n", Value: fmt.Append(nil, i)}},
				}
				if err := producer.ProduceSync(ctx, r).FirstErr(); err != nil {
					t.Fatalf("producing in the %s transaction: %v", label, err)
				}
				written = append(written, Record{Partition: int(p), Offset: r.Offset, Key: r.Key, Value: r.Value,
					Headers: map[string]string{"txn": label, "n": fmt.Sprint(i)}})
			}
			if err := producer.EndTransaction(ctx, commit); err != nil {
				t.Fatalf("ending the %s transaction: %v", label, err)
			}
			return written
		}
		committed := txn(kgo.TryCommit, "committed", 0, 1, 0, 1, 1)
		aborted := txn(kgo.TryAbort, "aborted", 0, 2, 0, 2)
		want := slices.SortedFunc(slices.Values(committed), func(a, b Record) int {
			return cmp.Or(cmp.Compare(a.Partition, b.Partition), cmp.Compare(a.Offset, b.Offset))
		})
		for _, r := range aborted {
			t.Logf("aborted: %s[%d] offset %d", topic, r.Partition, r.Offset)
		}

		got, err := c.ReadAll(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("ReadAll returned\n%s\nwant the committed records only:\n%s", show(got), show(want))
		}

		// A transaction left open holds back the last stable offset of
		// its partitions: ReadAll must stop below it, at once.
		if err := producer.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		for _, p := range []int32{1, 2} {
			if err := producer.ProduceSync(ctx, &kgo.Record{Partition: p, Value: []byte("open")}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
		began := time.Now()
		got, err = c.ReadAll(ctx, topic)
		if err != nil {
			t.Fatalf("ReadAll with a transaction open: %v", err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("ReadAll with a transaction open returned\n%s\nwant\n%s", show(got), show(want))
		}
		t.Logf("ReadAll with a transaction open took %s", time.Since(began).Round(time.Millisecond))
		if err := producer.EndTransaction(ctx, kgo.TryAbort); err != nil {
			t.Fatal(err)
		}
	})
}

// TestReadAllMissingTopic: a topic that does not exist reads as empty.
func TestReadAllMissingTopic(t *testing.T) {
	onEachCluster(t, func(t *testing.T, c *Cluster) {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		recs, err := c.ReadAll(ctx, c.Prefix+".missing")
		if err != nil || len(recs) != 0 {
			t.Fatalf("ReadAll of a missing topic = %v, %v; want nothing, no error", recs, err)
		}
	})
}

func show(recs []Record) string {
	var b strings.Builder
	for _, r := range recs {
		fmt.Fprintf(&b, "  [%d]@%d %s=%s %v\n", r.Partition, r.Offset, r.Key, r.Value, r.Headers)
	}
	return b.String()
}

// TestLz4Decompressor checks ReadAll's lz4 decoder against kgo's default
// one on frames written by the bridge's codec (kafka-go's), by kgo, and by
// pierrec/lz4 with every frame option; and that whatever it does not
// decode itself (other codecs, broken or truncated frames) gets the
// default decompressor's answer. The one difference allowed: it does not
// verify lz4's own checksums, so a flipped byte that still decodes is
// caught only by the default decompressor's checksum (in ReadAll, kgo's
// CRC-32C of the batch catches it before either runs).
func TestLz4Decompressor(t *testing.T) {
	text := bytes.Repeat([]byte(`{"id":"e-1","eventBody":{"conversationId":"c-42","n":12345}} `), 5000) // ~300 KB
	noise := make([]byte, 200<<10)
	_, _ = rand.Read(noise) // incompressible: stored as raw blocks
	inputs := map[string][]byte{"empty": {}, "short": []byte("x"), "text": text, "noise": noise, "mixed": append(slices.Clone(noise[:70<<10]), text...)}

	frames := map[string][]byte{}
	for name, in := range inputs {
		var buf bytes.Buffer
		w := kafkalz4.NewCompressionCodec().NewWriter(&buf)
		if _, err := w.Write(in); err != nil || w.Close() != nil {
			t.Fatal(err)
		}
		frames["kafka-go/"+name] = slices.Clone(buf.Bytes())

		comp, err := kgo.DefaultCompressor(kgo.Lz4Compression())
		if err != nil {
			t.Fatal(err)
		}
		out, codec := comp.Compress(new(bytes.Buffer), in)
		if codec == kgo.CodecLz4 {
			frames["kgo/"+name] = slices.Clone(out)
		}

		for _, opts := range [][]lz4.Option{
			{lz4.BlockSizeOption(lz4.Block64Kb)},
			{lz4.BlockSizeOption(lz4.Block256Kb), lz4.BlockChecksumOption(true)},
			{lz4.BlockSizeOption(lz4.Block1Mb), lz4.ChecksumOption(false)},
			{lz4.BlockSizeOption(lz4.Block64Kb), lz4.SizeOption(uint64(len(in))), lz4.BlockChecksumOption(true)},
		} {
			var buf bytes.Buffer
			w := lz4.NewWriter(&buf)
			if err := w.Apply(opts...); err != nil {
				t.Fatal(err)
			}
			if _, err := w.Write(in); err != nil || w.Close() != nil {
				t.Fatal(err)
			}
			frames[fmt.Sprintf("pierrec%v/%s", opts, name)] = slices.Clone(buf.Bytes())
		}
	}

	def := kgo.DefaultDecompressor()
	d := &lz4Decompressor{fallback: def}
	for name, frame := range frames {
		in := inputs[name[strings.LastIndexByte(name, '/')+1:]]
		got, ok := d.lz4Frame(frame)
		if !ok {
			t.Errorf("%s: not decoded by lz4Frame", name)
			continue
		}
		if !bytes.Equal(got, in) {
			t.Errorf("%s: decoded %d bytes, not the %d written", name, len(got), len(in))
		}
		// Damaged frames: the answer is the default decompressor's.
		for _, cut := range []int{1, 5, len(frame) / 2, len(frame) - 1} {
			if cut >= len(frame) {
				continue
			}
			checkSame(t, name+" truncated", d, def, frame[:cut], kgo.CodecLz4)
		}
		checkSame(t, name+" with a trailing byte", d, def, append(slices.Clone(frame), 0), kgo.CodecLz4)
		if len(frame) > 20 {
			bad := slices.Clone(frame)
			bad[len(bad)/2] ^= 0xff
			checkSame(t, name+" with a flipped byte", d, def, bad, kgo.CodecLz4, "checksum")
		}
	}
	gz, _ := kgo.DefaultCompressor(kgo.GzipCompression())
	zipped, _ := gz.Compress(new(bytes.Buffer), text)
	checkSame(t, "gzip", d, def, zipped, kgo.CodecGzip)
	checkSame(t, "none", d, def, text, kgo.CodecNone)
}

// checkSame requires d to answer like want, unless want's error contains
// excused.
func checkSame(t *testing.T, what string, d, want kgo.Decompressor, src []byte, codec kgo.CompressionCodecType, excused ...string) {
	t.Helper()
	got, gotErr := d.Decompress(src, codec)
	exp, expErr := want.Decompress(src, codec)
	if expErr != nil && len(excused) > 0 && strings.Contains(expErr.Error(), excused[0]) {
		return
	}
	if (gotErr == nil) != (expErr == nil) || !bytes.Equal(got, exp) {
		t.Errorf("%s: got %d bytes, error %v; the default decompressor: %d bytes, error %v", what, len(got), gotErr, len(exp), expErr)
	}
}

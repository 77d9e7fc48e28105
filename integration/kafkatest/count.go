package kafkatest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Counter counts the committed records of a topic as a read_committed
// consumer receives them: transaction markers and records of aborted
// transactions never count, so with a transactional writer the count is
// the number of records a consumer would see (end offsets are not: they
// include one marker per partition and transaction). It starts at the
// topic's beginning and follows it until Close; a topic that does not
// exist yet counts 0 until it appears.
type Counter struct {
	cl     *kgo.Client
	n      atomic.Int64
	cancel context.CancelFunc
	wg     sync.WaitGroup // the consuming goroutine

	mu  sync.Mutex // guards err
	err error
}

// CountCommitted starts a Counter of topic.
func (c *Cluster) CountCommitted(topic string) (*Counter, error) {
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(c.Brokers...),
		kgo.ClientID("kafkatest-counter"),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxWait(200 * time.Millisecond),
		kgo.MetadataMinAge(250 * time.Millisecond),
		kgo.WithDecompressor(&lz4Decompressor{fallback: kgo.DefaultDecompressor()}),
	}, c.ReaderOpts...)...)
	if err != nil {
		return nil, fmt.Errorf("counting %s: %w", topic, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	k := &Counter{cl: cl, cancel: cancel}
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			var perr error
			fs.EachError(func(t string, p int32, err error) {
				perr = fmt.Errorf("counting %s[%d]: %w", t, p, err)
			})
			k.n.Add(int64(fs.NumRecords()))
			if ctx.Err() == nil {
				k.mu.Lock()
				k.err = perr // the latest poll's: a recovered fetch clears it
				k.mu.Unlock()
			}
		}
	}()
	return k, nil
}

// Records returns the number of committed records seen so far, and the
// latest poll's fetch error (the count goes on after one).
func (k *Counter) Records() (int64, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.n.Load(), k.err
}

// Close stops the counter and waits for it.
func (k *Counter) Close() {
	k.cancel()
	k.wg.Wait()
	k.cl.Close()
}

package demo

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/analytics-bridge/analytics-bridge/bridge"
	"github.com/analytics-bridge/analytics-bridge/config"
)

// instance is one bridge process: bridge.New plus the goroutine running
// Run, which the instance owns and stop waits for.
type instance struct {
	b      *bridge.Bridge
	reg    *prometheus.Registry // this instance's metrics, read by the monitor
	cancel context.CancelFunc
	done   chan struct{} // closed when Run returned; err is set before
	err    error
}

// startInstance runs a bridge exactly as main does, with its own metrics
// registry. Its lifetime is ended only by stop: the caller's cancellation is
// not inherited, so the demo decides when the bridge flushes.
func startInstance(ctx context.Context, cfg config.Config, log zerolog.Logger) *instance {
	reg := prometheus.NewRegistry()
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	in := &instance{
		b:      bridge.New(bridge.Options{Config: cfg, Logger: log, Registry: reg}),
		reg:    reg,
		cancel: cancel,
		done:   make(chan struct{}),
	}
	go func() {
		defer close(in.done)
		in.err = in.b.Run(runCtx)
	}()
	return in
}

// exited reports whether Run has returned, and its error.
func (in *instance) exited() (bool, error) {
	select {
	case <-in.done:
		return true, in.err
	default:
		return false, nil
	}
}

// errStopTimeout means Run did not return within the bound given to stop.
var errStopTimeout = errors.New("the bridge did not stop in time")

// stop cancels Run (the bridge flushes and writes its final checkpoint) and
// waits up to limit for it to return.
func (in *instance) stop(limit time.Duration) error {
	in.cancel()
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-in.done:
		if in.err != nil {
			return fmt.Errorf("the bridge stopped with an error: %w", in.err)
		}
		return nil
	case <-t.C:
		return fmt.Errorf("%w (waited %s)", errStopTimeout, limit)
	}
}

// counter sums the named counter in a registry (0 when absent).
func counter(g prometheus.Gatherer, name string) float64 {
	mfs, err := g.Gather()
	if err != nil {
		return 0
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

// Counters of the bridge's Prometheus registry that the demo shows.
const (
	metricReceived   = "analytics_bridge_events_received_total"
	metricDuplicates = "analytics_bridge_duplicates_dropped_total"
)

// topicCounter counts the records of a topic from its end offsets, summed
// over partitions: one cheap ListOffsets request per sample. The topic is
// new for every run, so its end offsets are its record count.
type topicCounter struct {
	client *kafka.Client
	topic  string

	mu    sync.Mutex // guards parts
	parts []int      // partition ids, once the topic exists
}

// partitions returns the topic's partitions; none while it does not exist.
func (tc *topicCounter) partitions(ctx context.Context) ([]int, error) {
	tc.mu.Lock()
	parts := tc.parts
	tc.mu.Unlock()
	if parts != nil {
		return parts, nil
	}
	md, err := tc.client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{tc.topic}})
	if err != nil {
		return nil, fmt.Errorf("metadata of %q: %w", tc.topic, err)
	}
	if len(md.Topics) == 0 || errors.Is(md.Topics[0].Error, kafka.UnknownTopicOrPartition) {
		return nil, nil
	}
	if err := md.Topics[0].Error; err != nil {
		return nil, fmt.Errorf("metadata of %q: %w", tc.topic, err)
	}
	for _, p := range md.Topics[0].Partitions {
		parts = append(parts, p.ID)
	}
	if len(parts) > 0 {
		tc.mu.Lock()
		tc.parts = parts
		tc.mu.Unlock()
	}
	return parts, nil
}

// records returns the number of records in the topic now.
func (tc *topicCounter) records(ctx context.Context) (int64, error) {
	parts, err := tc.partitions(ctx)
	if err != nil || len(parts) == 0 {
		return 0, err
	}
	reqs := make([]kafka.OffsetRequest, len(parts))
	for i, p := range parts {
		reqs[i] = kafka.LastOffsetOf(p)
	}
	res, err := tc.client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{tc.topic: reqs}})
	if err != nil {
		return 0, fmt.Errorf("end offsets of %q: %w", tc.topic, err)
	}
	offsets := res.Topics[tc.topic]
	if len(offsets) != len(parts) {
		return 0, fmt.Errorf("end offsets of %q: %d of %d partitions answered", tc.topic, len(offsets), len(parts))
	}
	var sum int64
	for _, po := range offsets {
		if po.Error != nil {
			return 0, fmt.Errorf("end offset of %s[%d]: %w", tc.topic, po.Partition, po.Error)
		}
		sum += po.LastOffset
	}
	return sum, nil
}

package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/rs/zerolog"

	"github.com/analytics-bridge/analytics-bridge/bridge"
	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/source"
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

// sourceFunc builds a bridge's source, as sources.New does for main.
type sourceFunc func(cfg config.Config, log zerolog.Logger, reg prometheus.Registerer) (source.Source, error)

// startInstance runs a bridge exactly as main does (its source built by
// newSource), with its own metrics registry. Its lifetime is ended only by
// stop: the caller's cancellation is not inherited, so the demo decides
// when the bridge flushes.
func startInstance(ctx context.Context, cfg config.Config, log zerolog.Logger, newSource sourceFunc) (*instance, error) {
	reg := prometheus.NewRegistry()
	src, err := newSource(cfg, log, reg)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	b, err := bridge.New(bridge.Options{Config: cfg, Source: src, Logger: log, Registry: reg})
	if err != nil {
		cancel()
		return nil, err
	}
	in := &instance{
		b:      b,
		reg:    reg,
		cancel: cancel,
		done:   make(chan struct{}),
	}
	go func() {
		defer close(in.done)
		in.err = in.b.Run(runCtx)
	}()
	return in, nil
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
func counter(g prometheus.Gatherer, name string) float64 { return metric(g, name) }

// metric sums the named counter or gauge in a registry over its series
// whose labels hold every name, value pair of labels (0 when absent).
func metric(g prometheus.Gatherer, name string, labels ...string) float64 {
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
			if hasLabels(m.GetLabel(), labels) {
				sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
	}
	return sum
}

// hasLabels reports whether the pairs hold each name, value of labels.
func hasLabels(pairs []*dto.LabelPair, labels []string) bool {
	for i := 0; i+1 < len(labels); i += 2 {
		found := false
		for _, p := range pairs {
			found = found || (p.GetName() == labels[i] && p.GetValue() == labels[i+1])
		}
		if !found {
			return false
		}
	}
	return true
}

// Counters of the bridge's Prometheus registry that the demo shows.
const (
	metricReceived   = "analytics_bridge_events_received_total"
	metricDuplicates = "analytics_bridge_duplicates_dropped_total"
	metricAcked      = "analytics_bridge_records_acked_total"
)

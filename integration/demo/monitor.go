package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge/retry"
)

// sample is one measurement of the pipeline.
type sample struct {
	at       time.Time
	emitted  int64
	received int64
	kafka    int64
	kafkaOK  bool
}

func (s *stage) sample(p player) sample {
	m := sample{at: time.Now(), emitted: p.emitted(), received: s.bridgeCounters(metricReceived)}
	n, err := s.topic.Records()
	m.kafka, m.kafkaOK = n, err == nil
	return m
}

// monitor shows progress and runs p's tick until ctx ends.
func (s *stage) monitor(ctx context.Context, p player) {
	const tick = 250 * time.Millisecond
	period := tick
	if !s.opts.Terminal {
		period = min(max(s.opts.Duration/10, time.Second), 10*time.Second)
	}
	window := max(time.Second, period) // rates are averaged over this
	hist := []sample{s.sample(p)}
	last := time.Now()
	for retry.Sleep(ctx, tick) == nil {
		p.tick()
		if s.opts.Quiet || time.Since(last) < period-tick/2 {
			continue
		}
		last = time.Now()
		m := s.sample(p)
		if ctx.Err() != nil {
			return
		}
		hist = append(hist, m)
		for len(hist) > 2 && m.at.Sub(hist[1].at) >= window {
			hist = hist[1:]
		}
		line := status(hist[0], m)
		if w, ok := p.(progressWorder); ok {
			line = w.progress(hist[0], m)
		}
		s.out.progress(line + p.statusTail())
	}
}

// progressWorder is a player whose upstream has no count to set the
// records in Kafka against: it words the progress line's start itself.
type progressWorder interface {
	progress(base, s sample) string
}

// status is the progress line's counts and rates since base.
func status(base, s sample) string {
	return flow(base, s) + fmt.Sprintf(" of %d emitted", s.emitted)
}

// flow is what the bridge received and what Kafka holds, with their rates
// since base.
func flow(base, s sample) string {
	dt := s.at.Sub(base.at).Seconds()
	rate := func(a, b int64) string {
		if dt <= 0 {
			return "-"
		}
		return fmt.Sprintf("%.0f/s", float64(b-a)/dt)
	}
	kafkaPart := "in Kafka ?"
	if s.kafkaOK {
		kafkaPart = fmt.Sprintf("in Kafka %d (%s)", s.kafka, rate(base.kafka, s.kafka))
	}
	return fmt.Sprintf("received %d (%s) · %s", s.received, rate(base.received, s.received), kafkaPart)
}

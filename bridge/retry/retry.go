// Package retry owns waiting between attempts: jittered exponential backoff
// and a sleep that ends with its context. Every retry loop of the bridge,
// its sources and its Kafka floor waits through it.
package retry

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff yields exponentially growing, jittered delays: the first retry is
// fast (min), each further one doubles up to max, and every delay is drawn
// uniformly from its upper half so that a fleet of bridges does not
// reconnect in lockstep after an upstream restart. It is not safe for
// concurrent use.
type Backoff struct {
	min, max time.Duration
	attempt  int
	rng      *rand.Rand
}

// NewBackoff returns a Backoff from min to max; seed makes its jitter
// reproducible.
func NewBackoff(min, max time.Duration, seed uint64) *Backoff {
	return &Backoff{min: min, max: max, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Next returns the delay before the next attempt.
func (b *Backoff) Next() time.Duration {
	d := b.min
	for i := 0; i < b.attempt && d < b.max; i++ {
		d *= 2
	}
	d = min(d, b.max)
	b.attempt++
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + time.Duration(b.rng.Int64N(int64(d-half)+1))
}

// Reset starts over after a success.
func (b *Backoff) Reset() { b.attempt = 0 }

// Sleep waits for d, or until ctx ends: then it returns ctx's cause. A d of
// zero or less returns at once, with ctx's cause (nil while ctx lives).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return context.Cause(ctx)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

package bridge

import (
	"math/rand/v2"
	"time"
)

// backoff yields exponentially growing, jittered delays: the first retry is
// fast (min), each further one doubles up to max, and every delay is drawn
// uniformly from its upper half so that a fleet of bridges does not
// reconnect in lockstep after an upstream restart.
type backoff struct {
	min, max time.Duration
	attempt  int
	rng      *rand.Rand
}

func newBackoff(min, max time.Duration, seed uint64) *backoff {
	return &backoff{min: min, max: max, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// next returns the delay before the next attempt.
func (b *backoff) next() time.Duration {
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

// reset starts over after a success.
func (b *backoff) reset() { b.attempt = 0 }

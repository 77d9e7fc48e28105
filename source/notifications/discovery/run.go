package discovery

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge/retry"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/api"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/clock"
)

// Backoff between failed first listings of the queues.
const (
	minListingBackoff = time.Second
	maxListingBackoff = time.Minute
)

// Run subscribes the queue topics from since (a restart's checkpoint; zero:
// no gap), lists the queues again every Refresh (AllQueues), and drops the
// conversations whose Linger (or StaleAfter) has passed, until ctx ends:
// then it returns nil. It returns an error when the queues cannot be had
// at all: the first listing refused (credentials, permissions: 400, 401,
// 403, 404) or a topic the Subscriber refuses. A later listing that fails
// is logged and counted, and the queues stay as they were. Run starts no
// goroutine and may be called once.
func (d *Discovery) Run(ctx context.Context, since time.Time) error {
	if !d.started.CompareAndSwap(false, true) {
		return errors.New("discovery: Run may be called once")
	}
	listedAt, err := d.start(ctx, since)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	// Listings are Refresh apart, from the start of one to the next.
	var nextListing time.Time
	if d.opts.AllQueues {
		nextListing = listedAt.Add(d.opts.Refresh)
	}
	for {
		if now := d.clock.Now(); d.opts.AllQueues && !now.Before(nextListing) {
			// The topics of a queue new in this listing are wanted from the
			// start of the previous one: the last moment it was known absent.
			if err := d.refresh(ctx, listedAt, false); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				d.log.Warn().Err(err).Msg("listing the queues again failed; the queues stay as they were")
			} else {
				listedAt = now
			}
			nextListing = now.Add(d.opts.Refresh)
		}
		if !d.wait(ctx, d.expire(d.clock.Now(), nextListing)) {
			return nil
		}
	}
}

// start subscribes the id-less templates and the queues' topics from
// since. With AllQueues it lists the queues, trying again with backoff
// until a listing succeeds, ctx ends or the platform refuses (an error);
// it returns when the successful listing began.
func (d *Discovery) start(ctx context.Context, since time.Time) (time.Time, error) {
	if len(d.fixed) > 0 {
		if err := d.opts.Subscriber.Subscribe(d.fixed, since); err != nil {
			return time.Time{}, fmt.Errorf("discovery: subscribing %v: %w", d.fixed, err)
		}
		d.mu.Lock()
		d.fixedSubscribed = true
		d.mu.Unlock()
	}
	if !d.opts.AllQueues {
		if _, _, err := d.setQueues(d.opts.QueueIDs, since); err != nil {
			return time.Time{}, fmt.Errorf("discovery: %w", err)
		}
		return d.clock.Now(), nil
	}
	bo := retry.NewBackoff(minListingBackoff, maxListingBackoff, rand.Uint64())
	for {
		began := d.clock.Now()
		err := d.refresh(ctx, since, true)
		if err == nil {
			return began, nil
		}
		if ctx.Err() != nil || refused(err) {
			return time.Time{}, fmt.Errorf("discovery: %w", err)
		}
		wait := bo.Next()
		d.log.Warn().Err(err).Dur("retry_in", wait).Msg("listing the queues failed")
		if err := clock.Sleep(ctx, d.clock, wait); err != nil {
			return time.Time{}, err
		}
	}
}

// refused: retrying cannot help (credentials, permissions, a malformed
// request, no such API).
func refused(err error) bool {
	if errors.Is(err, api.ErrCredentials) {
		return true
	}
	switch api.StatusOf(err) {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
		return true
	}
	return false
}

// wait returns when the clock reaches until (zero: never), Seen pokes, or
// ctx ends (false).
func (d *Discovery) wait(ctx context.Context, until time.Time) bool {
	var due <-chan struct{}
	if !until.IsZero() {
		ch, stop := d.clock.Until(until)
		defer stop()
		due = ch
	}
	select {
	case <-ctx.Done():
		return false
	case <-due:
	case <-d.poke:
	}
	return true
}

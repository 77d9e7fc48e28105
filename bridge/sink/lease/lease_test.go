package lease_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge/sink/lease"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/segmentio/kafka-go"
)

func TestLeaseIsExclusiveAndHandedOver(t *testing.T) {
	client := kafkatest.Start(t).Client()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	opts := lease.Options{SessionTimeout: 600 * time.Millisecond}

	first, err := lease.Acquire(ctx, client, "b1", opts)
	if err != nil {
		t.Fatal(err)
	}
	standby := make(chan struct{})
	type result struct {
		l   *lease.Lease
		err error
	}
	second := make(chan result, 1)
	go func() {
		o := opts
		o.OnStandby = func() { close(standby) }
		l, err := lease.Acquire(ctx, client, "b1", o)
		second <- result{l, err}
	}()
	select {
	case <-standby:
	case r := <-second:
		t.Fatalf("second instance acquired a held lease (err %v)", r.err)
	case <-ctx.Done():
		t.Fatal("second instance neither stood by nor acquired")
	}
	// The holder keeps its lease through the rebalance the standby caused.
	select {
	case <-first.Context().Done():
		t.Fatalf("holder lost its lease to a standby: %v", context.Cause(first.Context()))
	case <-time.After(3 * opts.SessionTimeout):
	}
	if err := first.Release(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-second:
		if r.err != nil {
			t.Fatal(r.err)
		}
		if err := r.l.Release(ctx); err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatal("standby never took over")
	}
	if !errors.Is(context.Cause(first.Context()), lease.ErrLost) {
		t.Errorf("released lease's cause = %v", context.Cause(first.Context()))
	}
}

// TestHeartbeatErrorsAreSeen pins the workaround in heartbeatError: a
// heartbeat for a generation that does not exist must fail, whatever
// kafka-go version decodes it.
func TestHeartbeatErrorsAreSeen(t *testing.T) {
	client := kafkatest.Start(t).Client()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l, err := lease.Acquire(ctx, client, "hb", lease.Options{SessionTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(ctx)
	if err := lease.HeartbeatForTest(ctx, l, 999); !errors.Is(err, kafka.IllegalGeneration) {
		t.Fatalf("heartbeat with a wrong generation: %v, want IllegalGeneration", err)
	}
}

// TestValidFollowsTheClock: a holder whose last heartbeat is older than two
// thirds of the session timeout (a process frozen that long) is not valid,
// before its heartbeat goroutine has even run; nor is a released lease.
func TestValidFollowsTheClock(t *testing.T) {
	client := kafkatest.Start(t).Client()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const session = 30 * time.Second // no heartbeat comes within the test
	l, err := lease.Acquire(ctx, client, "valid", lease.Options{SessionTimeout: session})
	if err != nil {
		t.Fatal(err)
	}
	if !l.Valid() {
		t.Fatal("a lease just acquired is not valid")
	}
	lease.AgeForTest(l, 2*session/3)
	if l.Valid() {
		t.Error("valid with no heartbeat for two thirds of the session timeout")
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if l.Valid() {
		t.Error("valid after Release")
	}
}

package lease

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
)

// ErrLost is the cause of a Lease's context once the lease is gone.
var ErrLost = errors.New("bridge lease lost")

var errTokenGone = errors.New("the group leader gave the token to another member")

// leaseProtocol is the group protocol name; no consumer uses it, so a lease
// group can never be confused with a real consumer group.
const leaseProtocol = "analytics-bridge-lease"

// Group is the consumer group that holds the lease of a bridge name.
func Group(bridge string) string { return "analytics-bridge.lease." + bridge }

// Lease is the exclusive right of one bridge process to produce under a
// bridge name. It is held through a Kafka consumer group: every instance
// with the same name joins the group, and the group leader hands a single
// token to one member, the current holder if there is one.
//
// Guarantee and limits: the holder heartbeats every third of the session
// timeout and gives the lease up itself when no heartbeat (or rejoin) has
// succeeded for two thirds of it, every request bounded by that moment, while the coordinator hands the token to a standby only
// after the holder has been silent for the whole session timeout. A holder
// that is alive but cut off therefore stops before a standby starts, unless
// its clock or scheduler stalls for longer than a third of the session
// timeout. A writer that asks Valid before each write stops after a stall
// of the whole process too (SIGSTOP, a paused VM): its clock moved on
// meanwhile. What remains is a stall between that check and the write
// leaving the process. The lease is not a broker-side fence; it is used
// only with KAFKA_TRANSACTIONS=false, where the dedup key on every record
// lets consumers detect what such a stall could duplicate.
type Lease struct {
	client  *kafka.Client
	group   string
	session time.Duration

	ctx    context.Context // canceled with ErrLost when the lease ends
	cancel context.CancelCauseFunc
	done   chan struct{} // closed when the heartbeat goroutine returns

	mu         sync.Mutex // guards memberID, generation and lastOK
	memberID   string
	generation int
	lastOK     time.Time // the last successful heartbeat, or the join that acquired
}

// Options tune Acquire.
type Options struct {
	// SessionTimeout is how long a silent holder keeps the lease.
	SessionTimeout time.Duration
	// OnStandby is called once when another instance holds the lease and
	// this one starts waiting (for logs).
	OnStandby func()
}

// Acquire blocks until this process holds the lease for bridge (or ctx ends).
// The returned Lease's Context is canceled when the lease is lost; call
// Release to give it up.
func Acquire(ctx context.Context, client *kafka.Client, bridge string, opts Options) (*Lease, error) {
	if opts.SessionTimeout <= 0 {
		opts.SessionTimeout = 10 * time.Second
	}
	l := &Lease{
		client:  client,
		group:   Group(bridge),
		session: opts.SessionTimeout,
		done:    make(chan struct{}),
	}
	standby := false
	for {
		holder, err := l.join(ctx, false)
		if err != nil {
			return nil, err
		}
		if holder {
			break
		}
		if !standby && opts.OnStandby != nil {
			opts.OnStandby()
		}
		standby = true
		// Stand by: heartbeat until the group rebalances, then rejoin.
		if err := l.heartbeatUntilRebalance(ctx); err != nil {
			return nil, err
		}
	}
	l.ctx, l.cancel = context.WithCancelCause(context.Background())
	l.heartbeatOK()
	go l.hold()
	return l, nil
}

// Context is canceled, with cause ErrLost, when the lease is lost.
func (l *Lease) Context() context.Context { return l.ctx }

// Valid reports whether this process holds the lease by its own clock: not
// lost, and a heartbeat succeeded within two thirds of the session timeout,
// the bound at which hold gives the lease up. A process frozen past it
// sees so the moment it runs again, before its heartbeat goroutine does.
func (l *Lease) Valid() bool {
	if l.ctx.Err() != nil {
		return false
	}
	return time.Since(l.lastHeartbeat()) < 2*l.session/3
}

func (l *Lease) lastHeartbeat() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lastOK
}

func (l *Lease) heartbeatOK() {
	l.mu.Lock()
	l.lastOK = time.Now()
	l.mu.Unlock()
}

// Release gives the lease up so a standby can take over at once.
func (l *Lease) Release(ctx context.Context) error {
	l.cancel(ErrLost)
	<-l.done
	l.mu.Lock()
	member := l.memberID
	l.mu.Unlock()
	_, err := l.client.LeaveGroup(ctx, &kafka.LeaveGroupRequest{
		GroupID: l.group,
		Members: []kafka.LeaveGroupRequestMember{{ID: member}},
	})
	if err != nil {
		return fmt.Errorf("leaving lease group %q: %w", l.group, err)
	}
	return nil
}

// hold heartbeats while the lease is held and cancels l.ctx when it is lost.
func (l *Lease) hold() {
	defer close(l.done)
	interval := l.session / 3
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-ticker.C:
		}
		// Every request is bounded by the moment this holder must consider
		// itself gone: a hung request must not outlive the lease.
		lastOK := l.lastHeartbeat()
		deadline, cancel := context.WithDeadline(l.ctx, lastOK.Add(2*l.session/3))
		err := l.heartbeat(deadline)
		if errors.Is(err, kafka.RebalanceInProgress) {
			// A standby joined or left: rejoin as the holder, within the
			// same bound, to keep the token.
			var holder bool
			holder, err = l.join(deadline, true)
			if err == nil && !holder {
				err = errTokenGone
			}
		}
		cancel()
		if err == nil {
			l.heartbeatOK()
			continue
		}
		if l.ctx.Err() != nil {
			return
		}
		if errors.Is(err, errTokenGone) || errors.Is(err, kafka.UnknownMemberId) || errors.Is(err, kafka.IllegalGeneration) || errors.Is(err, kafka.FencedInstanceID) ||
			time.Since(lastOK) >= 2*l.session/3 {
			l.cancel(fmt.Errorf("%w: %v", ErrLost, err))
			return
		}
	}
}

func (l *Lease) heartbeatUntilRebalance(ctx context.Context) error {
	ticker := time.NewTicker(l.session / 3)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-ticker.C:
		}
		err := l.heartbeat(ctx)
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		// Any failure (rebalance, eviction, coordinator move) means: rejoin.
		return nil
	}
}

func (l *Lease) heartbeat(ctx context.Context) error {
	l.mu.Lock()
	member, gen := l.memberID, l.generation
	l.mu.Unlock()
	return l.heartbeatAs(ctx, member, gen)
}

func (l *Lease) heartbeatAs(ctx context.Context, member string, gen int) error {
	res, err := l.client.Heartbeat(ctx, &kafka.HeartbeatRequest{
		GroupID: l.group, GenerationID: int32(gen), MemberID: member,
	})
	if err != nil {
		return err
	}
	return heartbeatError(res)
}

// heartbeatError recovers the error of a Heartbeat response.
//
// kafka-go (v0.4.51) declares the v1+ response fields in the wrong order
// (error_code before throttle_time_ms), so the broker's error code lands in
// the low 16 bits of Throttle (in milliseconds) and Error stays nil: every
// heartbeat looks successful, a holder never hears of a rebalance and is
// silently evicted. Read the code from there. Only the group errors a
// heartbeat can carry are accepted, so that if kafka-go is fixed (Error set,
// Throttle a real throttle) a throttle value can at worst cause one
// needless rejoin. TestHeartbeatErrorsAreSeen pins this behaviour.
func heartbeatError(res *kafka.HeartbeatResponse) error {
	if res.Error != nil {
		return res.Error
	}
	code := kafka.Error(int16(uint32(res.Throttle/time.Millisecond) & 0xFFFF))
	switch code {
	case kafka.RebalanceInProgress, kafka.UnknownMemberId, kafka.IllegalGeneration, kafka.FencedInstanceID,
		kafka.GroupCoordinatorNotAvailable, kafka.NotCoordinatorForGroup, kafka.GroupIdNotFound, kafka.GroupLoadInProgress:
		return code
	}
	return nil
}

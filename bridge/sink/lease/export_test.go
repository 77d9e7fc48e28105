package lease

import (
	"context"
	"time"
)

// HeartbeatForTest sends one heartbeat as this member for the given
// generation.
func HeartbeatForTest(ctx context.Context, l *Lease, generation int) error {
	l.mu.Lock()
	member := l.memberID
	l.mu.Unlock()
	return l.heartbeatAs(ctx, member, generation)
}

// AgeForTest makes the last successful heartbeat d older, as a process
// frozen for d finds it when it runs again.
func AgeForTest(l *Lease, d time.Duration) {
	l.mu.Lock()
	l.lastOK = l.lastOK.Add(-d)
	l.mu.Unlock()
}

package lease

import "context"

// HeartbeatForTest sends one heartbeat as this member for the given
// generation.
func HeartbeatForTest(ctx context.Context, l *Lease, generation int) error {
	l.mu.Lock()
	member := l.memberID
	l.mu.Unlock()
	return l.heartbeatAs(ctx, member, generation)
}

package lease

import (
	"context"
	"errors"
	"fmt"

	"github.com/analytics-bridge/analytics-bridge/bridge/retry"
	"github.com/segmentio/kafka-go"
)

// join runs one JoinGroup/SyncGroup round and reports whether this member
// was handed the token. holding is advertised so that the leader keeps the
// token with its current holder.
func (l *Lease) join(ctx context.Context, holding bool) (bool, error) {
	userData := []byte("standby")
	if holding {
		userData = []byte("holder")
	}
	for attempt := 0; ; attempt++ {
		l.mu.Lock()
		member := l.memberID
		l.mu.Unlock()
		res, err := l.client.JoinGroup(ctx, &kafka.JoinGroupRequest{
			GroupID:          l.group,
			MemberID:         member,
			SessionTimeout:   l.session,
			RebalanceTimeout: l.session,
			ProtocolType:     leaseProtocol,
			Protocols: []kafka.GroupProtocol{{
				Name:     leaseProtocol,
				Metadata: kafka.GroupProtocolSubscription{UserData: userData},
			}},
		})
		if err == nil {
			err = res.Error
		}
		if err != nil {
			if ctx.Err() != nil {
				return false, context.Cause(ctx)
			}
			if res != nil && res.MemberID != "" && errors.Is(err, kafka.MemberIDRequired) {
				l.setMember(res.MemberID, 0)
				continue
			}
			if errors.Is(err, kafka.UnknownMemberId) {
				if holding {
					// Evicted: another member may hold the token by now.
					return false, err
				}
				l.setMember("", 0)
			}
			if attempt >= 50 {
				return false, fmt.Errorf("joining lease group %q: %w", l.group, err)
			}
			if err := retry.Sleep(ctx, l.session/10); err != nil {
				return false, err
			}
			continue
		}
		l.setMember(res.MemberID, res.GenerationID)

		var assignments []kafka.SyncGroupRequestAssignment
		if res.LeaderID == res.MemberID {
			assignments = assignToken(res.Members)
		}
		sync, err := l.client.SyncGroup(ctx, &kafka.SyncGroupRequest{
			GroupID:      l.group,
			GenerationID: res.GenerationID,
			MemberID:     res.MemberID,
			ProtocolType: leaseProtocol,
			ProtocolName: leaseProtocol,
			Assignments:  assignments,
		})
		if err == nil {
			err = sync.Error
		}
		if err != nil {
			if ctx.Err() != nil {
				return false, context.Cause(ctx)
			}
			if attempt >= 50 {
				return false, fmt.Errorf("syncing lease group %q: %w", l.group, err)
			}
			continue // a new rebalance started; join again
		}
		return string(sync.Assignment.UserData) == "token", nil
	}
}

// assignToken gives the token to the member that already holds it, or else
// to the first member listed (the coordinator lists the longest-standing
// member first).
func assignToken(members []kafka.JoinGroupResponseMember) []kafka.SyncGroupRequestAssignment {
	winner := 0
	for i, m := range members {
		if string(m.Metadata.UserData) == "holder" {
			winner = i
			break
		}
	}
	out := make([]kafka.SyncGroupRequestAssignment, len(members))
	for i, m := range members {
		data := []byte("none")
		if i == winner {
			data = []byte("token")
		}
		out[i] = kafka.SyncGroupRequestAssignment{
			MemberID:   m.ID,
			Assignment: kafka.GroupProtocolAssignment{UserData: data},
		}
	}
	return out
}

func (l *Lease) setMember(id string, generation int) {
	l.mu.Lock()
	l.memberID, l.generation = id, generation
	l.mu.Unlock()
}

package sqsfake

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

type receiveInput struct {
	queueRef
	MaxNumberOfMessages         *int
	VisibilityTimeout           *int
	WaitTimeSeconds             *int
	AttributeNames              []string
	MessageSystemAttributeNames []string
}

type receivedMessage struct {
	MessageId     string
	ReceiptHandle string
	MD5OfBody     string
	Body          string
	Attributes    map[string]string `json:",omitempty"`
}

func intParam(name string, p *int, def, lo, hi int) (int, *apiError) {
	if p == nil {
		return def, nil
	}
	if *p < lo || *p > hi {
		return 0, errInvalidParameterValue(fmt.Sprintf("Value %d for parameter %s is invalid. Reason: Must be between %d and %d, if provided.", *p, name, lo, hi))
	}
	return *p, nil
}

// receiveMessage takes up to MaxNumberOfMessages visible messages, hiding
// each for the visibility timeout, and long-polls for up to WaitTimeSeconds
// when none is visible.
func (s *Server) receiveMessage(ctx context.Context, _ string, body []byte) (any, *apiError) {
	var limit int
	checkLimit := func(in *receiveInput) (e *apiError) {
		limit, e = intParam("MaxNumberOfMessages", in.MaxNumberOfMessages, 1, 1, 10)
		return e
	}
	return onQueue(s, body, checkLimit, func(q *queue, in *receiveInput) (any, *apiError) {
		return s.receiveLocked(ctx, q, in, limit)
	})
}

// receiveLocked is receiveMessage on q, holding s.mu (which it releases
// while it waits).
func (s *Server) receiveLocked(ctx context.Context, q *queue, in *receiveInput, limit int) (any, *apiError) {
	vis, e := intParam("VisibilityTimeout", in.VisibilityTimeout, int(q.visibility/time.Second), 0, 43200)
	if e != nil {
		return nil, e
	}
	wait, e := intParam("WaitTimeSeconds", in.WaitTimeSeconds, int(q.wait/time.Second), 0, 20)
	if e != nil {
		return nil, e
	}
	want := wantedAttributes(append(in.AttributeNames, in.MessageSystemAttributeNames...))
	deadline := s.clock.Now().Add(time.Duration(wait) * time.Second)
	for {
		now := s.clock.Now()
		q.expire(now)
		if s.queues[q.name] != q {
			return nil, errQueueDoesNotExist()
		}
		ready, next := q.visible(now, limit, s.faults.reorder)
		if len(ready) > 0 {
			return map[string]any{"Messages": s.takeLocked(q, ready, limit, now, time.Duration(vis)*time.Second, want)}, nil
		}
		if !now.Before(deadline) || s.closed {
			return struct{}{}, nil
		}
		wake := deadline
		if !next.IsZero() && next.Before(wake) {
			wake = next
		}
		changed := s.changed
		timer, stop := s.clock.Until(wake)
		s.mu.Unlock()
		select {
		case <-changed:
		case <-timer:
		case <-ctx.Done():
		}
		stop()
		s.mu.Lock()
		if ctx.Err() != nil {
			return struct{}{}, nil
		}
	}
}

// takeLocked hands out up to limit of ready, applying the receive faults.
func (s *Server) takeLocked(q *queue, ready []*message, limit int, now time.Time, vis time.Duration, want map[string]bool) []receivedMessage {
	if s.faults.reorder {
		s.faults.rng.Shuffle(len(ready), func(i, j int) { ready[i], ready[j] = ready[j], ready[i] })
	}
	if len(ready) > limit {
		ready = ready[:limit]
	}
	out := make([]receivedMessage, 0, len(ready))
	for _, m := range ready {
		if s.faults.duplicates > 0 {
			s.faults.duplicates--
			dup := *m
			dup.serial = s.nextSerialLocked()
			q.add(&dup)
			s.stats.Duplicated++
		}
		if m.receives == 0 {
			m.firstReceive = now
		} else {
			s.stats.Redelivered++
		}
		m.receives++
		m.visibleAt = now.Add(vis)
		s.stats.Received++
		rm := receivedMessage{MessageId: m.id, ReceiptHandle: s.newHandle(handle{q.serial, m.serial, uint32(m.receives)}),
			MD5OfBody: m.md5, Body: m.body}
		if len(want) > 0 {
			rm.Attributes = map[string]string{}
			put := func(k, v string) {
				if want["All"] || want[k] {
					rm.Attributes[k] = v
				}
			}
			put("SentTimestamp", strconv.FormatInt(m.sent.UnixMilli(), 10))
			put("ApproximateReceiveCount", strconv.Itoa(m.receives))
			put("ApproximateFirstReceiveTimestamp", strconv.FormatInt(m.firstReceive.UnixMilli(), 10))
			put("SenderId", "AIDAIENQZJOLO23YVJ4VO")
		}
		out = append(out, rm)
	}
	return out
}

func wantedAttributes(names []string) map[string]bool {
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	return want
}

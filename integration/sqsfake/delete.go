package sqsfake

import (
	"context"
	"time"
)

// deleteLocked deletes the message h was issued for, if h is still its
// latest handle. An older handle is accepted and deletes nothing, as SQS
// documents; so is the handle of a message already deleted.
func (s *Server) deleteLocked(q *queue, h string) *apiError {
	ref, m, e := s.resolveLocked(q, h)
	if e != nil {
		return e
	}
	switch {
	case m == nil: // deleted already
	case ref.receive != uint32(m.receives):
		s.stats.StaleDeletes++
	default:
		q.remove(m)
		s.stats.Deleted++
	}
	return nil
}

type deleteMessageInput struct {
	queueRef
	ReceiptHandle string
}

func (s *Server) deleteMessage(_ context.Context, _ string, body []byte) (any, *apiError) {
	return onQueue(s, body, nil, func(q *queue, in *deleteMessageInput) (any, *apiError) {
		if e := s.deleteLocked(q, in.ReceiptHandle); e != nil {
			return nil, e
		}
		return struct{}{}, nil
	})
}

type handleEntry struct {
	Id                string
	ReceiptHandle     string
	VisibilityTimeout int
}

func (e handleEntry) entryID() string { return e.Id }

type batchResult struct {
	Successful []struct{ Id string }
	Failed     []batchFailure
}

func (r *batchResult) ok(id string) { r.Successful = append(r.Successful, struct{ Id string }{id}) }

// batch runs fn on each entry of a DeleteMessageBatch or
// ChangeMessageVisibilityBatch call.
func (s *Server) batch(body []byte, failEntries *int, fn func(q *queue, en handleEntry) *apiError) (any, *apiError) {
	return onQueue(s, body, checkBatch[handleEntry], func(q *queue, in *batchInput[handleEntry]) (any, *apiError) {
		return s.batchLocked(q, in.Entries, failEntries, fn), nil
	})
}

func (s *Server) batchLocked(q *queue, entries []handleEntry, failEntries *int, fn func(q *queue, en handleEntry) *apiError) batchResult {
	out := batchResult{Successful: []struct{ Id string }{}, Failed: []batchFailure{}}
	for _, en := range entries {
		if failEntries != nil && *failEntries > 0 {
			*failEntries--
			s.stats.FailedEntries++
			out.Failed = append(out.Failed, batchFailure{Id: en.Id, Code: "InternalError",
				Message: "injected fault: entry not processed"})
			continue
		}
		if e := fn(q, en); e != nil {
			out.Failed = append(out.Failed, failureOf(en.Id, e))
			continue
		}
		out.ok(en.Id)
	}
	return out
}

func (s *Server) deleteMessageBatch(_ context.Context, _ string, body []byte) (any, *apiError) {
	return s.batch(body, &s.faults.failDeleteEntries, s.deleteEntryLocked)
}

func (s *Server) deleteEntryLocked(q *queue, en handleEntry) *apiError {
	return s.deleteLocked(q, en.ReceiptHandle)
}

// changeVisibilityLocked hides the message for secs more seconds from now,
// when h is its latest handle and it is in flight. A handle superseded by a
// later receive, or of a deleted message, fails; the latest handle of a
// message whose timeout already lapsed succeeds and changes nothing.
func (s *Server) changeVisibilityLocked(q *queue, h string, secs int) *apiError {
	if _, e := intParam("VisibilityTimeout", &secs, 0, 0, 43200); e != nil {
		return e
	}
	ref, m, e := s.resolveLocked(q, h)
	if e != nil {
		return e
	}
	if m == nil || ref.receive != uint32(m.receives) {
		return errNotInFlight(h)
	}
	now := s.clock.Now()
	if !m.visibleAt.After(now) {
		return nil
	}
	m.visibleAt = now.Add(time.Duration(secs) * time.Second)
	s.wakeLocked()
	return nil
}

type changeVisibilityInput struct {
	queueRef
	ReceiptHandle     string
	VisibilityTimeout int
}

func (s *Server) changeMessageVisibility(_ context.Context, _ string, body []byte) (any, *apiError) {
	return onQueue(s, body, nil, func(q *queue, in *changeVisibilityInput) (any, *apiError) {
		if e := s.changeVisibilityLocked(q, in.ReceiptHandle, in.VisibilityTimeout); e != nil {
			return nil, e
		}
		return struct{}{}, nil
	})
}

func (s *Server) changeMessageVisibilityBatch(_ context.Context, _ string, body []byte) (any, *apiError) {
	return s.batch(body, nil, func(q *queue, en handleEntry) *apiError {
		return s.changeVisibilityLocked(q, en.ReceiptHandle, en.VisibilityTimeout)
	})
}

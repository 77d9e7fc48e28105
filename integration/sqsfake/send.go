package sqsfake

import (
	"context"
	"fmt"
	"time"
)

// maxBody is SQS's message size limit (1 MiB since 2025).
const maxBody = 1 << 20

type sendEntry struct {
	Id           string
	MessageBody  string
	DelaySeconds *int
}

func (e sendEntry) entryID() string { return e.Id }

func (s *Server) sendLocked(q *queue, body string, delay *int) (*message, *apiError) {
	if body == "" {
		return nil, errInvalidParameterValue("The request must contain the parameter MessageBody.")
	}
	if len(body) > maxBody {
		return nil, errInvalidParameterValue(fmt.Sprintf("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", maxBody))
	}
	d := time.Duration(-1)
	if delay != nil {
		if *delay < 0 || *delay > 900 {
			return nil, errInvalidParameterValue(fmt.Sprintf("Value %d for parameter DelaySeconds is invalid. Reason: must be between 0 and 900, if provided.", *delay))
		}
		d = time.Duration(*delay) * time.Second
	}
	m := q.send(s.nextSerialLocked(), s.clock.Now(), body, d)
	s.stats.Sent++
	s.wakeLocked()
	return m, nil
}

type sendMessageInput struct {
	queueRef
	sendEntry
}

func (s *Server) sendMessage(_ context.Context, _ string, body []byte) (any, *apiError) {
	return onQueue(s, body, nil, func(q *queue, in *sendMessageInput) (any, *apiError) {
		m, e := s.sendLocked(q, in.MessageBody, in.DelaySeconds)
		if e != nil {
			return nil, e
		}
		return map[string]string{"MessageId": m.id, "MD5OfMessageBody": m.md5}, nil
	})
}

type batchFailure struct {
	Id          string
	SenderFault bool
	Code        string
	Message     string
}

// batchInput is the request of a batch operation: its queue and entries.
type batchInput[E interface{ entryID() string }] struct {
	queueRef
	Entries []E
}

// checkBatch enforces SQS's batch rules: 1 to 10 entries, distinct ids.
func checkBatch[E interface{ entryID() string }](in *batchInput[E]) *apiError {
	if len(in.Entries) == 0 {
		return errEmptyBatch()
	}
	if len(in.Entries) > 10 {
		return errTooManyEntries(len(in.Entries))
	}
	seen := map[string]bool{}
	for _, en := range in.Entries {
		id := en.entryID()
		if seen[id] {
			return errIdsNotDistinct(id)
		}
		seen[id] = true
	}
	return nil
}

func failureOf(id string, e *apiError) batchFailure {
	return batchFailure{Id: id, SenderFault: e.sender, Code: e.code, Message: e.message}
}

func (s *Server) sendMessageBatch(_ context.Context, _ string, body []byte) (any, *apiError) {
	return onQueue(s, body, checkBatch[sendEntry], s.sendBatchLocked)
}

func (s *Server) sendBatchLocked(q *queue, in *batchInput[sendEntry]) (any, *apiError) {
	type ok struct{ Id, MessageId, MD5OfMessageBody string }
	out := struct {
		Successful []ok
		Failed     []batchFailure
	}{Successful: []ok{}, Failed: []batchFailure{}}
	for _, en := range in.Entries {
		m, e := s.sendLocked(q, en.MessageBody, en.DelaySeconds)
		if e != nil {
			out.Failed = append(out.Failed, failureOf(en.Id, e))
			continue
		}
		out.Successful = append(out.Successful, ok{en.Id, m.id, m.md5})
	}
	return out, nil
}

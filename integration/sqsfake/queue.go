package sqsfake

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// queue is one standard queue. All of it is guarded by Server.mu.
type queue struct {
	name       string
	created    time.Time
	attrs      map[string]string // as set by CreateQueue, for QueueNameExists
	visibility time.Duration
	wait       time.Duration
	retention  time.Duration
	delay      time.Duration
	lastPurge  time.Time
	serial     uint64              // names the queue inside receipt handles
	msgs       []*message          // in send order; deleted ones until compacted
	dead       int                 // deleted ones still in msgs
	front      int                 // msgs before it are all deleted
	live       map[uint64]*message // by serial, not deleted
}

// message is one stored copy. A duplicate (DuplicateNext) is a second copy
// with the same MessageId, as when an SQS server holding a copy misses a
// delete.
type message struct {
	serial       uint64 // unique per copy
	id           string
	body         string
	md5          string
	sent         time.Time
	visibleAt    time.Time
	receives     int
	firstReceive time.Time
	deleted      bool
}

func newQueue(name string, serial uint64, now time.Time, attrs map[string]string) (*queue, error) {
	q := &queue{name: name, serial: serial, created: now, attrs: attrs, live: map[uint64]*message{},
		visibility: 30 * time.Second, retention: 4 * 24 * time.Hour}
	// The attributes the stand-in keeps: seconds, within SQS's bounds.
	seconds := map[string]struct {
		dst    *time.Duration
		lo, hi int
	}{
		"VisibilityTimeout":             {&q.visibility, 0, 43200},
		"ReceiveMessageWaitTimeSeconds": {&q.wait, 0, 20},
		"MessageRetentionPeriod":        {&q.retention, 60, 1209600},
		"DelaySeconds":                  {&q.delay, 0, 900},
	}
	for k, v := range attrs {
		attr, kept := seconds[k]
		switch {
		case !kept && slices.Contains([]string{"MaximumMessageSize", "Policy", "RedrivePolicy", "SqsManagedSseEnabled"}, k):
			continue // accepted and not enforced
		case !kept:
			return nil, errInvalidAttributeName(k)
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < attr.lo || n > attr.hi {
			return nil, errInvalidAttributeValue(k, v)
		}
		*attr.dst = time.Duration(n) * time.Second
	}
	return q, nil
}

func errInvalidAttributeValue(k, v string) *apiError {
	return refusal("InvalidAttributeValue", "InvalidAttributeValue", fmt.Sprintf("Invalid value for the parameter %s: %s", k, v))
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// newID returns a random UUID (version 4), as SQS message ids are.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// add stores m (a new message, or a duplicate copy with its own serial).
func (q *queue) add(m *message) {
	q.msgs = append(q.msgs, m)
	q.live[m.serial] = m
}

// send stores a message and returns it.
func (q *queue) send(serial uint64, now time.Time, body string, delay time.Duration) *message {
	if delay < 0 {
		delay = q.delay
	}
	m := &message{serial: serial, id: newID(), body: body, md5: md5hex(body), sent: now, visibleAt: now.Add(delay)}
	q.add(m)
	return m
}

// expire deletes the messages past the retention period. Every message
// was sent after its queue was created, so a queue younger than the period
// holds none: then there is nothing to scan, and a receive does not cost
// a pass over the whole queue (which made draining a deep queue quadratic).
func (q *queue) expire(now time.Time) {
	if now.Sub(q.created) < q.retention {
		return
	}
	for _, m := range q.msgs[q.front:] {
		if !m.deleted && now.Sub(m.sent) >= q.retention {
			q.remove(m)
		}
	}
}

// visible returns up to limit messages a receive may take now (all of them
// when all), in send order, and, when it found none, the earliest time a
// hidden one becomes visible (zero if none).
func (q *queue) visible(now time.Time, limit int, all bool) (out []*message, next time.Time) {
	for _, m := range q.msgs[q.front:] {
		switch {
		case m.deleted:
		case !m.visibleAt.After(now):
			out = append(out, m)
			if !all && len(out) == limit {
				return out, time.Time{}
			}
		case next.IsZero() || m.visibleAt.Before(next):
			next = m.visibleAt
		}
	}
	return out, next
}

// remove deletes m. The slice is compacted once half of it is deleted, so
// that a delete costs O(1) amortized however deep the queue; until then,
// front skips the deleted ones at its head (a queue drained in send order),
// so that a receive does not walk past them.
func (q *queue) remove(m *message) {
	m.deleted = true
	delete(q.live, m.serial)
	q.dead++
	for q.front < len(q.msgs) && q.msgs[q.front].deleted {
		q.front++
	}
	if q.dead < 64 || q.dead < len(q.msgs)/2 {
		return
	}
	keep := q.msgs[:0]
	for _, x := range q.msgs {
		if !x.deleted {
			keep = append(keep, x)
		}
	}
	clear(q.msgs[len(keep):])
	q.msgs, q.dead, q.front = keep, 0, 0
}

// counts returns the visible, in-flight and delayed message counts.
func (q *queue) counts(now time.Time) (visible, inFlight, delayed int) {
	for _, m := range q.msgs[q.front:] {
		switch {
		case m.deleted:
		case !m.visibleAt.After(now):
			visible++
		case m.receives > 0:
			inFlight++
		default:
			delayed++
		}
	}
	return visible, inFlight, delayed
}

// attributes renders the queue attributes GetQueueAttributes can return.
func (q *queue) attributes(now time.Time, arn string) map[string]string {
	visible, inFlight, delayed := q.counts(now)
	secs := func(d time.Duration) string { return strconv.Itoa(int(d / time.Second)) }
	return map[string]string{
		"ApproximateNumberOfMessages":           strconv.Itoa(visible),
		"ApproximateNumberOfMessagesNotVisible": strconv.Itoa(inFlight),
		"ApproximateNumberOfMessagesDelayed":    strconv.Itoa(delayed),
		"VisibilityTimeout":                     secs(q.visibility),
		"ReceiveMessageWaitTimeSeconds":         secs(q.wait),
		"MessageRetentionPeriod":                secs(q.retention),
		"DelaySeconds":                          secs(q.delay),
		"MaximumMessageSize":                    "1048576",
		"CreatedTimestamp":                      strconv.FormatInt(q.created.Unix(), 10),
		"LastModifiedTimestamp":                 strconv.FormatInt(q.created.Unix(), 10),
		"QueueArn":                              arn,
		"SqsManagedSseEnabled":                  "false",
	}
}

package sqsfake

import (
	"context"
	crand "crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/clock"
)

// Options configure a Server. The zero value is usable.
type Options struct {
	// Clock drives visibility timeouts and long polls (default: clock.Real).
	Clock clock.Clock
	// Region and AccountID appear in queue ARNs (defaults us-east-1,
	// 000000000000).
	Region    string
	AccountID string
	// Seed makes Reorder's shuffles repeatable.
	Seed uint64
}

// Server is the stand-in. It is an http.Handler: serve it with
// httptest.NewServer or an http.Server, and point the SDK's BaseEndpoint at it.
type Server struct {
	clock   clock.Clock
	region  string
	account string

	secret [32]byte // keys the receipt handles' MAC

	mu      sync.Mutex
	queues  map[string]*queue
	serial  uint64        // last serial given to a queue or a message copy
	changed chan struct{} // closed and replaced when a receive may find more
	closed  bool
	faults  faults
	stats   Stats
}

// New returns a server with no queues.
func New(o Options) *Server {
	s := &Server{clock: o.Clock, region: o.Region, account: o.AccountID,
		queues: map[string]*queue{}, changed: make(chan struct{})}
	_, _ = crand.Read(s.secret[:])
	if s.clock == nil {
		s.clock = clock.Real{}
	}
	if s.region == "" {
		s.region = "us-east-1"
	}
	if s.account == "" {
		s.account = "000000000000"
	}
	s.faults.rng = rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	return s
}

// Close ends every long poll at once (they answer with no messages); an
// http.Server in front of it can then shut down without waiting 20 s.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.wakeLocked()
}

// wakeLocked wakes the long polls so they look again.
func (s *Server) wakeLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

type handler func(s *Server, ctx context.Context, base string, body []byte) (any, *apiError)

// operation returns the handler of an X-Amz-Target operation, or nil.
func operation(op string) handler {
	switch op {
	case "CreateQueue":
		return (*Server).createQueue
	case "GetQueueUrl":
		return (*Server).getQueueURL
	case "GetQueueAttributes":
		return (*Server).getQueueAttributes
	case "PurgeQueue":
		return (*Server).purgeQueue
	case "SendMessage":
		return (*Server).sendMessage
	case "SendMessageBatch":
		return (*Server).sendMessageBatch
	case "ReceiveMessage":
		return (*Server).receiveMessage
	case "DeleteMessage":
		return (*Server).deleteMessage
	case "DeleteMessageBatch":
		return (*Server).deleteMessageBatch
	case "ChangeMessageVisibility":
		return (*Server).changeMessageVisibility
	case "ChangeMessageVisibilityBatch":
		return (*Server).changeMessageVisibilityBatch
	}
	return nil
}

// ServeHTTP answers one JSON-protocol request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := newID()
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, "AmazonSQS.")
	h := operation(op)
	if r.Method != http.MethodPost || !ok || h == nil {
		writeError(w, reqID, errUnknownOperation(target))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		writeError(w, reqID, errSerialization(err))
		return
	}
	if e := s.injected(op); e != nil {
		writeError(w, reqID, e)
		return
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	out, e := h(s, r.Context(), scheme+"://"+r.Host, body)
	if e != nil {
		writeError(w, reqID, e)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("x-amzn-RequestId", reqID)
	_ = json.NewEncoder(w).Encode(out)
}

// decode reads a request body strictly enough to catch a wrong field type.
func decode(body []byte, v any) *apiError {
	if err := json.Unmarshal(body, v); err != nil {
		return errSerialization(fmt.Errorf("request body: %w", err))
	}
	return nil
}

// queueRef is the QueueUrl by which a request names its queue; every
// request type of a queue operation embeds it.
type queueRef struct{ QueueUrl string }

func (r queueRef) queueURL() string { return r.QueueUrl }

// onQueue decodes body into a T, refuses it when check does (nil: no
// check), and runs fn on the queue it names, holding s.mu: the steps every
// queue operation starts with, in SQS's order (a request's own fields are
// refused before its queue is looked up).
func onQueue[T interface{ queueURL() string }](s *Server, body []byte, check func(in *T) *apiError, fn func(q *queue, in *T) (any, *apiError)) (any, *apiError) {
	var in T
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	if check != nil {
		if e := check(&in); e != nil {
			return nil, e
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q, e := s.queueLocked(in.queueURL())
	if e != nil {
		return nil, e
	}
	return fn(q, &in)
}

// queueLocked finds the queue a QueueUrl names (its last path segment).
func (s *Server) queueLocked(url string) (*queue, *apiError) {
	name := url[strings.LastIndexByte(url, '/')+1:]
	q := s.queues[name]
	if q == nil || url == "" {
		return nil, errQueueDoesNotExist()
	}
	return q, nil
}

func (s *Server) queueURL(base, name string) string {
	return base + "/" + s.account + "/" + name
}

func (s *Server) createQueue(_ context.Context, base string, body []byte) (any, *apiError) {
	var in struct {
		QueueName  string
		Attributes map[string]string
	}
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	if !validQueueName(in.QueueName) {
		return nil, errInvalidParameterValue("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.queues[in.QueueName]; q != nil {
		for k, v := range in.Attributes {
			if q.attrs[k] != v {
				return nil, errQueueNameExists(in.QueueName)
			}
		}
		return map[string]string{"QueueUrl": s.queueURL(base, in.QueueName)}, nil
	}
	q, err := newQueue(in.QueueName, s.nextSerialLocked(), s.clock.Now(), in.Attributes)
	if err != nil {
		var ae *apiError
		errors.As(err, &ae)
		return nil, ae
	}
	s.queues[in.QueueName] = q
	return map[string]string{"QueueUrl": s.queueURL(base, in.QueueName)}, nil
}

func (s *Server) nextSerialLocked() uint64 {
	s.serial++
	return s.serial
}

func validQueueName(n string) bool {
	if n == "" || len(n) > 80 {
		return false
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func (s *Server) getQueueURL(_ context.Context, base string, body []byte) (any, *apiError) {
	var in struct{ QueueName string }
	if e := decode(body, &in); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.queues[in.QueueName] == nil {
		return nil, errQueueDoesNotExist()
	}
	return map[string]string{"QueueUrl": s.queueURL(base, in.QueueName)}, nil
}

type getQueueAttributesInput struct {
	queueRef
	AttributeNames []string
}

func (s *Server) getQueueAttributes(_ context.Context, _ string, body []byte) (any, *apiError) {
	return onQueue(s, body, nil, s.queueAttributesLocked)
}

func (s *Server) queueAttributesLocked(q *queue, in *getQueueAttributesInput) (any, *apiError) {
	now := s.clock.Now()
	q.expire(now)
	all := q.attributes(now, fmt.Sprintf("arn:aws:sqs:%s:%s:%s", s.region, s.account, q.name))
	out := map[string]string{}
	for _, n := range in.AttributeNames {
		if n == "All" {
			out = all
			break
		}
		v, ok := all[n]
		if !ok {
			return nil, errInvalidAttributeName(n)
		}
		out[n] = v
	}
	if len(out) == 0 {
		return struct{}{}, nil
	}
	return map[string]any{"Attributes": out}, nil
}

func (s *Server) purgeQueue(_ context.Context, _ string, body []byte) (any, *apiError) {
	return onQueue(s, body, nil, s.purgeLocked)
}

func (s *Server) purgeLocked(q *queue, _ *queueRef) (any, *apiError) {
	now := s.clock.Now()
	if !q.lastPurge.IsZero() && now.Sub(q.lastPurge) < time.Minute {
		return nil, errPurgeInProgress(q.name)
	}
	q.lastPurge = now
	for _, m := range q.msgs {
		m.deleted = true
	}
	q.msgs, q.dead, q.front, q.live = nil, 0, 0, map[uint64]*message{}
	return struct{}{}, nil
}

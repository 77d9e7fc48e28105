package bridge

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/tidwall/gjson"
)

// Dedup: everything that decides whether an event read from the upstream
// was delivered already lives here. The upstream replays inclusively from
// since and has no sequence numbers, so every reconnect resends events the
// bridge wrote; each is recognised by its dedup key and dropped.
//
//   - Key: the event's id, or, without one, ContentKey of its content.
//   - Window (dedupWindow): the keys of every event that a connection may
//     still resend. The next connection replays from Since; the current
//     one, opened with an older since, keeps replaying until its events
//     pass it (after an event at time R it sends nothing older than
//     R - lateness). Keys older than both, less one more lateness window,
//     are pruned (pruneBefore); newer ones, written or being written in
//     this epoch or found by the scan that opened it, stay.
//   - Rebuild: each epoch starts the window from a read_committed scan of
//     the output topic's tail (tail.go), whose records give their keys
//     back through collect.
//   - Drop: tracker.seen consults the window under the tracker's lock, and
//     a dropped event still takes its place in arrival order
//     (tracker.duplicate), so the checkpoint moves past it.

// dedupKey is the event's id when it has a usable one (a non-empty string
// or number), otherwise its content key.
func dedupKey(raw []byte, id gjson.Result) (string, error) {
	if id.Exists() && (id.Type == gjson.String || id.Type == gjson.Number) && id.String() != "" {
		return id.String(), nil
	}
	return ContentKey(raw)
}

// ContentKey derives a dedup key from an event's content: the SHA-256 of its
// canonical JSON (object keys sorted, insignificant white space removed,
// numbers kept as written). The upstream may re-serialise an event when it
// replays it, so a hash of the raw bytes would not be stable; the canonical
// form is. Prefixed "sha256:" so it can never collide with an upstream id
// of the same text.
func ContentKey(raw []byte) (string, error) {
	canonical, err := canonicalJSON(raw)
	if err != nil {
		return "", fmt.Errorf("canonicalising event for its content key: %w", err)
	}
	sum := sha256.Sum256(canonical)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

func canonicalJSON(raw []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	// encoding/json writes map keys sorted and json.Number as written.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

type keyTime struct {
	key  string
	time time.Time
}

// dedupWindow holds the dedup keys a connection may still resend, with
// their event times. The tracker's mutex guards it.
type dedupWindow struct {
	keys     map[string]time.Time
	arrivals []keyTime // keys in the order they were added, for pruning
}

// newDedupWindow starts a window with the keys a tail scan found.
func newDedupWindow(scanned map[string]time.Time) dedupWindow {
	w := dedupWindow{keys: make(map[string]time.Time, len(scanned))}
	for k, tm := range scanned {
		w.add(k, tm)
	}
	return w
}

func (w *dedupWindow) seen(key string) bool {
	_, ok := w.keys[key]
	return ok
}

func (w *dedupWindow) add(key string, tm time.Time) {
	w.keys[key] = tm
	w.arrivals = append(w.arrivals, keyTime{key, tm})
}

// remove forgets a key whose record could not be queued after all.
func (w *dedupWindow) remove(key string) { delete(w.keys, key) }

func (w *dedupWindow) len() int { return len(w.keys) }

// prune drops the keys of events older than cutoff.
func (w *dedupWindow) prune(cutoff time.Time) {
	n := 0
	for n < len(w.arrivals) && w.arrivals[n].time.Before(cutoff) {
		if tm, ok := w.keys[w.arrivals[n].key]; ok && tm.Before(cutoff) {
			delete(w.keys, w.arrivals[n].key)
		}
		n++
	}
	w.arrivals = w.arrivals[n:]
}

// pruneBefore is the time before which no connection can resend an event:
// the older of the next connection's since and the current connection's
// replay horizon (connSince, or connHigh - lateness once its events passed
// it), less one more lateness window for events later than the contract
// allows.
func pruneBefore(since, connSince, connHigh time.Time, lateness time.Duration) time.Time {
	current := connHigh.Add(-lateness)
	if current.Before(connSince) {
		current = connSince
	}
	cutoff := since
	if current.Before(cutoff) {
		cutoff = current
	}
	return cutoff.Add(-lateness)
}

// collect adds the record's dedup key when it is ours.
func collect(headers []kafka.Header, bridge string, since time.Time, res *scanResult) {
	var name, key, at string
	for _, h := range headers {
		switch h.Key {
		case HeaderBridge:
			name = string(h.Value)
		case HeaderDedupKey:
			key = string(h.Value)
		case HeaderEventTime:
			at = string(h.Value)
		}
	}
	if name != bridge || key == "" {
		return
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return
	}
	if t.After(res.latest) {
		res.latest = t
	}
	if !t.Before(since) {
		res.delivered[key] = t
	}
}

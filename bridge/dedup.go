package bridge

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

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
// or number), otherwise its content key. The id is copied: gjson's strings
// may be windows on the whole frame, which the dedup window would keep
// alive for as long as it holds the key.
func dedupKey(raw []byte, id gjson.Result) (string, error) {
	if id.Exists() && (id.Type == gjson.String || id.Type == gjson.Number) && id.String() != "" {
		return strings.Clone(id.String()), nil
	}
	return ContentKey(raw)
}

// ContentKey derives a dedup key from an event's content: the SHA-256 of its
// canonical JSON (object keys sorted, insignificant white space removed,
// numbers kept as written). The upstream may re-serialise an event when it
// replays it, so a hash of the raw bytes would not be stable; the canonical
// form is. Prefixed "sha256:" so it can never collide with an upstream id
// of the same text.
//
// The canonical form is what encoding/json writes (canonicalJSON); keys are
// persisted in Kafka and compared across restarts, so it must never change.
// The common case is canonicalised without encoding/json's allocations
// (canonicaliser), to the same bytes.
func ContentKey(raw []byte) (string, error) {
	c := canonicalisers.Get().(*canonicaliser)
	defer c.release()
	canonical, ok := c.canonical(raw)
	if !ok {
		var err error
		if canonical, err = canonicalJSON(raw); err != nil {
			return "", fmt.Errorf("canonicalising event for its content key: %w", err)
		}
	}
	sum := sha256.Sum256(canonical)
	const prefix = "sha256:"
	var key [len(prefix) + 2*sha256.Size]byte
	copy(key[:], prefix)
	hex.Encode(key[len(prefix):], sum[:])
	return string(key[:]), nil
}

// canonicalJSON is the canonical form by definition: the value decoded
// into any (numbers as json.Number) and encoded again.
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

// canonicaliser writes canonicalJSON's output for the common documents
// without building them as Go values. It takes only a document where
// canonicalJSON's output is plainly the input less white space, with each
// object's members sorted by key:
//   - one JSON value, with nothing but JSON white space around it;
//   - no string (key or value) with an escape, a control character, DEL,
//     invalid UTF-8 or U+2028/U+2029, which encoding/json would decode or
//     write differently: so a key's bytes are its decoded text, which
//     encoding/json sorts by byte (strings.Compare);
//   - no object repeating a key (encoding/json keeps the last value);
//   - numbers in JSON's grammar, which json.Number keeps as written;
//   - nested at most canonicalMaxDepth deep.
//
// Anything else is declined (ok false) and goes through canonicalJSON,
// which also gives the error of an invalid document. FuzzContentKey holds
// the two to the same bytes.
type canonicaliser struct {
	in      []byte
	pos     int
	out     []byte
	members []member // of the objects being written, innermost last
	scratch []byte
}

// member is an object member written to out[start:end] as "key":value; the
// key is in[keyStart:keyEnd]. Offsets rather than slices, so that a pooled
// canonicaliser keeps no event alive.
type member struct {
	keyStart, keyEnd, start, end int
}

// canonicalMaxDepth bounds the nesting the canonicaliser takes, and with it
// its recursion and the copying of sorted members (once per level).
const canonicalMaxDepth = 32

var canonicalisers = sync.Pool{New: func() any { return new(canonicaliser) }}

func (c *canonicaliser) release() {
	c.in = nil
	if cap(c.out) > 64<<10 || cap(c.scratch) > 64<<10 || cap(c.members) > 4096 {
		return // an outsized event: let its buffers go
	}
	canonicalisers.Put(c)
}

// canonical returns raw's canonical form, valid until c is used again, or
// false when raw is not one it takes.
func (c *canonicaliser) canonical(raw []byte) ([]byte, bool) {
	c.in, c.pos, c.out, c.members = raw, 0, c.out[:0], c.members[:0]
	if !c.value(0) {
		return nil, false
	}
	c.space()
	if c.pos != len(c.in) {
		return nil, false
	}
	return c.out, true
}

func (c *canonicaliser) space() {
	for c.pos < len(c.in) {
		switch c.in[c.pos] {
		case ' ', '\t', '\n', '\r':
			c.pos++
		default:
			return
		}
	}
}

func (c *canonicaliser) value(depth int) bool {
	c.space()
	if c.pos >= len(c.in) {
		return false
	}
	switch b := c.in[c.pos]; {
	case b == '{':
		return c.object(depth + 1)
	case b == '[':
		return c.array(depth + 1)
	case b == '"':
		start := c.pos
		if !c.str() {
			return false
		}
		c.out = append(c.out, c.in[start:c.pos]...)
		return true
	case b == '-' || b >= '0' && b <= '9':
		return c.number()
	case b == 't':
		return c.literal("true")
	case b == 'f':
		return c.literal("false")
	case b == 'n':
		return c.literal("null")
	}
	return false
}

// str moves past a string that needs no decoding.
func (c *canonicaliser) str() bool {
	i := c.pos + 1
	for i < len(c.in) {
		b := c.in[i]
		switch {
		case b == '"':
			c.pos = i + 1
			return true
		case b == '\\' || b < 0x20 || b == 0x7f:
			return false
		case b < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(c.in[i:])
			if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
				return false
			}
			i += size
		}
	}
	return false
}

func (c *canonicaliser) number() bool {
	start, i := c.pos, c.pos
	digits := func() bool {
		from := i
		for i < len(c.in) && c.in[i] >= '0' && c.in[i] <= '9' {
			i++
		}
		return i > from
	}
	if c.in[i] == '-' {
		i++
	}
	switch {
	case i < len(c.in) && c.in[i] == '0':
		i++
	case !digits():
		return false
	}
	if i < len(c.in) && c.in[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(c.in) && (c.in[i] == 'e' || c.in[i] == 'E') {
		i++
		if i < len(c.in) && (c.in[i] == '+' || c.in[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	c.pos = i
	c.out = append(c.out, c.in[start:i]...)
	return true
}

func (c *canonicaliser) literal(lit string) bool {
	if !bytes.HasPrefix(c.in[c.pos:], []byte(lit)) {
		return false
	}
	c.pos += len(lit)
	c.out = append(c.out, lit...)
	return true
}

func (c *canonicaliser) array(depth int) bool {
	if depth > canonicalMaxDepth {
		return false
	}
	c.pos++ // [
	c.out = append(c.out, '[')
	c.space()
	if c.pos < len(c.in) && c.in[c.pos] == ']' {
		c.pos++
		c.out = append(c.out, ']')
		return true
	}
	for {
		if !c.value(depth) {
			return false
		}
		c.space()
		if c.pos >= len(c.in) {
			return false
		}
		switch c.in[c.pos] {
		case ',':
			c.pos++
			c.out = append(c.out, ',')
		case ']':
			c.pos++
			c.out = append(c.out, ']')
			return true
		default:
			return false
		}
	}
}

func (c *canonicaliser) object(depth int) bool {
	if depth > canonicalMaxDepth {
		return false
	}
	c.pos++ // {
	c.out = append(c.out, '{')
	body := len(c.out)
	first := len(c.members)
	defer func() { c.members = c.members[:first] }()
	c.space()
	if c.pos < len(c.in) && c.in[c.pos] == '}' {
		c.pos++
		c.out = append(c.out, '}')
		return true
	}
	for {
		c.space()
		if c.pos >= len(c.in) || c.in[c.pos] != '"' {
			return false
		}
		keyStart := c.pos
		if !c.str() {
			return false
		}
		m := member{keyStart: keyStart + 1, keyEnd: c.pos - 1, start: len(c.out)}
		c.out = append(c.out, c.in[keyStart:c.pos]...)
		c.space()
		if c.pos >= len(c.in) || c.in[c.pos] != ':' {
			return false
		}
		c.pos++
		c.out = append(c.out, ':')
		if !c.value(depth) {
			return false
		}
		m.end = len(c.out)
		c.members = append(c.members, m)
		c.space()
		if c.pos >= len(c.in) {
			return false
		}
		if c.in[c.pos] == '}' {
			c.pos++
			break
		}
		if c.in[c.pos] != ',' {
			return false
		}
		c.pos++
		c.out = append(c.out, ',')
	}
	ms := c.members[first:]
	key := func(m member) []byte { return c.in[m.keyStart:m.keyEnd] }
	sorted := true
	for i := 1; i < len(ms); i++ {
		switch bytes.Compare(key(ms[i-1]), key(ms[i])) {
		case 0:
			return false // a repeated key
		case 1:
			sorted = false
		}
	}
	if !sorted {
		slices.SortFunc(ms, func(a, b member) int { return bytes.Compare(key(a), key(b)) })
		for i := 1; i < len(ms); i++ {
			if bytes.Equal(key(ms[i-1]), key(ms[i])) {
				return false
			}
		}
		// The members in key order, comma-separated, have the length of
		// the members as written: rewrite them in place.
		c.scratch = c.scratch[:0]
		for i, m := range ms {
			if i > 0 {
				c.scratch = append(c.scratch, ',')
			}
			c.scratch = append(c.scratch, c.out[m.start:m.end]...)
		}
		copy(c.out[body:], c.scratch)
	}
	c.out = append(c.out, '}')
	return true
}

type keyTime struct {
	key  string
	time instant
}

// instant is an event time without time.Time's location pointer: the
// window holds one per key, and pointers are what the garbage collector
// scans and what every store into the window pays a write barrier for.
type instant struct {
	sec  int64
	nsec int32
}

func instantOf(t time.Time) instant { return instant{t.Unix(), int32(t.Nanosecond())} }

func (a instant) before(b instant) bool {
	return a.sec < b.sec || (a.sec == b.sec && a.nsec < b.nsec)
}

// dedupWindow holds the dedup keys a connection may still resend, with
// their event times. The tracker's mutex guards it.
type dedupWindow struct {
	keys     map[string]instant
	arrivals fifo[keyTime] // keys in the order they were added, for pruning
}

// newDedupWindow starts a window with the keys a tail scan found.
func newDedupWindow(scanned map[string]time.Time) dedupWindow {
	w := dedupWindow{keys: make(map[string]instant, len(scanned))}
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
	at := instantOf(tm)
	w.keys[key] = at
	w.arrivals.push(keyTime{key, at})
}

// remove forgets a key whose record could not be queued after all.
func (w *dedupWindow) remove(key string) { delete(w.keys, key) }

func (w *dedupWindow) len() int { return len(w.keys) }

// prune drops the keys of events older than cutoff.
func (w *dedupWindow) prune(cutoff time.Time) {
	c := instantOf(cutoff)
	n := 0
	for n < w.arrivals.len() && w.arrivals.at(n).time.before(c) {
		a := w.arrivals.at(n)
		if at, ok := w.keys[a.key]; ok && at.before(c) {
			delete(w.keys, a.key)
		}
		n++
	}
	w.arrivals.pop(n)
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

package contentkey

import (
	"bytes"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/analytics-bridge/analytics-bridge/source/jsonlex"
)

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

func (c *canonicaliser) space() { c.pos = jsonlex.SkipSpace(c.in, c.pos) }

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
	end, ok := jsonlex.Number(c.in, c.pos)
	if !ok {
		return false
	}
	c.out = append(c.out, c.in[c.pos:end]...)
	c.pos = end
	return true
}

func (c *canonicaliser) literal(lit string) bool {
	end, ok := jsonlex.Literal(c.in, c.pos, lit)
	if !ok {
		return false
	}
	c.pos = end
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

package websocket

import (
	"bytes"
	"strings"
	"unsafe"

	"github.com/analytics-bridge/analytics-bridge/source/jsonlex"
	"github.com/tidwall/gjson"
)

// The frame scanner: one pass over a frame that validSyntax accepted finds
// each element's bounds and the values of the few fields the bridge reads
// (topicName, the time, the id, the partition key), descending only into
// the objects on those fields' paths. Reading the same fields with gjson
// took a pass to split the frame and one more per field and event; this
// pass replaces all of them.
//
// It returns what gjson.Get would: the first value in document order at
// the end of the path, keys compared after unescaping. Paths other than
// dotted plain keys (gjson's wildcards, escapes, modifiers, array
// indexes), and a path that meets something other than an object on its
// way, are answered by gjson itself for that element. FuzzDecodeFrame and
// TestScannerMatchesGJSON hold the walk against the former gjson walk
// (walk_reference_test.go).

// Field slots: the fields the bridge reads from each element.
const (
	slotTopic = iota
	slotTime
	slotID
	slotPartition
	numSlots
)

// maxPlanNodes bounds the keys a plan follows; longer paths go to gjson.
const maxPlanNodes = 16

// scanPlan is the set of field paths compiled into a tree of keys.
type scanPlan struct {
	paths [numSlots]string
	nodes [maxPlanNodes]planNode
	n     int
	// viaGJSON: the slots whose path the scanner cannot follow.
	viaGJSON uint8
}

type planNode struct {
	key    string
	parent int   // index of the parent node; -1 for the element's own keys
	ends   uint8 // slots whose path ends at this key
	below  uint8 // slots whose path continues below this key
}

// newScanPlan compiles the paths; "" is a field not read.
func newScanPlan(paths [numSlots]string) scanPlan {
	p := scanPlan{paths: paths}
	for slot, path := range paths {
		if path == "" {
			continue
		}
		if !p.add(uint8(1)<<slot, path) {
			p.viaGJSON |= 1 << slot
		}
	}
	return p
}

// add adds the path of the slot bit, or reports that the scanner cannot
// follow it.
func (p *scanPlan) add(bit uint8, path string) bool {
	if !plainPath(path) {
		return false
	}
	// Count the keys to add first, so that a path is added whole or not.
	parent, rest, fresh := -1, path, 0
	for rest != "" {
		key, more, _ := strings.Cut(rest, ".")
		if n := p.child(parent, key); n >= 0 {
			parent = n
		} else {
			fresh += strings.Count(rest, ".") + 1
			break
		}
		rest = more
	}
	if p.n+fresh > maxPlanNodes {
		return false
	}
	parent, rest = -1, path
	for {
		key, more, deeper := strings.Cut(rest, ".")
		n := p.child(parent, key)
		if n < 0 {
			n = p.n
			p.nodes[n] = planNode{key: key, parent: parent}
			p.n++
		}
		if !deeper {
			p.nodes[n].ends |= bit
			return true
		}
		p.nodes[n].below |= bit
		parent, rest = n, more
	}
}

func (p *scanPlan) child(parent int, key string) int {
	for n := range p.n {
		if p.nodes[n].parent == parent && p.nodes[n].key == key {
			return n
		}
	}
	return -1
}

// plainPath reports whether gjson reads path as dotted object keys and
// nothing else: non-empty keys of letters, digits, '_', '-', '$', ':' and
// '/', none of them all digits (gjson reads those as array indexes when
// they meet an array, which the scanner leaves to it).
func plainPath(path string) bool {
	for key := range strings.SplitSeq(path, ".") {
		if key == "" {
			return false
		}
		digits := true
		for i := 0; i < len(key); i++ {
			c := key[i]
			switch {
			case c >= '0' && c <= '9':
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == '-', c == '$', c == ':', c == '/':
				digits = false
			default:
				return false
			}
		}
		if digits {
			return false
		}
	}
	return true
}

// span is a value's bytes in the frame: [start, end).
type span struct{ start, end int }

// fields are the values an element holds for each slot.
type fields struct {
	at       [numSlots]span
	found    uint8 // the slots of at that are set
	viaGJSON uint8 // slots to read with gjson for this element
}

// scanObject scans the object starting at b[i] ('{') and returns the index
// just past it, filling f with the values on the plan's paths below node
// parent (-1: the element). b must be valid JSON.
//
// A slot takes the first value in document order at the end of its path,
// as gjson does: a key repeated in an object is searched again when the
// path was not found below its first occurrence.
func (p *scanPlan) scanObject(b []byte, i, parent int, f *fields) int {
	i++
	for {
		i = jsonlex.SkipSpace(b, i)
		if b[i] == '}' {
			return i + 1
		}
		keyStart := i
		i = skipString(b, i)
		key := b[keyStart+1 : i-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			key = []byte(gjson.ParseBytes(b[keyStart:i]).Str)
		}
		i = jsonlex.SkipSpace(b, i) + 1 // the ':'
		i = jsonlex.SkipSpace(b, i)
		node := -1
		for n := range p.n {
			if nd := &p.nodes[n]; nd.parent == parent && nd.key == string(key) {
				node = n
				break
			}
		}
		start := i
		if node < 0 {
			i = skipValue(b, i)
		} else {
			nd := &p.nodes[node]
			switch open := nd.below &^ f.found; {
			case open != 0 && b[i] == '{':
				i = p.scanObject(b, i, node, f)
			default:
				i = skipValue(b, i)
				// A path going on into an array or a scalar: gjson
				// knows what that means (an index, or nothing).
				f.viaGJSON |= open
			}
			for slot := range numSlots {
				if bit := uint8(1) << slot; nd.ends&bit != 0 && f.found&bit == 0 {
					f.at[slot], f.found = span{start, i}, f.found|bit
				}
			}
		}
		i = jsonlex.SkipSpace(b, i)
		if b[i] == ',' {
			i++
		}
	}
}

// result returns what gjson.Get(element, path of slot) returns.
func (p *scanPlan) result(frame, element []byte, f *fields, slot int) gjson.Result {
	if (p.viaGJSON|f.viaGJSON)&(1<<slot) != 0 {
		return gjson.Get(bytesString(element), p.paths[slot])
	}
	if f.found&(1<<slot) == 0 {
		return gjson.Result{}
	}
	sp := f.at[slot]
	raw := bytesString(frame[sp.start:sp.end])
	if raw[0] == '"' && strings.IndexByte(raw, '\\') < 0 {
		// What gjson.Parse returns for a string without escapes, without
		// reading it once more.
		return gjson.Result{Type: gjson.String, Raw: raw, Str: raw[1 : len(raw)-1]}
	}
	return gjson.Parse(raw)
}

// bytesString reads b as a string without copying: gjson reads strings,
// and the frame is never modified. Whatever is kept from a result is
// copied out (keys) or a window on the frame (values).
func bytesString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// skipString returns the index just past the string starting at b[i] ('"').
func skipString(b []byte, i int) int {
	i++
	for {
		i += bytes.IndexByte(b[i:], '"')
		// A quote preceded by an odd number of backslashes is escaped.
		k := i - 1
		for b[k] == '\\' {
			k--
		}
		if (i-1-k)%2 == 0 {
			return i + 1
		}
		i++
	}
}

// skipValue returns the index just past the value starting at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

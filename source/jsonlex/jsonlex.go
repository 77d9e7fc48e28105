// Package jsonlex holds the byte-level JSON primitives the bridge's
// decoders share: skipping white space and reading the grammar of numbers
// and literals, on a []byte and an index, without allocating. The frame
// scanner and validator of the WebSocket source and the content-key
// canonicaliser all read JSON through these, so they agree on the grammar.
package jsonlex

// SkipSpace returns the index of the first byte at or after i that is not
// JSON white space (len(b) when there is none).
func SkipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// SkipDigits returns the index of the first byte at or after i that is not
// an ASCII digit.
func SkipDigits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// Number checks the number of JSON's grammar at b[i] and returns the index
// past it; false when b[i:] does not start with one.
func Number(b []byte, i int) (int, bool) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b) || b[i] < '0' || b[i] > '9':
		return i, false
	case b[i] == '0':
		i++
	default:
		i = SkipDigits(b, i)
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return i, false
		}
		i = SkipDigits(b, i)
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return i, false
		}
		i = SkipDigits(b, i)
	}
	return i, true
}

// Literal checks that b[i:] starts with lit (true, false or null) and
// returns the index past it.
func Literal(b []byte, i int, lit string) (int, bool) {
	if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
		return i + len(lit), true
	}
	return i, false
}

package contentkey

// FuzzContentKey and its properties; the seed corpus is in
// testdata/fuzz/FuzzContentKey.

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
)

// TestFuzzPropertiesDeepNesting runs the fuzz properties on deeply nested
// documents, which random inputs rarely reach.
func TestFuzzPropertiesDeepNesting(t *testing.T) {
	for _, doc := range []string{
		strings.Repeat("[", 20000) + strings.Repeat("]", 20000),
		strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40),
	} {
		fuzzContentKey(t, []byte(doc))
	}
}

// FuzzContentKey: the content key never panics, has one format, and is the
// same for every re-serialisation of the same content: other white space,
// key order and string escapes, and, where every number is already written
// as encoding/json writes a float64, a round trip through map[string]any.
func FuzzContentKey(f *testing.F) {
	for _, s := range []string{
		`{"b":1,"a":"x"}`,
		"{ \"eventBody\" : {\"tags\":[\"x\",\"y\"], \"n\":1.50, \"conversationId\":\"c1\"},\n \"eventTime\":1795860930123}",
		`{"n":[1.5,-0,0,1e21,1e-7,123456789012345678901234567890,0.1,1E+2,-1.0e-3]}`,
		`{"s":"<&>\u2028\u2029\"\\\/\b\f\n\r\t\u0000\u001f\ud83d\ude00\ud800","é":"ü"}`,
		"{\"\xff\":\"\xfe\xc3\x28\"}",
		`{"a":1,"a":2}`, `{"a":1,"\u0061":2}`,
		`{"a":{"z":null,"y":true,"x":false,"w":[],"v":{}}}`,
		`[{"b":1},{"a":2}]`, `"x"`, `1.0`, `null`,
		`{"a":1} trailing`, `{"a":`, ``, `{"a":1}{"b":2}`,
		`{"z":{"b":[3,2,{"y":1,"x":2}],"a":-0.5e+3},"é":"日本","e":null,"":{}}`, ` [ 1 , "<&>" , true ] `,
		strings.Repeat(`[{"a":`, 50) + strings.Repeat("}]", 50),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(fuzzContentKey)
}

func fuzzContentKey(t *testing.T, data []byte) {
	checkCanonicaliser(t, data)
	key, err := Of(data)
	if err != nil {
		return
	}
	if !strings.HasPrefix(key, "sha256:") || len(key) != len("sha256:")+64 {
		t.Fatalf("key %q has the wrong format", key)
	}
	if !json.Valid(data) {
		return // ContentKey reads the first value only; nothing to compare
	}
	var out bytes.Buffer
	numbersRoundTrip, ok := reserialise(json.NewDecoder(bytes.NewReader(data)), &out)
	if !ok {
		return // duplicate keys: re-serialisations disagree on the content
	}
	if k2, err := Of(out.Bytes()); err != nil || k2 != key {
		t.Fatalf("re-serialised %q as %q: key %q, want %q (%v)", data, out.Bytes(), k2, key, err)
	}
	if !numbersRoundTrip {
		return
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if k3, err := Of(b); err != nil || k3 != key {
		t.Fatalf("round trip of %q through any gives %q: key %q, want %q (%v)", data, b, k3, key, err)
	}
}

// checkCanonicaliser: whatever document the canonicaliser takes, it writes
// exactly as encoding/json does (canonicalJSON): content keys must not
// change.
func checkCanonicaliser(t *testing.T, data []byte) {
	t.Helper()
	fast, ok := new(canonicaliser).canonical(data)
	if !ok {
		return
	}
	slow, err := canonicalJSON(data)
	if err != nil || !bytes.Equal(fast, slow) {
		t.Fatalf("canonical form of %q: canonicaliser %q, encoding/json %q (%v)", data, fast, slow, err)
	}
}

// reserialise writes the next JSON value from dec with its object keys in
// reverse order, extra white space and strings re-escaped (HTML-safe, so
// <, > and & become \u003c…), numbers as written. numbersRoundTrip reports
// whether every number survives float64 as encoding/json writes it; ok is
// false if an object repeats a key.
func reserialise(dec *json.Decoder, out *bytes.Buffer) (numbersRoundTrip, ok bool) {
	dec.UseNumber()
	type member struct {
		key string
		val []byte
	}
	var value func() (bool, bool)
	value = func() (bool, bool) {
		tok, err := dec.Token()
		if err != nil {
			panic(err) // the input is valid JSON
		}
		switch tok := tok.(type) {
		case json.Delim:
			allRound := true
			if tok == '[' {
				out.WriteString("[ ")
				for i := 0; dec.More(); i++ {
					if i > 0 {
						out.WriteString(" ,\n\t")
					}
					r, ok := value()
					if !ok {
						return false, false
					}
					allRound = allRound && r
				}
				dec.Token()
				out.WriteString(" ]")
				return allRound, true
			}
			var members []member
			seen := map[string]bool{}
			for dec.More() {
				k, _ := dec.Token()
				key := k.(string)
				if seen[key] {
					return false, false
				}
				seen[key] = true
				saved := out.Len()
				r, ok := value()
				if !ok {
					return false, false
				}
				allRound = allRound && r
				members = append(members, member{key, bytes.Clone(out.Bytes()[saved:])})
				out.Truncate(saved)
			}
			dec.Token()
			out.WriteString("{\n")
			for i := len(members) - 1; i >= 0; i-- {
				kb, _ := json.Marshal(members[i].key)
				out.Write(kb)
				out.WriteString(" : ")
				out.Write(members[i].val)
				if i > 0 {
					out.WriteString(",\r\n ")
				}
			}
			out.WriteString("\n}")
			return allRound, true
		case string:
			b, _ := json.Marshal(tok)
			out.Write(b)
			return true, true
		case json.Number:
			out.WriteString(tok.String())
			fl, err := tok.Float64()
			if err != nil || math.IsInf(fl, 0) {
				return false, true
			}
			b, _ := json.Marshal(fl)
			return string(b) == tok.String(), true
		case bool:
			out.WriteString(strconv.FormatBool(tok))
			return true, true
		default: // nil
			out.WriteString("null")
			return true, true
		}
	}
	return value()
}

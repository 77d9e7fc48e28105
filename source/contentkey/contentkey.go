// Package contentkey derives dedup keys from the content of JSON events:
// the SHA-256 of their canonical form, so that an event the upstream
// re-serialises when it sends it again keeps its key. Keys are persisted in
// Kafka (the bridge-dedup-key header) and compared across restarts and
// releases: the canonical form must never change.
package contentkey

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Of derives a dedup key from an event's content: the SHA-256 of its
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
func Of(raw []byte) (string, error) {
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

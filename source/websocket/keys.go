package websocket

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/analytics-bridge/analytics-bridge/source/contentkey"
)

// dedupKey is the event's id when it has a usable one (a non-empty string
// or number), otherwise its content key. The id is copied: gjson's strings
// may be windows on the whole frame, which the dedup window would keep
// alive for as long as it holds the key.
func dedupKey(raw []byte, id gjson.Result) (string, error) {
	if id.Exists() && (id.Type == gjson.String || id.Type == gjson.Number) && id.String() != "" {
		return strings.Clone(id.String()), nil
	}
	return contentkey.Of(raw)
}

// deadLetterKey identifies a reject across replays, so that it is
// dead-lettered once: the content key of JSON (an event without a usable
// time, which a replay may re-serialise), else the hash of the bytes.
// Rejects are rare, so validating the JSON once more costs nothing that
// matters.
func deadLetterKey(raw []byte) string {
	if json.Valid(raw) {
		if key, err := contentkey.Of(raw); err == nil {
			return "dlq:" + key
		}
	}
	sum := sha256.Sum256(raw)
	return "dlq:sha256:" + hex.EncodeToString(sum[:])
}

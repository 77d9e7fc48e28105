package genesys

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// DateLayout is how the platform writes a date: UTC with milliseconds.
const DateLayout = "2006-01-02T15:04:05.000Z"

// date renders t as the platform does.
func date(t time.Time) string { return t.UTC().Format(DateLayout) }

// errorBody is the platform's error (platformclientv2 ErrorBody).
type errorBody struct {
	Message   string `json:"message"`
	Code      string `json:"code"`
	Status    int    `json:"status"`
	ContextID string `json:"contextId"`
	Details   []any  `json:"details"`
	Errors    []any  `json:"errors"`
}

// marshal encodes v compactly without HTML escaping, so that raw pieces
// embedded in it stay byte for byte.
func marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("genesys: encode %T: %v", v, err)) // only our own types come here
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(marshal(v)) // the client may be gone; nothing to do about it
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	var id [16]byte
	_, _ = rand.Read(id[:])
	writeJSON(w, status, errorBody{Message: message, Code: code, Status: status,
		ContextID: fmt.Sprintf("%x-%x-%x-%x-%x", id[:4], id[4:6], id[6:8], id[8:10], id[10:]),
		Details:   []any{}, Errors: []any{}})
}

func badRequest(w http.ResponseWriter, format string, args ...any) {
	writeError(w, http.StatusBadRequest, "bad.request", fmt.Sprintf(format, args...))
}

func notFound(w http.ResponseWriter, format string, args ...any) {
	writeError(w, http.StatusNotFound, "not.found", fmt.Sprintf(format, args...))
}

// unauthorized is the answer to a missing, unknown or expired token.
func unauthorized(w http.ResponseWriter) {
	writeError(w, http.StatusUnauthorized, "bad.credentials", "Invalid login credentials.")
}

// readJSON decodes a request body of at most 1 MiB into v; on failure it
// answers 400 and reports false.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		badRequest(w, "failed to read the request body: %v", err)
		return false
	}
	if err := json.Unmarshal(b, v); err != nil {
		badRequest(w, "malformed request body: %v", err)
		return false
	}
	return true
}

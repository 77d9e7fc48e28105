package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Errors a call ends with, beside *StatusError. Test them with errors.Is.
var (
	// ErrRateLimited: the platform asked for a wait beyond Options.MaxWait
	// (180 s by default, the SDKs' limit), or kept answering 429.
	ErrRateLimited = errors.New("rate limited by the Genesys Cloud API")
	// ErrToken: no access token could be had from the login host.
	ErrToken = errors.New("no OAuth access token")
	// ErrCredentials: the login host refused the client credentials
	// (400 or 401: an unknown client, a wrong secret, a grant the client
	// may not use). Retrying cannot help; it wraps ErrToken.
	ErrCredentials = errors.New("the login host refused the OAuth client credentials")
)

// StatusError is an answer other than 2xx, after the retries the policy
// allows. Its Error names the call, the status and the platform's message.
type StatusError struct {
	Method, Path string
	Status       int
	Code         string // the platform's error code (bad.credentials, not.found, ...)
	Message      string
	// RetryAfter is what the answer asked for (Retry-After, else
	// inin-ratelimit-reset), zero when nothing.
	RetryAfter time.Duration
}

func (e *StatusError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	s := fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, msg)
	if e.Code != "" {
		s += " (" + e.Code + ")"
	}
	if e.RetryAfter > 0 {
		s += fmt.Sprintf("; retry after %s", e.RetryAfter)
	}
	return s
}

// StatusOf is the HTTP status of the answer err carries, or 0.
func StatusOf(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status
	}
	return 0
}

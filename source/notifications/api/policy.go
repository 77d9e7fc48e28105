package api

import (
	"net/http"
	"strconv"
	"time"
)

// The rate-limit headers of the platform: requests allowed in the window,
// requests counted so far, seconds until the window resets.
const (
	headerLimitAllowed = "inin-ratelimit-allowed"
	headerLimitCount   = "inin-ratelimit-count"
	headerLimitReset   = "inin-ratelimit-reset"
)

// verdict is what follows one answer: retry after wait, or stop.
type verdict struct {
	retry  bool
	wait   time.Duration
	reason string // rate_limited, server_error, network, unauthorized; "" for a final answer
	// giveUp is set when a retry would have been due but the policy's
	// bounds forbid it (a wait beyond maxWait, too many attempts).
	giveUp string
}

// limits are the policy's bounds.
type limits struct {
	maxWait     time.Duration // longest wait honoured (180 s)
	max429      int           // 429s retried per call
	max5xx      int           // 5xx and network failures retried per call
	unauthRetry bool          // a 401 is retried once, with a new token
}

// judge decides what follows an answer with status (0: no answer, a
// network failure) and header, the tries-th of its kind for this call
// (1 for the first); backoff is the next backoff delay.
//
//   - 429: wait Retry-After (seconds or an HTTP date), else
//     inin-ratelimit-reset, else backoff; beyond maxWait, give up.
//   - 5xx but 501 (Not Implemented will not change), and no answer at all:
//     retry after backoff, or after Retry-After when longer.
//   - 401: once, with a new token.
//   - anything else is final.
func judge(status int, header http.Header, tries int, backoff time.Duration, now time.Time, l limits) verdict {
	switch {
	case status == http.StatusTooManyRequests:
		wait := retryAfter(header, now)
		if wait <= 0 {
			wait = backoff
		}
		v := verdict{retry: true, wait: wait, reason: "rate_limited"}
		if wait > l.maxWait {
			return verdict{reason: v.reason, wait: wait, giveUp: "asked to wait " + wait.String() + ", beyond the " + l.maxWait.String() + " the client waits"}
		}
		if tries > l.max429 {
			return verdict{reason: v.reason, wait: wait, giveUp: strconv.Itoa(tries) + " answers of 429 in a row"}
		}
		return v
	case status == 0 || status >= 500 && status != http.StatusNotImplemented:
		reason := "server_error"
		if status == 0 {
			reason = "network"
		}
		wait := max(backoff, retryAfter(header, now))
		if wait > l.maxWait {
			return verdict{reason: reason, wait: wait, giveUp: "asked to wait " + wait.String() + ", beyond the " + l.maxWait.String() + " the client waits"}
		}
		if tries > l.max5xx {
			return verdict{reason: reason, wait: wait, giveUp: strconv.Itoa(tries) + " failures in a row"}
		}
		return verdict{retry: true, wait: wait, reason: reason}
	case status == http.StatusUnauthorized && l.unauthRetry && tries == 1:
		return verdict{retry: true, reason: "unauthorized"}
	}
	return verdict{}
}

// retryAfter is the wait an answer asks for: Retry-After (delta seconds or
// an HTTP date), else inin-ratelimit-reset (seconds); zero when neither.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if h == nil {
		return 0
	}
	if v := h.Get("Retry-After"); v != "" {
		if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
			return time.Duration(secs * float64(time.Second))
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(now), 0)
		}
	}
	if secs, ok := headerSeconds(h, headerLimitReset); ok {
		return secs
	}
	return 0
}

// exhausted is how long the rate-limit window the headers describe still
// forbids requests: inin-ratelimit-reset when inin-ratelimit-count has
// reached inin-ratelimit-allowed, else zero. A client that waits it out
// before its next request is not answered 429.
func exhausted(h http.Header) time.Duration {
	allowed, err1 := strconv.Atoi(h.Get(headerLimitAllowed))
	count, err2 := strconv.Atoi(h.Get(headerLimitCount))
	if err1 != nil || err2 != nil || allowed <= 0 || count < allowed {
		return 0
	}
	d, _ := headerSeconds(h, headerLimitReset)
	return d
}

func headerSeconds(h http.Header, name string) (time.Duration, bool) {
	secs, err := strconv.ParseFloat(h.Get(name), 64)
	if err != nil || secs < 0 {
		return 0, false
	}
	return time.Duration(secs * float64(time.Second)), true
}

package websocket

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/analytics-bridge/analytics-bridge/bridge/retry"
	"github.com/analytics-bridge/analytics-bridge/config"
)

func TestAfterSession(t *testing.T) {
	const backoff = 300 * time.Millisecond
	tests := []struct {
		name       string
		err        error
		reason     string
		delay      time.Duration
		invalidate bool
		fatal      bool
	}{
		{"frame too large", fmt.Errorf("%w: 9 MiB", errFrameTooLarge), "", 0, false, true},
		{"socket_closing", errSocketClosing, "socket_closing", 0, false, false},
		{"token_revoked frame", errTokenRevoked, "token_revoked", 0, true, false},
		{"policy violation close", websocket.CloseError{Code: websocket.StatusPolicyViolation}, "token_revoked", 0, true, false},
		{"idle", fmt.Errorf("%w: no frame for 75s", errIdle), "idle", backoff, false, false},
		{"going away", websocket.CloseError{Code: websocket.StatusGoingAway}, "going_away", 0, false, false},
		{"other close", websocket.CloseError{Code: websocket.StatusInternalError}, "closed", backoff, false, false},
		{"broken connection", io.ErrUnexpectedEOF, "error", backoff, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := afterSession(tt.err, backoff, 8<<20)
			if tt.fatal {
				if d.fatal == nil || !strings.Contains(d.fatal.Error(), "MAX_FRAME_BYTES=8388608") {
					t.Fatalf("fatal = %v, want a permanent error naming MAX_FRAME_BYTES", d.fatal)
				}
				return
			}
			if d.fatal != nil || d.reason != tt.reason || d.delay != tt.delay || d.invalidate != tt.invalidate {
				t.Errorf("afterSession = %+v, want reason %q delay %s invalidate %v", d, tt.reason, tt.delay, tt.invalidate)
			}
		})
	}
}

func TestAfterRefusal(t *testing.T) {
	const backoff = 300 * time.Millisecond
	since := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	refused := func(status int, body, retryAfter string) error {
		res := &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}
		if retryAfter != "" {
			res.Header.Set("Retry-After", retryAfter)
		}
		return classifyHTTP(res)
	}
	tooOld := refused(400, `{"message":"since is older than the retention window","code":"bad.request"}`, "")
	tests := []struct {
		name       string
		err        error
		onStale    config.StaleSince
		reason     string
		delay      time.Duration
		invalidate bool
		gap        bool
		fatal      error
	}{
		{"401", refused(401, `{"code":"bad.credentials"}`, ""), config.StaleSinceFail, "unauthorized", backoff, true, false, nil},
		{"stale since, fail", tooOld, config.StaleSinceFail, "", 0, false, false, ErrSinceTooOld},
		{"stale since, resume-now", tooOld, config.StaleSinceResumeNow, "", 0, false, true, nil},
		{"malformed since", refused(400, `{"message":"since is malformed"}`, ""), config.StaleSinceFail, "", 0, false, false, errSinceMalformed},
		{"other 400", refused(400, `{"message":"nope"}`, ""), config.StaleSinceFail, "", 0, false, false, errBadRequest},
		{"future since", refused(400, `{"message":"since is in the future"}`, ""), config.StaleSinceFail, "since_future", backoff, false, false, nil},
		{"429 waits Retry-After", refused(429, "", "7"), config.StaleSinceFail, "rate_limited", 7 * time.Second, false, false, nil},
		{"429 shorter than backoff", refused(429, "", "0"), config.StaleSinceFail, "rate_limited", backoff, false, false, nil},
		{"503", refused(503, "busy", "2"), config.StaleSinceFail, "http_503", 2 * time.Second, false, false, nil},
		{"dial error", errors.New("connection refused"), config.StaleSinceFail, "dial", backoff, false, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := afterRefusal(tt.err, backoff, since, tt.onStale, "events")
			if tt.fatal != nil {
				if !errors.Is(d.fatal, tt.fatal) {
					t.Fatalf("fatal = %v, want %v", d.fatal, tt.fatal)
				}
				return
			}
			if d.fatal != nil || d.gap != tt.gap || d.invalidate != tt.invalidate || (!tt.gap && (d.reason != tt.reason || d.delay != tt.delay)) {
				t.Errorf("afterRefusal = %+v, want reason %q delay %s invalidate %v gap %v", d, tt.reason, tt.delay, tt.invalidate, tt.gap)
			}
		})
	}
}

func TestStaleSinceErrorNamesTheWayOut(t *testing.T) {
	err := classifyHTTP(&http.Response{StatusCode: 400, Header: http.Header{},
		Body: io.NopCloser(strings.NewReader(`{"message":"since is older than the retention window"}`))})
	d := afterRefusal(err, 0, time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC), config.StaleSinceFail, "analytics.events")
	for _, want := range []string{"2026-11-28T10:00:00Z", "ON_STALE_SINCE=resume-now", "analytics.events", "BRIDGE_NAME"} {
		if d.fatal == nil || !strings.Contains(d.fatal.Error(), want) {
			t.Errorf("error %v does not mention %q", d.fatal, want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"5", 5 * time.Second},
		{" 12 ", 12 * time.Second},
		{"-3", 0},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestBackoffGrowsWithJitterAndResets(t *testing.T) {
	bo := retry.NewBackoff(100*time.Millisecond, time.Second, 1)
	ceilings := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, ceiling := range ceilings {
		ceiling *= time.Millisecond
		d := bo.Next()
		if d < ceiling/2 || d > ceiling {
			t.Errorf("attempt %d: %s, want within [%s, %s]", i, d, ceiling/2, ceiling)
		}
	}
	bo.Reset()
	if d := bo.Next(); d > 100*time.Millisecond {
		t.Errorf("after reset: %s, want at most the minimum", d)
	}
}

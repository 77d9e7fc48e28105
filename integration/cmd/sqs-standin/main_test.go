package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/syncbuf"
)

// It prints the bridge's settings, serves, and stops when its context ends.
func TestRunPrintsSettingsAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out syncbuf.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-conversations", "3", "-resend-rate", "0.5"}, &out)
	}()
	for !strings.Contains(out.String(), "SQS_QUEUE_URL=") {
		select {
		case err := <-done:
			t.Fatalf("run ended early: %v; output %q", err, out.String())
		default:
			time.Sleep(time.Millisecond)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	for _, want := range []string{"distinct (topicName, eventBody) pairs", "export SQS_ENDPOINT_URL=http://127.0.0.1:", "/000000000000/genesys"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestBadFlagsAreRefused(t *testing.T) {
	if err := run(context.Background(), []string{"-queue", "no spaces"}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "-queue") {
		t.Fatalf("bad queue name: %v", err)
	}
}

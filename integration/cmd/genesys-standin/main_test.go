package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/syncbuf"
)

// It prints the URLs, serves them, and stops when its context ends.
func TestRunPrintsURLsServesAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out syncbuf.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-login-addr", "127.0.0.1:0", "-api-addr", "127.0.0.1:0", "-streaming-addr", "127.0.0.1:0",
			"-queues", "2"}, &out)
	}()
	for strings.Count(out.String(), "# queue ") < 2 {
		select {
		case err := <-done:
			t.Fatalf("run ended early: %v; output %q", err, out.String())
		default:
			time.Sleep(time.Millisecond)
		}
	}
	var login string
	for _, line := range strings.Split(out.String(), "\n") {
		if v, ok := strings.CutPrefix(line, "export GENESYS_LOGIN_URL="); ok {
			login = v
		}
	}
	req, _ := http.NewRequest(http.MethodPost, login+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("standin-client", "standin-secret")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("token from the printed login URL: %v %v", err, res)
	}
	res.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	for _, want := range []string{"export GENESYS_API_URL=http://127.0.0.1:", "export GENESYS_STREAMING_URL=ws://127.0.0.1:",
		"GENESYS_CLIENT_ID=standin-client", ".conversations"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestBadFlagsAreRefused(t *testing.T) {
	err := run(context.Background(), []string{"-queues", "-3"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "Queues") {
		t.Fatalf("negative queues: %v", err)
	}
}

package main

import (
	"bytes"
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
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
	exports := exported(t, out.String())
	req, _ := http.NewRequest(http.MethodPost, exports["GENESYS_LOGIN_URL"]+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(exports["OAUTH_CLIENT_ID"], exports["OAUTH_CLIENT_SECRET"])
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("token from the printed login URL and credentials: %v %v", err, res)
	}
	res.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	for _, want := range []string{"# streaming host ws://127.0.0.1:", ".conversations"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// The exports are the bridge's own settings: with KAFKA_BROKERS added they
// are a valid notifications configuration pointing at the stand-in.
func TestExportsConfigureTheBridge(t *testing.T) {
	srv, err := genesys.New(genesys.Options{LoginAddr: "127.0.0.1:0", APIAddr: "127.0.0.1:0", StreamingAddr: "127.0.0.1:0",
		Clients: []genesys.Client{{ID: "client with space", Secret: "it's secret"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var out bytes.Buffer
	printEnv(&out, 1, srv, "client with space", "it's secret")
	exports := exported(t, out.String())
	env := config.Defaults()
	set(t, &env, "KAFKA_BROKERS", "localhost:9092")
	for name, v := range exports {
		set(t, &env, name, v)
	}
	cfg, err := env.Validate()
	if err != nil {
		t.Fatalf("the exports do not configure the bridge: %v\n%s", err, out.String())
	}
	n := cfg.Notifications
	if cfg.Source != config.SourceNotifications || n.APIURL != srv.APIURL() || n.LoginURL != srv.LoginURL() ||
		n.ClientID != "client with space" || n.ClientSecret != "it's secret" || !n.AllQueues {
		t.Fatalf("configuration %+v from\n%s", n, out.String())
	}
}

// exported reads the export lines of out as a shell would (values plain or
// single-quoted); any other line must be a comment.
func exported(t *testing.T, out string) map[string]string {
	t.Helper()
	vars := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		rest, ok := strings.CutPrefix(line, "export ")
		if !ok {
			if !strings.HasPrefix(line, "#") {
				t.Fatalf("line %q is neither an export nor a comment", line)
			}
			continue
		}
		name, value, _ := strings.Cut(rest, "=")
		if strings.HasPrefix(value, "'") {
			value = strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(value, "'"), "'"), `'\''`, "'")
		}
		vars[name] = value
	}
	for _, name := range []string{"SOURCE", "GENESYS_API_URL", "GENESYS_LOGIN_URL", "OAUTH_CLIENT_ID", "OAUTH_CLIENT_SECRET", "GENESYS_QUEUE_IDS"} {
		if _, ok := vars[name]; !ok {
			t.Fatalf("no export of %s in\n%s", name, out)
		}
	}
	return vars
}

// set sets the variable name of e.
func set(t *testing.T, e *config.Env, name, value string) {
	t.Helper()
	v := reflect.ValueOf(e).Elem()
	for i := range v.NumField() {
		if v.Type().Field(i).Tag.Get("envconfig") == name {
			v.Field(i).SetString(value)
			return
		}
	}
	t.Fatalf("%s is not a setting of the bridge", name)
}

func TestBadFlagsAreRefused(t *testing.T) {
	err := run(context.Background(), []string{"-queues", "-3"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "Queues") {
		t.Fatalf("negative queues: %v", err)
	}
}

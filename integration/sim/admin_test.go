package sim

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/coder/websocket"
)

func admin(t *testing.T, s *Server, method, path string) (int, []byte) {
	t.Helper()
	resp, b := httpDo(t, method, s.AdminURL()+path, nil, nil)
	return resp.StatusCode, b
}

func TestAdminAPI(t *testing.T) {
	s := newTestServer(t, Config{Rate: 1000, StaticTokens: []string{"tok"}})
	if err := s.WaitEmitted(testContext(t), 20); err != nil {
		t.Fatal(err)
	}

	if code, b := admin(t, s, http.MethodPost, "/pause"); code != 200 || !s.paused.Load() {
		t.Fatalf("pause: %d %s", code, b)
	}
	c := dial(t, s, "tok", "")

	code, b := admin(t, s, http.MethodGet, "/stats")
	var st Stats
	if code != 200 || json.Unmarshal(b, &st) != nil || st.Emitted != s.Emitted() || st.Active != 1 ||
		len(st.Connections) != 1 || !st.Paused || strings.Contains(string(b), "tok") {
		t.Fatalf("stats: %d %s", code, b)
	}

	code, b = admin(t, s, http.MethodGet, "/ledger")
	var lines []ledgerLine
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var line ledgerLine
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("ledger line %q: %v", sc.Bytes(), err)
		}
		lines = append(lines, line)
	}
	l := s.Ledger()
	if code != 200 || len(lines) != len(l) || lines[0].ID != l[0].ID || lines[0].Seq != 1 ||
		!bytes.Equal(lines[0].Raw, l[0].Raw) || lines[0].Time != l[0].Time.Format(TimestampLayout) {
		t.Fatalf("ledger: %d, %d lines for %d events", code, len(lines), len(l))
	}

	for _, bad := range []string{
		"/faults/drop", "/faults/drop?after=x", "/faults/drop?after=-1", "/faults/refuse?status=200",
		"/faults/refuse?retry_after=soon", "/faults/socket-closing?after=-1s", "/faults/close?code=99", "/faults/reset?x=1",
	} {
		if code, b := admin(t, s, http.MethodPost, bad); code != 400 || !strings.Contains(string(b), "bad.request") {
			t.Errorf("POST %s: %d %s, want 400", bad, code, b)
		}
	}
	if code, _ := admin(t, s, http.MethodGet, "/faults/reset"); code != 405 {
		t.Errorf("GET a fault: %d, want 405", code)
	}
	if code, _ := admin(t, s, http.MethodPost, "/nothing"); code != 404 {
		t.Errorf("unknown admin path: %d, want 404", code)
	}

	if code, b := admin(t, s, http.MethodPost, "/faults/refuse?count=1&status=429&retry_after=2s"); code != 200 {
		t.Fatalf("refuse: %d %s", code, b)
	}
	if resp, _ := dialFail(t, s, "tok", ""); resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" {
		t.Fatalf("after admin refuse: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}

	if code, b := admin(t, s, http.MethodPost, "/faults/close?code=4001&reason=bye"); code != 200 {
		t.Fatalf("close: %d %s", code, b)
	}
	if _, err := c.closed(); websocket.CloseStatus(err) != 4001 {
		t.Fatalf("after admin close: %v", err)
	}

	code, b = admin(t, s, http.MethodPost, "/tokens?lifetime=1m")
	var tok tokenResponse
	if code != 200 || json.Unmarshal(b, &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("tokens: %d %s", code, b)
	}
	if code, _ := admin(t, s, http.MethodPost, "/resume"); code != 200 || s.paused.Load() {
		t.Fatal("resume")
	}
	dial(t, s, tok.AccessToken, "").events(3)
}

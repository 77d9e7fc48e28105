package websocket

import (
	"context"
	"time"

	ws "github.com/coder/websocket"

	"github.com/analytics-bridge/analytics-bridge/source"
)

// Check gets a token and opens the WebSocket with since=now, then closes
// it: what `analytics-bridge check --connect` reports of the upstream. The
// token, like the handshake, goes through the upstream transport
// (ANALYTICS_CA_FILE, the client certificate, the proxy).
func (s *Source) Check(ctx context.Context) []source.CheckResult {
	var out []source.CheckResult
	add := func(name string, err error, detail string) bool {
		r := source.CheckResult{Name: name, OK: err == nil, Detail: detail}
		if err != nil {
			r.Detail = err.Error()
		}
		out = append(out, r)
		return err == nil
	}
	if _, err := s.dialer.token(ctx); add("token", err, s.cfg.Token.Kind()+" token obtained") {
		conn, err := s.dialer.dial(ctx, time.Now().UTC())
		if err == nil {
			_ = conn.Close(ws.StatusNormalClosure, "analytics-bridge check")
		}
		add("upstream", err, "WebSocket handshake accepted with since=now, then closed")
	}
	return out
}

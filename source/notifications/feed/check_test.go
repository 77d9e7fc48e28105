package feed

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
	"github.com/analytics-bridge/analytics-bridge/integration/genesystest"
	"github.com/analytics-bridge/analytics-bridge/source"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/api"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/discovery"
)

// checkRig is a Source against a stand-in, recording the paths it called.
type checkRig struct {
	kit   *genesystest.Kit
	src   *Source
	mu    sync.Mutex
	calls []string
}

func newCheckRig(t *testing.T, clients []genesys.Client, id, secret string, d discovery.Options) *checkRig {
	t.Helper()
	r := &checkRig{kit: genesystest.Start(t, genesys.Options{Clients: clients, Queues: 3})}
	src, err := New(Options{API: api.Options{LoginURL: r.kit.Server.LoginURL(), APIURL: r.kit.Server.APIURL(),
		ClientID: id, ClientSecret: secret, HTTPClient: r.kit.HTTPClient(), Clock: r.kit.Clock,
		Observe: func(a api.Attempt) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.calls = append(r.calls, a.Method+" "+a.Path)
		}}, Discovery: d})
	if err != nil {
		t.Fatal(err)
	}
	r.src = src
	return r
}

func (r *checkRig) check(t *testing.T) map[string]source.CheckResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out := map[string]source.CheckResult{}
	for _, l := range r.src.Check(ctx) {
		if _, twice := out[l.Name]; twice {
			t.Fatalf("two %q lines", l.Name)
		}
		out[l.Name] = l
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.calls {
		if strings.Contains(c, "/notifications/channels") {
			t.Errorf("the check called %s: it must not take a channel", c)
		}
	}
	return out
}

// line is what a test expects of one check line.
type line struct {
	ok, warning bool
	detail      []string // substrings of Detail
}

func expectLines(t *testing.T, got map[string]source.CheckResult, want map[string]line) {
	t.Helper()
	for name, w := range want {
		g, found := got[name]
		if !found {
			t.Errorf("no %q line in %v", name, got)
			continue
		}
		if g.OK != w.ok || g.Warning != w.warning {
			t.Errorf("%s: ok %v warning %v, want ok %v warning %v: %s", name, g.OK, g.Warning, w.ok, w.warning, g.Detail)
		}
		for _, d := range w.detail {
			if !strings.Contains(g.Detail, d) {
				t.Errorf("%s: %q lacks %q", name, g.Detail, d)
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d lines, want %d: %v", len(got), len(want), got)
	}
}

var (
	queueTemplates = []string{"v2.routing.queues.{id}.conversations"}
	someDetails    = []string{"customer.start", "acd.end"}
)

func TestCheckAgainstTheStandIn(t *testing.T) {
	t.Run("every permission, all queues", func(t *testing.T) {
		r := newCheckRig(t, nil, genesys.DefaultClientID, genesys.DefaultClientSecret,
			discovery.Options{Templates: queueTemplates, AllQueues: true, DetailTypes: someDetails})
		expectLines(t, r.check(t), map[string]line{
			"token":               {ok: true, detail: []string{"OAUTH_CLIENT_ID " + genesys.DefaultClientID}},
			"notification topics": {ok: true, detail: []string{"3 topic templates are offered on the WebSocket", "analytics:conversationDetail:view, routing:queue:view"}},
			"queues":              {ok: true, detail: []string{"3 queues listed"}},
			"details query":       {ok: true, detail: []string{"2026-11-30T09:57:59.000Z/2026-11-30T09:58:59.000Z", "totalHits"}},
		})
	})
	t.Run("listed queues, one unknown; a topic not offered", func(t *testing.T) {
		r := newCheckRig(t, nil, genesys.DefaultClientID, genesys.DefaultClientSecret, discovery.Options{})
		q := r.kit.Server.Queues()
		unknown := "00000000-0000-4000-8000-000000000000"
		r.src.opts.Discovery = discovery.Options{Templates: append(queueTemplates, "v2.analytics.queues.{id}.observations"),
			QueueIDs: []string{q[0].ID, unknown, q[2].ID}}
		expectLines(t, r.check(t), map[string]line{
			"token":               {ok: true},
			"notification topics": {ok: true, warning: true, detail: []string{"not listed by GET /api/v2/notifications/availabletopics", "v2.analytics.queues.{id}.observations"}},
			"queues":              {ok: false, detail: []string{"1 of the 3 queues of GENESYS_QUEUE_IDS not found", unknown}},
			"details query":       {ok: true},
		})
	})
	t.Run("listed queues, all found", func(t *testing.T) {
		r := newCheckRig(t, nil, genesys.DefaultClientID, genesys.DefaultClientSecret, discovery.Options{})
		q := r.kit.Server.Queues()
		r.src.opts.Discovery = discovery.Options{Templates: queueTemplates, QueueIDs: []string{q[1].ID, q[2].ID}}
		expectLines(t, r.check(t), map[string]line{
			"token": {ok: true}, "notification topics": {ok: true}, "details query": {ok: true},
			"queues": {ok: true, detail: []string{"the 2 queues of GENESYS_QUEUE_IDS found"}},
		})
	})
	t.Run("a client without permissions", func(t *testing.T) {
		r := newCheckRig(t, []genesys.Client{{ID: "bare", Secret: "bare-secret", Permissions: []string{}}}, "bare", "bare-secret",
			discovery.Options{Templates: queueTemplates, AllQueues: true, DetailTypes: someDetails})
		expectLines(t, r.check(t), map[string]line{
			"token":               {ok: true},
			"notification topics": {ok: true},
			"queues":              {ok: false, detail: []string{"lacks routing:queue:view", "403"}},
			"details query":       {ok: false, detail: []string{"lacks analytics:conversationDetail:view", "403"}},
		})
	})
	t.Run("a wrong secret", func(t *testing.T) {
		const secret = "not-the-secret-4711"
		r := newCheckRig(t, nil, genesys.DefaultClientID, secret, discovery.Options{Templates: queueTemplates, AllQueues: true})
		got := r.check(t)
		expectLines(t, got, map[string]line{
			"token": {ok: false, detail: []string{"refused OAUTH_CLIENT_ID " + genesys.DefaultClientID, "OAUTH_CLIENT_SECRET", "invalid_client"}},
		})
		if strings.Contains(got["token"].Detail, secret) {
			t.Fatalf("the secret is printed: %s", got["token"].Detail)
		}
	})
	t.Run("no template with {id}", func(t *testing.T) {
		r := newCheckRig(t, nil, genesys.DefaultClientID, genesys.DefaultClientSecret,
			discovery.Options{Templates: []string{genesys.TopicJobsAvailability}})
		expectLines(t, r.check(t), map[string]line{
			"token": {ok: true}, "notification topics": {ok: true}, "details query": {ok: true},
			"queues": {ok: true, detail: []string{"no template of GENESYS_TOPICS holds {id}"}},
		})
	})
}

func TestJudgeTopics(t *testing.T) {
	listing := func(transports map[string][]string) availableTopics {
		var l availableTopics
		for id, tr := range transports {
			l.Entities = append(l.Entities, struct {
				ID                  string   `json:"id"`
				RequiresPermissions []string `json:"requiresPermissions"`
				Transports          []string `json:"transports"`
			}{ID: id, Transports: tr})
		}
		return l
	}
	const queue, detail = "v2.routing.queues.{id}.conversations", "v2.detail.events.conversation.{id}.acd.end"
	wanted := []wantedTopic{{template: queue}, {template: detail, detail: true}}
	for _, tc := range []struct {
		name        string
		transports  map[string][]string
		ok, warning bool
		detail      string
	}{
		{"all on every transport", map[string][]string{queue: {"All"}, detail: {"All"}}, true, false, "2 topic templates are offered"},
		{"websocket named", map[string][]string{queue: {"Websocket", "EventBridge"}, detail: {"Websocket"}}, true, false, "offered on the WebSocket"},
		{"transports not said", map[string][]string{queue: nil, detail: nil}, true, false, "offered on the WebSocket"},
		{"detail topics on EventBridge only", map[string][]string{queue: {"All"}, detail: {"EventBridge"}}, true, true,
			"detail topics not offered on the WebSocket"},
		{"queue topic on EventBridge only", map[string][]string{queue: {"EventBridge"}, detail: {"All"}}, false, false,
			"(nothing of them would be received): " + queue + " [EventBridge]"},
		{"detail topic not listed", map[string][]string{queue: {"All"}}, true, true, "not listed by GET /api/v2/notifications/availabletopics (a subscription may be Rejected): " + detail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := judgeTopics(listing(tc.transports), wanted)
			if r.OK != tc.ok || r.Warning != tc.warning || !strings.Contains(r.Detail, tc.detail) {
				t.Fatalf("ok %v warning %v %q; want ok %v warning %v and %q", r.OK, r.Warning, r.Detail, tc.ok, tc.warning, tc.detail)
			}
		})
	}
}

// Whatever echoes the secret, no check line shows it.
func TestCheckRedactsTheSecret(t *testing.T) {
	s := &Source{opts: Options{API: api.Options{ClientSecret: "s3cr3t-value"}}}
	if got := s.redact("login said: bad secret s3cr3t-value for x"); strings.Contains(got, "s3cr3t-value") || !strings.Contains(got, "[OAUTH_CLIENT_SECRET]") {
		t.Fatalf("redacted: %q", got)
	}
}

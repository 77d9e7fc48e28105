package config_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/analytics-bridge/analytics-bridge/config"
)

func TestNotificationsProblems(t *testing.T) {
	manyQueues := make([]string, 1001)
	for i := range manyQueues {
		manyQueues[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
	}
	tests := []struct {
		name   string
		mutate func(*config.Env)
		want   []string // substrings, each must appear
	}{
		{"no region nor hosts", func(e *config.Env) { e.GenesysRegion = "" },
			[]string{"GENESYS_REGION: is required with SOURCE=notifications", "GENESYS_API_URL and GENESYS_LOGIN_URL"}},
		{"unknown region", func(e *config.Env) { e.GenesysRegion = "api.mypurecloud.com" },
			[]string{`GENESYS_REGION: "api.mypurecloud.com" is not a known Genesys Cloud region`, "mypurecloud.com, usw2.pure.cloud", "apse1.pure.cloud", "set GENESYS_API_URL and GENESYS_LOGIN_URL"}},
		{"region and hosts", func(e *config.Env) { e.GenesysAPIURL, e.GenesysLoginURL = "https://a.example", "https://l.example" },
			[]string{"GENESYS_REGION: set GENESYS_REGION, or GENESYS_API_URL with GENESYS_LOGIN_URL, not both"}},
		{"region and one host", func(e *config.Env) { e.GenesysLoginURL = "https://l.example" }, []string{"GENESYS_REGION: set GENESYS_REGION"}},
		{"api host alone", func(e *config.Env) { e.GenesysRegion, e.GenesysAPIURL = "", "https://a.example" },
			[]string{"GENESYS_LOGIN_URL: is required with GENESYS_API_URL"}},
		{"login host alone", func(e *config.Env) { e.GenesysRegion, e.GenesysLoginURL = "", "https://l.example" },
			[]string{"GENESYS_API_URL: is required with GENESYS_LOGIN_URL"}},
		{"host schemes", func(e *config.Env) {
			e.GenesysRegion, e.GenesysAPIURL, e.GenesysLoginURL = "", "wss://a.example", "login.example"
		},
			[]string{`GENESYS_API_URL: scheme "wss" is not one of https, http`, `GENESYS_LOGIN_URL: "login.example" is not an absolute URL`}},
		{"host with a path", func(e *config.Env) {
			e.GenesysRegion, e.GenesysAPIURL, e.GenesysLoginURL = "", "https://api.example/api/v2", "https://login.example/oauth/token"
		}, []string{`GENESYS_API_URL: "https://api.example/api/v2" is more than scheme://host[:port]`, `GENESYS_LOGIN_URL: "https://login.example/oauth/token" is more than`}},
		{"no client id", func(e *config.Env) { e.OAuthClientID = "" }, []string{"OAUTH_CLIENT_ID: is required with SOURCE=notifications"}},
		{"no client secret", func(e *config.Env) { e.OAuthClientSecret = "" },
			[]string{"OAUTH_CLIENT_SECRET: is required with SOURCE=notifications (or OAUTH_CLIENT_SECRET_FILE)"}},
		{"secret and its file", func(e *config.Env) { e.OAuthSecretFile = "/run/secret" },
			[]string{"OAUTH_CLIENT_SECRET_FILE: set OAUTH_CLIENT_SECRET or OAUTH_CLIENT_SECRET_FILE, not both"}},
		{"unreadable secret file", func(e *config.Env) { e.OAuthClientSecret, e.OAuthSecretFile = "", "/no/such/secret" },
			[]string{"OAUTH_CLIENT_SECRET_FILE: cannot be read"}},
		{"token url", func(e *config.Env) { e.OAuthTokenURL = "https://login.mypurecloud.ie/oauth/token" },
			[]string{"OAUTH_TOKEN_URL: is not used with SOURCE=notifications: the token endpoint is GENESYS_LOGIN_URL/oauth/token"}},
		{"scopes", func(e *config.Env) { e.OAuthScopes = "analytics" }, []string{"OAUTH_SCOPES: is not used with SOURCE=notifications"}},
		{"no topics", func(e *config.Env) { e.GenesysTopics = " , " }, []string{"GENESYS_TOPICS: is required"}},
		{"topic not v2", func(e *config.Env) { e.GenesysTopics = "routing.queues.{id}.conversations" },
			[]string{`GENESYS_TOPICS: template "routing.queues.{id}.conversations" does not start with v2.`}},
		{"combined topic", func(e *config.Env) { e.GenesysTopics = "v2.routing.queues.{id}?conversations&calls" },
			[]string{`GENESYS_TOPICS: template "v2.routing.queues.{id}?conversations&calls" holds ? or &`}},
		{"ampersand", func(e *config.Env) { e.GenesysTopics = "v2.a&b.{id}" }, []string{`GENESYS_TOPICS: template "v2.a&b.{id}" holds ? or &`}},
		{"white space", func(e *config.Env) { e.GenesysTopics = "v2.routing.queues.{id} .conversations" },
			[]string{`GENESYS_TOPICS: template "v2.routing.queues.{id} .conversations" holds white space`}},
		{"two ids", func(e *config.Env) { e.GenesysTopics = "v2.users.{id}.queues.{id}" },
			[]string{`GENESYS_TOPICS: template "v2.users.{id}.queues.{id}" holds {id} more than once`}},
		{"another placeholder", func(e *config.Env) { e.GenesysTopics = "v2.routing.queues.{queueId}.conversations" },
			[]string{`GENESYS_TOPICS: template "v2.routing.queues.{queueId}.conversations" holds a brace other than {id}`}},
		{"every bad template named", func(e *config.Env) { e.GenesysTopics = "x.{id},v2.ok.{id},v2.{id}.{id}" },
			[]string{`template "x.{id}"`, `template "v2.{id}.{id}"`}},
		{"queues required", func(e *config.Env) { e.GenesysQueueIDs = "" },
			[]string{"GENESYS_QUEUE_IDS: is required: a template of GENESYS_TOPICS holds {id}"}},
		{"queue id not a uuid", func(e *config.Env) { e.GenesysQueueIDs = queueA + ",support" },
			[]string{`GENESYS_QUEUE_IDS: "support" is not a queue id`}},
		{"all among ids", func(e *config.Env) { e.GenesysQueueIDs = "all," + queueA }, []string{"GENESYS_QUEUE_IDS: all stands alone"}},
		{"queues without a template that uses them", func(e *config.Env) { e.GenesysTopics = "v2.analytics.conversations.details.jobs.availability" },
			[]string{"GENESYS_QUEUE_IDS: is set but no template of GENESYS_TOPICS holds {id}"}},
		{"unknown detail event", func(e *config.Env) { e.GenesysDetailEvents = "acd.start,agent.start" },
			[]string{`GENESYS_DETAIL_EVENTS: "agent.start" is not a detail event type (acd.start, acd.end, acw, attributes`, "voicemail.end, wrapup), nor none"}},
		{"none among types", func(e *config.Env) { e.GenesysDetailEvents = "acw,none" }, []string{"GENESYS_DETAIL_EVENTS: none stands alone"}},
		{"no detail events", func(e *config.Env) { e.GenesysDetailEvents = "" }, []string{"GENESYS_DETAIL_EVENTS: is required"}},
		{"channels", func(e *config.Env) { e.GenesysMaxChannels = "21" }, []string{"GENESYS_MAX_CHANNELS: 21 is outside 1..20"}},
		{"no channel", func(e *config.Env) { e.GenesysMaxChannels = "0" }, []string{"GENESYS_MAX_CHANNELS: 0 is outside 1..20"}},
		{"queue refresh", func(e *config.Env) { e.GenesysQueueRefresh = "30s" }, []string{"GENESYS_QUEUE_REFRESH: 30s is less than 1m0s"}},
		{"linger", func(e *config.Env) { e.GenesysConversationLinger = "-1s" }, []string{"GENESYS_CONVERSATION_LINGER: -1s is less than 0s"}},
		{"linger not a duration", func(e *config.Env) { e.GenesysConversationLinger = "5" }, []string{`GENESYS_CONVERSATION_LINGER: "5" is not a duration`}},
		{"followed", func(e *config.Env) { e.GenesysMaxFollowed = "0" }, []string{"GENESYS_MAX_FOLLOWED: 0 is outside 1..20000"}},
		{"backfill poll", func(e *config.Env) { e.GenesysBackfillPoll = "500ms" }, []string{"GENESYS_BACKFILL_POLL: 500ms is less than 1s"}},
		{"backfill wait", func(e *config.Env) { e.GenesysBackfillMaxWait = "30s" }, []string{"GENESYS_BACKFILL_MAX_WAIT: 30s is less than 1m0s"}},
		{"backfill wait below the poll", func(e *config.Env) { e.GenesysBackfillPoll, e.GenesysBackfillMaxWait = "10m", "5m" },
			[]string{"GENESYS_BACKFILL_MAX_WAIT: 5m0s is less than GENESYS_BACKFILL_POLL (10m0s)"}},
		{"followed beyond the channels", func(e *config.Env) { e.GenesysMaxChannels = "1" },
			[]string{"GENESYS_MAX_FOLLOWED: 2500 conversations x 7 detail event types and 2 queue topics need 17502 topics, more than GENESYS_MAX_CHANNELS x 1000 = 1000; at most 142 conversations fit"}},
		{"followed one beyond", func(e *config.Env) {
			e.GenesysMaxChannels, e.GenesysDetailEvents, e.GenesysMaxFollowed = "1", "acd.start,acd.end", "500"
		}, []string{"GENESYS_MAX_FOLLOWED: 500 conversations x 2 detail event types and 2 queue topics need 1002 topics"}},
		{"default followed beyond fewer channels", func(e *config.Env) { e.GenesysMaxChannels = "17" },
			[]string{"GENESYS_MAX_FOLLOWED: 2500 conversations x 7 detail event types"}},
		{"queue topics beyond the channels", func(e *config.Env) {
			e.GenesysMaxChannels, e.GenesysDetailEvents, e.GenesysQueueIDs = "1", "none", strings.Join(manyQueues, ",")
		}, []string{"GENESYS_QUEUE_IDS: 1001 queue topics are more than GENESYS_MAX_CHANNELS x 1000 = 1000 topics"}},
		{"all at once", func(e *config.Env) {
			e.GenesysRegion, e.GenesysTopics, e.GenesysDetailEvents, e.OAuthClientID = "", "v1.x", "end", ""
		}, []string{"GENESYS_REGION: is required", `GENESYS_TOPICS: template "v1.x"`, `GENESYS_DETAIL_EVENTS: "end"`, "OAUTH_CLIENT_ID: is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := notificationsEnv()
			tt.mutate(&e)
			_, err := e.Validate()
			if !errors.Is(err, config.ErrInvalid) {
				t.Fatalf("error %v, want an invalid configuration", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestNotificationsSecretsNeverShown(t *testing.T) {
	e := notificationsEnv()
	e.OAuthClientSecret = "cs-hush-1"
	e.OAuthSecretFile = "/run/secret"
	e.OAuthTokenURL = "https://u:tu-hush-2@login.example/oauth/token?key=hush-3"
	e.GenesysRegion = ""
	e.GenesysAPIURL = "https://u:pw-hush-4@api.example/api/v2?token=hush-5"
	e.GenesysLoginURL = "ftp://u:pw-hush-6@login.example"
	_, err := e.Validate()
	if err == nil {
		t.Fatal("expected an error")
	}
	// The marker is lower case: the variables' names hold SECRET.
	if strings.Contains(err.Error(), "hush") {
		t.Errorf("error leaks a secret: %v", err)
	}
	for _, w := range []string{"OAUTH_CLIENT_SECRET_FILE", "OAUTH_TOKEN_URL", "GENESYS_API_URL", "GENESYS_LOGIN_URL"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error does not name %s: %v", w, err)
		}
	}

	cfg := validated(t, notificationsEnv())
	if s := cfg.UpstreamSummary(); strings.Contains(s, cfg.Notifications.ClientSecret) {
		t.Errorf("summary leaks the client secret: %s", s)
	}
}

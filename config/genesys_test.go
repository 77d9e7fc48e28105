package config_test

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/config"
)

const (
	queueA = "2a8a1ab4-6e2b-4d5e-9c4f-0d1c2b3a4f5e"
	queueB = "7f3c9d10-1b2a-4c5d-8e9f-a0b1c2d3e4f5"
)

// notificationsEnv is a valid notifications environment: only what the
// source requires, none of the websocket source's settings.
func notificationsEnv() config.Env {
	e := config.Defaults()
	e.KafkaBrokers = "k1:9092"
	e.Source = "notifications"
	e.GenesysRegion = "mypurecloud.ie"
	e.GenesysQueueIDs = queueA + ", " + queueB
	e.OAuthClientID, e.OAuthClientSecret = "client-1", "cs-SECRET-0"
	return e
}

func TestNotificationsSource(t *testing.T) {
	cfg := validated(t, notificationsEnv()) // no ANALYTICS_URL nor token: not required
	want := config.Notifications{
		Region: "mypurecloud.ie", APIURL: "https://api.mypurecloud.ie", LoginURL: "https://login.mypurecloud.ie",
		ClientID: "client-1", ClientSecret: "cs-SECRET-0",
		Topics:      []string{"v2.routing.queues.{id}.conversations"},
		QueueIDs:    []string{queueA, queueB},
		DetailTypes: []string{"customer.start", "customer.end", "acd.start", "acd.end", "user.start", "user.end", "acw"},
		MaxChannels: 20, QueueRefresh: 5 * time.Minute, ConversationLinger: 5 * time.Minute, MaxFollowed: 2500,
		BackfillPoll: time.Minute, BackfillMaxWait: 24 * time.Hour, EventLatency: 30 * time.Second,
	}
	if !reflect.DeepEqual(cfg.Notifications, want) {
		t.Errorf("Notifications = %+v\nwant            %+v", cfg.Notifications, want)
	}
	if cfg.Source != config.SourceNotifications || cfg.DedupMaxKeys != 0 || cfg.DedupWindow != time.Hour {
		t.Errorf("source %q, max keys %d (want 0: the default map window), window %v", cfg.Source, cfg.DedupMaxKeys, cfg.DedupWindow)
	}
	if cfg.AnalyticsURL != "" || !reflect.DeepEqual(cfg.Token, config.TokenConfig{}) {
		t.Errorf("websocket settings set with notifications: url %q token kind %q", cfg.AnalyticsURL, cfg.Token.Kind())
	}
	if ws := validated(t, valid()); !reflect.DeepEqual(ws.Notifications, config.Notifications{}) {
		t.Errorf("websocket source: Notifications = %+v, want zero", ws.Notifications)
	}
}

func TestNotificationsValidSettings(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte("cs-SECRET-file"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mutate func(*config.Env)
		check  func(config.Notifications) string // "" when as wanted
	}{
		{"region in another case, with spaces", func(e *config.Env) { e.GenesysRegion = " MyPureCloud.DE " }, func(n config.Notifications) string {
			return want(n.APIURL == "https://api.mypurecloud.de" && n.LoginURL == "https://login.mypurecloud.de" && n.Region == "mypurecloud.de", "hosts %s %s", n.APIURL, n.LoginURL)
		}},
		{"explicit hosts instead of a region", func(e *config.Env) {
			e.GenesysRegion, e.GenesysAPIURL, e.GenesysLoginURL = "", "http://127.0.0.1:8081/", "http://127.0.0.1:8082"
		}, func(n config.Notifications) string {
			return want(n.APIURL == "http://127.0.0.1:8081" && n.LoginURL == "http://127.0.0.1:8082" && n.Region == "", "hosts %q %q region %q", n.APIURL, n.LoginURL, n.Region)
		}},
		{"all queues", func(e *config.Env) { e.GenesysQueueIDs = " ALL " }, func(n config.Notifications) string {
			return want(n.AllQueues && n.QueueIDs == nil, "all %v ids %v", n.AllQueues, n.QueueIDs)
		}},
		{"templates without {id} need no queues", func(e *config.Env) {
			e.GenesysTopics, e.GenesysQueueIDs = "v2.analytics.conversations.details.jobs.availability", ""
		}, func(n config.Notifications) string {
			return want(len(n.Topics) == 1 && n.QueueIDs == nil && !n.AllQueues, "topics %v ids %v", n.Topics, n.QueueIDs)
		}},
		{"several templates, repeats dropped", func(e *config.Env) {
			e.GenesysTopics = "v2.routing.queues.{id}.conversations, v2.analytics.queues.{id}.observations,v2.routing.queues.{id}.conversations"
			e.GenesysQueueIDs = queueA + "," + queueA
		}, func(n config.Notifications) string {
			return want(reflect.DeepEqual(n.Topics, []string{"v2.routing.queues.{id}.conversations", "v2.analytics.queues.{id}.observations"}) &&
				reflect.DeepEqual(n.QueueIDs, []string{queueA}), "topics %v ids %v", n.Topics, n.QueueIDs)
		}},
		{"upper-case queue id", func(e *config.Env) { e.GenesysQueueIDs = strings.ToUpper(queueA) }, func(n config.Notifications) string {
			return want(reflect.DeepEqual(n.QueueIDs, []string{strings.ToUpper(queueA)}), "ids %v", n.QueueIDs)
		}},
		{"detail events chosen", func(e *config.Env) { e.GenesysDetailEvents = "Wrapup, flow.outcome,wrapup" }, func(n config.Notifications) string {
			return want(reflect.DeepEqual(n.DetailTypes, []string{"wrapup", "flow.outcome"}), "types %v", n.DetailTypes)
		}},
		{"no detail events: no bound on the followed", func(e *config.Env) {
			e.GenesysDetailEvents, e.GenesysMaxFollowed, e.GenesysMaxChannels = "None", "20000", "1"
		}, func(n config.Notifications) string {
			return want(n.DetailTypes == nil && n.MaxFollowed == 20000, "types %v followed %d", n.DetailTypes, n.MaxFollowed)
		}},
		{"followed that just fit", func(e *config.Env) {
			// 2 queue topics + 499 x 2 detail topics = 1000 topics.
			e.GenesysMaxChannels, e.GenesysDetailEvents, e.GenesysMaxFollowed = "1", "acd.start,acd.end", "499"
		}, func(n config.Notifications) string { return want(n.MaxFollowed == 499, "followed %d", n.MaxFollowed) }},
		{"all queues count no queue topics", func(e *config.Env) {
			e.GenesysQueueIDs, e.GenesysMaxChannels, e.GenesysDetailEvents, e.GenesysMaxFollowed = "all", "1", "acw", "1000"
		}, func(n config.Notifications) string { return want(n.MaxFollowed == 1000, "followed %d", n.MaxFollowed) }},
		{"secret from a file", func(e *config.Env) { e.OAuthClientSecret, e.OAuthSecretFile = "", secretFile }, func(n config.Notifications) string {
			return want(n.ClientSecretFile == secretFile && n.ClientSecret == "", "secret file %q", n.ClientSecretFile)
		}},
		{"durations", func(e *config.Env) {
			e.GenesysQueueRefresh, e.GenesysConversationLinger, e.GenesysBackfillPoll, e.GenesysBackfillMaxWait = "1m", "0s", "1s", "1m"
		}, func(n config.Notifications) string {
			return want(n.QueueRefresh == time.Minute && n.ConversationLinger == 0 && n.BackfillPoll == time.Second && n.BackfillMaxWait == time.Minute,
				"refresh %v linger %v poll %v wait %v", n.QueueRefresh, n.ConversationLinger, n.BackfillPoll, n.BackfillMaxWait)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := notificationsEnv()
			tt.mutate(&e)
			if problem := tt.check(validated(t, e).Notifications); problem != "" {
				t.Error(problem)
			}
		})
	}
}

// want is "" when ok, else the formatted problem.
func want(ok bool, format string, args ...any) string {
	if ok {
		return ""
	}
	return fmt.Sprintf(format, args...)
}

func TestGenesysRegionsDeriveTheHosts(t *testing.T) {
	regions := config.GenesysRegions()
	for _, r := range []string{"mypurecloud.com", "usw2.pure.cloud", "mypurecloud.ie", "mypurecloud.de", "mypurecloud.jp", "mypurecloud.com.au",
		"euw2.pure.cloud", "cac1.pure.cloud", "aps1.pure.cloud", "apne2.pure.cloud", "sae1.pure.cloud", "use2.us-gov-pure.cloud",
		"mec1.pure.cloud", "euc2.pure.cloud", "apne3.pure.cloud", "mxc1.pure.cloud", "apse1.pure.cloud"} {
		if !slices.Contains(regions, r) {
			t.Errorf("GenesysRegions lacks %s", r)
		}
	}
	for _, r := range regions {
		e := notificationsEnv()
		e.GenesysRegion = r
		n := validated(t, e).Notifications
		if n.APIURL != "https://api."+r || n.LoginURL != "https://login."+r {
			t.Errorf("%s: hosts %s and %s", r, n.APIURL, n.LoginURL)
		}
	}
}

func TestNotificationsSummary(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*config.Env)
		want   string
	}{
		{"queue ids", func(*config.Env) {},
			"https://api.mypurecloud.ie, 1 topic template over 2 queues, 7 detail event types of up to 2500 conversations"},
		{"all queues, two templates, no following", func(e *config.Env) {
			e.GenesysQueueIDs, e.GenesysDetailEvents = "all", "none"
			e.GenesysTopics = "v2.routing.queues.{id}.conversations,v2.analytics.queues.{id}.observations"
		}, "https://api.mypurecloud.ie, 2 topic templates over all queues, no detail events"},
		{"explicit host, one queue, one type", func(e *config.Env) {
			e.GenesysRegion, e.GenesysAPIURL, e.GenesysLoginURL = "", "http://127.0.0.1:9000", "http://127.0.0.1:9001"
			e.GenesysQueueIDs, e.GenesysDetailEvents, e.GenesysMaxFollowed = queueA, "acw", "1"
		}, "http://127.0.0.1:9000, 1 topic template over 1 queue, 1 detail event type of up to 1 conversation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := notificationsEnv()
			tt.mutate(&e)
			if got := validated(t, e).UpstreamSummary(); got != tt.want {
				t.Errorf("UpstreamSummary() = %q\nwant                %q", got, tt.want)
			}
		})
	}
}

// TestGenesysTagsListWhatValidationAccepts: the reference names every
// region and detail event type validation accepts, and the default
// detail events are all known.
func TestGenesysTagsListWhatValidationAccepts(t *testing.T) {
	meaning := map[string]string{}
	for _, v := range config.Variables() {
		meaning[v.Name] = v.Meaning
	}
	for _, r := range config.GenesysRegions() {
		if !strings.Contains(meaning["GENESYS_REGION"], r+",") && !strings.Contains(meaning["GENESYS_REGION"], r+";") {
			t.Errorf("GENESYS_REGION's desc does not list %s", r)
		}
	}
	for _, d := range config.DetailEventTypes() {
		if !strings.Contains(meaning["GENESYS_DETAIL_EVENTS"], d+",") && !strings.Contains(meaning["GENESYS_DETAIL_EVENTS"], d+";") {
			t.Errorf("GENESYS_DETAIL_EVENTS's desc does not list %s", d)
		}
	}
	for _, d := range strings.Split(config.Defaults().GenesysDetailEvents, ",") {
		if !slices.Contains(config.DetailEventTypes(), d) {
			t.Errorf("default detail event %q is not a known type", d)
		}
	}
}

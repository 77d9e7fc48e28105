package discovery

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/source/notifications/api"
)

func TestNewValidates(t *testing.T) {
	a, err := api.New(api.Options{LoginURL: "https://login.example", APIURL: "https://api.example", ClientID: "id", ClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	ok := Options{API: a, Subscriber: newRecorder(), Templates: []string{"v2.routing.queues.{id}.conversations"},
		QueueIDs: []string{"q1"}, DetailTypes: []string{"acw"}}
	for _, tc := range []struct {
		name   string
		change func(*Options)
		want   []string // substrings of the error; none: valid
	}{
		{"valid", func(*Options) {}, nil},
		{"all queues", func(o *Options) { o.QueueIDs, o.AllQueues = nil, true }, nil},
		{"id-less template needs no queue", func(o *Options) {
			o.Templates, o.QueueIDs, o.DetailTypes = []string{"v2.analytics.conversations.details.jobs.availability"}, nil, nil
		}, nil},
		{"no API", func(o *Options) { o.API = nil }, []string{"API is required"}},
		{"no Subscriber", func(o *Options) { o.Subscriber = nil }, []string{"Subscriber is required"}},
		{"no templates", func(o *Options) { o.Templates = nil }, []string{"no topic templates"}},
		{"not v2", func(o *Options) { o.Templates = append(o.Templates, "routing.queues.{id}.x") }, []string{`"routing.queues.{id}.x"`, "v2."}},
		{"two ids", func(o *Options) { o.Templates = append(o.Templates, "v2.a.{id}.{id}") }, []string{`"v2.a.{id}.{id}"`, "at most one"}},
		{"combined", func(o *Options) { o.Templates = append(o.Templates, "v2.a.{id}?b&c") }, []string{`"v2.a.{id}?b&c"`, "combined"}},
		{"ampersand", func(o *Options) { o.Templates = append(o.Templates, "v2.a.{id}.b&c") }, []string{`"v2.a.{id}.b&c"`}},
		{"space", func(o *Options) { o.Templates = append(o.Templates, "v2.a.{id} .b") }, []string{`"v2.a.{id} .b"`, "spaces"}},
		{"other placeholder", func(o *Options) { o.Templates = append(o.Templates, "v2.users.{userId}.x") }, []string{`"v2.users.{userId}.x"`, "placeholder"}},
		{"empty segment", func(o *Options) { o.Templates = append(o.Templates, "v2.a..{id}") }, []string{`"v2.a..{id}"`}},
		{"template needs queues", func(o *Options) { o.QueueIDs = nil }, []string{`"v2.routing.queues.{id}.conversations" needs queues`}},
		{"bad queue id", func(o *Options) { o.QueueIDs = []string{"q.1"} }, []string{`queue id "q.1"`}},
		{"bad detail type", func(o *Options) { o.DetailTypes = []string{"user..end"} }, []string{`"user..end"`}},
		{"detail types without snapshots", func(o *Options) { o.Templates = []string{"v2.analytics.queues.{id}.observations"} },
			[]string{"no conversation would ever be found"}},
		{"negative", func(o *Options) { o.Linger, o.MaxFollowed = -time.Second, -1 }, []string{"Linger -1s", "MaxFollowed -1"}},
		{"page size", func(o *Options) { o.QueuePageSize = 501 }, []string{"QueuePageSize 501"}},
		{"stale within linger", func(o *Options) { o.Linger, o.StaleAfter = time.Hour, time.Minute }, []string{"StaleAfter"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := ok
			o.Templates, o.QueueIDs = append([]string{}, ok.Templates...), append([]string{}, ok.QueueIDs...)
			tc.change(&o)
			d, err := New(o)
			if len(tc.want) == 0 {
				if err != nil || d == nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrOptions) {
				t.Fatalf("New: %v, want ErrOptions", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// The defaults: durations, page size, and a MaxFollowed that fills half
// the client's topics.
func TestDefaults(t *testing.T) {
	a, err := api.New(api.Options{LoginURL: "https://login.example", APIURL: "https://api.example", ClientID: "id", ClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(Options{API: a, Subscriber: newRecorder(), Templates: []string{"v2.routing.queues.{id}.conversations"},
		AllQueues: true, DetailTypes: []string{"acw", "user.end", "acw"}})
	if err != nil {
		t.Fatal(err)
	}
	o := d.opts
	if o.Refresh != DefaultRefresh || o.Linger != DefaultLinger || o.StaleAfter != DefaultStaleAfter ||
		o.Remember != DefaultRemember || o.QueuePageSize != DefaultQueuePageSize || o.MaxFollowed != 5000 ||
		len(o.DetailTypes) != 2 {
		t.Errorf("defaults %+v", o)
	}
}

package backfill

import (
	"strings"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/source/notifications/api"
)

func TestNewChecksOptions(t *testing.T) {
	client, err := api.New(api.Options{LoginURL: "https://login.example", APIURL: "https://api.example", ClientID: "id", ClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	f, err := New(Options{API: client, QueueIDs: []string{"q1", "q2", "q1"}})
	if err != nil {
		t.Fatal(err)
	}
	o := f.opts
	if o.MaxConversation != 12*time.Hour || o.PageSize != 100 || o.JobsOver != 6*time.Hour || o.JobPoll != 5*time.Second ||
		strings.Join(o.QueueIDs, ",") != "q1,q2" || f.cap != 100_000 {
		t.Errorf("defaults: %+v, cap %d", o, f.cap)
	}
	if f, err := New(Options{API: client, QueueIDs: []string{}}); err != nil || f.opts.QueueIDs != nil {
		t.Errorf("empty QueueIDs: %v, %v; want every conversation (nil)", f.opts.QueueIDs, err)
	}
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{}, "API"},
		{Options{API: client, PageSize: 101}, "PageSize"},
		{Options{API: client, PageSize: -1}, "PageSize"},
		{Options{API: client, MaxConversation: 31 * 24 * time.Hour}, "MaxConversation"},
		{Options{API: client, MaxConversation: -time.Hour}, "MaxConversation"},
		{Options{API: client, JobPoll: -time.Second}, "JobPoll"},
		{Options{API: client, QueueIDs: []string{"q", ""}}, "QueueIDs[1]"},
	} {
		if _, err := New(tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v): %v, want an error naming %s", tc.o, err, tc.want)
		}
	}
}

package notifications_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/source/notifications"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/api"
)

// Credentials the login host refuses end Run with ErrCredentials: retrying
// cannot help.
func TestRunStopsOnRefusedCredentials(t *testing.T) {
	r := newRig(t, config{clientID: "standin-client", clientSecret: "wrong"})
	if err := r.client.Subscribe(r.queueTopics(), time.Time{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(r.ctx, testTimeout)
	defer cancel()
	err := r.client.Run(ctx, r.rec)
	if !errors.Is(err, api.ErrCredentials) {
		t.Errorf("Run: %v, want ErrCredentials", err)
	}
	if err := r.client.Run(ctx, r.rec); err == nil || !strings.Contains(err.Error(), "once") {
		t.Errorf("second Run: %v, want a refusal", err)
	}
}

// Subscribe takes individual topic names only.
func TestSubscribeRefusesCombinedTopics(t *testing.T) {
	r := newRig(t, config{})
	err := r.client.Subscribe([]string{"v2.routing.queues.q1.conversations", "v2.detail.events.conversation.c1?customer.start&acd.start", ""}, time.Time{})
	if err == nil || !strings.Contains(err.Error(), "customer.start&acd.start") {
		t.Errorf("Subscribe: %v, want the combined and the empty topic refused", err)
	}
	r.run()
	r.waitFor("the valid topic wanted", func() bool { return r.client.Status().Budget.Wanted == 1 })
}

// A frame that is not a notification is handed over as Malformed; an
// unknown v2.system message is only logged.
func TestMalformedFramesAndSystemMessages(t *testing.T) {
	r := newRig(t, config{})
	topics := r.queueTopics()
	if err := r.client.Subscribe(topics, time.Time{}); err != nil {
		t.Fatal(err)
	}
	r.run()
	r.connected(len(topics))
	ch := r.channelOf()
	for _, f := range []string{`not json`, `{"topicName":"v2.system.something_new","eventBody":{"message":"hello"}}`, `{"topicName":"t"}`} {
		if !r.kit.Relay.Inject(r.ctx, ch, []byte(f)) {
			t.Fatal("no socket to inject into")
		}
	}
	r.waitFor("two malformed frames", func() bool {
		r.rec.mu.Lock()
		defer r.rec.mu.Unlock()
		return len(r.rec.bad) == 2
	})
	r.waitFor("the system message logged", func() bool { return r.logCount("system message", "something_new") == 1 })
	r.rec.mu.Lock()
	defer r.rec.mu.Unlock()
	if string(r.rec.bad[0].Frame) != "not json" || !strings.Contains(r.rec.bad[1].Problem, "no eventBody") || r.rec.bad[0].Channel != ch {
		t.Errorf("malformed %+v", r.rec.bad)
	}
	if len(r.rec.events) != 0 {
		t.Errorf("events %d, want none", len(r.rec.events))
	}
}

// The Handler sees the status change as the client connects.
func TestStatusReportsConnected(t *testing.T) {
	r := newRig(t, config{})
	topics := r.queueTopics()
	if err := r.client.Subscribe(topics, time.Time{}); err != nil {
		t.Fatal(err)
	}
	r.run()
	r.connected(len(topics))
	r.rec.mu.Lock()
	defer r.rec.mu.Unlock()
	last := r.rec.statuses[len(r.rec.statuses)-1]
	if !last.Connected || last.Budget.Subscribed != len(topics) || last.Budget.Channels != 1 || last.Budget.MaxChannels != notifications.MaxChannelsPerClient {
		t.Errorf("last status %+v", last)
	}
	if r.rec.statuses[0].Connected {
		t.Errorf("first status %+v, want not yet connected", r.rec.statuses[0])
	}
}

// A token the API refuses (401) is replaced: the next subscription goes
// through with a new one.
func TestExpiredTokenIsReplaced(t *testing.T) {
	r := newRig(t, config{})
	topics := r.queueTopics()
	if err := r.client.Subscribe(topics[:2], time.Time{}); err != nil {
		t.Fatal(err)
	}
	r.run()
	r.connected(2)
	r.kit.Server.ExpireTokens()
	if err := r.client.Subscribe(topics[2:], time.Time{}); err != nil {
		t.Fatal(err)
	}
	r.connected(len(topics))
	for _, subs := range r.channels() {
		if len(subs) != len(topics) {
			t.Errorf("subscribed %v, want all %d topics", subs, len(topics))
		}
	}
	unauthorized := 0
	for _, a := range r.attemptList() {
		if a.Status == http.StatusUnauthorized {
			unauthorized++
		}
	}
	if unauthorized != 1 {
		t.Errorf("%d answers of 401, want 1 followed by a new token", unauthorized)
	}
}

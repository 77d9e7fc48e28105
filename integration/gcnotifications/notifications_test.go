package gcnotifications_test

import (
	"sync"
	"testing"
)

// TestNotifications runs every scenario at once, each a subtest with a
// bridge, a stand-in and a cluster of its own. They mostly wait (a gap is
// back-filled once it is a minute old), so they overlap: started from
// goroutines of their own rather than with t.Parallel, which -parallel
// (GOMAXPROCS by default) would run two at a time on a 2-core machine,
// more than doubling the package's time. Select some with -run, spaces
// written as underscores: -run 'TestNotifications/restart'.
func TestNotifications(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: these scenarios wait out the analytics API's one-minute rule (about 2 min)")
	}
	scenarios := []struct {
		name string
		run  func(*testing.T)
	}{
		{"no faults", coversEveryConversation},
		{"sockets dropped, half-open, reset; transactions", func(t *testing.T) { socketFaults(t, "true", 21) }},
		{"sockets dropped, half-open, reset; idempotent writes", func(t *testing.T) { socketFaults(t, "false", 22) }},
		{"socket_closing handover", socketClosingHandover},
		{"channels expired, killed, evicted, renewed", channelLifecycle},
		{"tokens expired", tokenExpiry},
		{"429s and repeated rows", throttledAndRepeatedRows},
		{"restart; transactions", func(t *testing.T) { restart(t, "true", 71) }},
		{"restart; idempotent writes", func(t *testing.T) { restart(t, "false", 72) }},
	}
	var wg sync.WaitGroup
	for _, s := range scenarios {
		wg.Go(func() { t.Run(s.name, s.run) })
	}
	wg.Wait()
}

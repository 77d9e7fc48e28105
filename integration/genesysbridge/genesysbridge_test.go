package genesysbridge

import (
	"testing"

	"github.com/analytics-bridge/analytics-bridge/source/notifications/feed"
)

// The verdict tells records apart by the source's own names, spelled out
// here (the tests of the packages feed imports use this package).
func TestNamesAreTheSources(t *testing.T) {
	if kindConversationDetail != feed.KindConversationDetail || headerBackfill != feed.HeaderBackfill {
		t.Fatalf("kind %q and header %q; the source writes %q and %q",
			kindConversationDetail, headerBackfill, feed.KindConversationDetail, feed.HeaderBackfill)
	}
}

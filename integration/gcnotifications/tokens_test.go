package gcnotifications_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
)

// tokenExpiry: tokens live 12 s (oauth2 takes one as expired 10 s
// early, so the bridge fetches a new one every couple of seconds of
// calls), and three times while calls are live every token is expired at
// once: the next call is refused (401) and made again with a new token.
// Every conversation is covered, no dedup key twice.
func tokenExpiry(t *testing.T) {
	r := newRig(t, setup{standin: genesys.Options{Seed: 51, CallPace: 0.05, TokenLifetime: 12 * time.Second}})
	ru := r.start()
	r.g.AddConversations(time.Now(), 30, 500*time.Millisecond)
	r.connected(ru)
	for round := 1; round <= 3; round++ {
		refused := r.net.count("", "/api/v2/", http.StatusUnauthorized)
		// A call must come while the expired token is still the bridge's:
		// expire them again until one does.
		r.waitFor(ru, time.Minute, fmt.Sprintf("round %d: a call refused with an expired token", round), func() bool {
			r.g.ExpireTokens()
			deadline := time.Now().Add(2 * time.Second)
			for time.Now().Before(deadline) {
				if r.net.count("", "/api/v2/", http.StatusUnauthorized) > refused {
					return true
				}
				time.Sleep(50 * time.Millisecond)
			}
			return false
		})
	}
	rep := r.waitCovered(ru)
	tokens := r.net.count(http.MethodPost, "/oauth/token", http.StatusOK)
	if tokens < 6 {
		t.Errorf("%d tokens fetched, want at least one per expiry and more as they aged", tokens)
	}
	r.logReport(ru, rep, fmt.Sprintf("%d tokens fetched, %d calls refused with an expired one",
		tokens, r.net.count("", "/api/v2/", http.StatusUnauthorized)))
}

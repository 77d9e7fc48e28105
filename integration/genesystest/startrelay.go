package genesystest

import (
	"testing"

	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
)

// StartRelay runs a Relay in front of s's streaming host until t ends, for
// a stand-in the test runs itself (on the wall clock, say) rather than
// through Start. A client reaches the relay by dialling Addr wherever it
// would dial s's streaming host (see Kit.HTTPClient).
func StartRelay(t testing.TB, s *genesys.Server) *Relay {
	t.Helper()
	r, err := newRelay(s.StreamingURL())
	if err != nil {
		t.Fatalf("relay: %v", err)
	}
	t.Cleanup(r.Close)
	return r
}

package gcnotifications_test

import (
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
)

// coversEveryConversation runs the bridge on the stand-in's calls with
// nothing going wrong but what every start has (the conversations in
// progress, and the detail topics subscribed after each began): every
// conversation that ends is covered, no dedup key twice.
func coversEveryConversation(t *testing.T) {
	r := newRig(t, setup{standin: genesys.Options{Seed: 3, CallPace: 0.05}})
	ru := r.start()
	r.g.AddConversations(time.Now(), 40, 250*time.Millisecond)
	rep := r.waitCovered(ru)
	if rep.Coverage.Ended != 40 {
		t.Errorf("%d conversations ended, want the 40 generated", rep.Coverage.Ended)
	}
	r.logReport(ru, rep, "no faults")
}

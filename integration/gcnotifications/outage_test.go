package gcnotifications_test

import (
	"slices"
	"time"
)

// outage shuts the streaming host's door (the bridge cannot connect a
// socket), does fault (which ends or silences the bridge's socket), starts
// calls, and opens the door again once two of them have ended, the bridge
// has tried to reconnect, and until (when given) holds: the calls started
// after the fault and ended before the door opened are ones the live
// stream cannot have seen. It returns the ids of the calls it started.
func (r *rig) outage(ru *run, fault func(), until func() bool) []string {
	r.t.Helper()
	r.net.hold()
	refused := r.net.refused.Load()
	fault()
	var ids []string
	for _, c := range r.g.AddConversations(time.Now(), 8, 300*time.Millisecond) {
		ids = append(ids, c.ID)
	}
	r.waitFor(ru, time.Minute, "two calls of the outage to end", func() bool {
		ended := 0
		for _, c := range r.g.Conversations() {
			if slices.Contains(ids, c.ID) && c.End.Before(time.Now().Add(-time.Second)) {
				ended++
			}
		}
		return ended >= 2
	})
	r.waitFor(ru, time.Minute, "the bridge to try to reconnect", func() bool {
		return r.net.refused.Load() > refused && (until == nil || until())
	})
	r.net.release()
	return ids
}

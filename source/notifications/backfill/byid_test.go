package backfill

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
)

// ByID asks for 100 ids a call, leaves unknown ones out and returns each
// conversation once, its bytes as served.
func TestByIDLeavesUnknownIDsOut(t *testing.T) {
	r := newRig(t, genesys.Options{Seed: 6}, Options{})
	convs := r.kit.Server.AddConversations(t0.Add(-3*time.Hour), 130, time.Minute)
	unknown := []string{"00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"}
	var ask, want []string
	for _, c := range convs {
		ask = append(ask, c.ID)
		want = append(want, c.ID)
	}
	ask = slices.Insert(ask, 50, unknown...)
	ask = append(ask, convs[0].ID, "") // a repeat and an empty id
	slices.Sort(want)

	got, err := r.fetcher.ByID(r.ctx, ask)
	if err != nil {
		t.Fatal(err)
	}
	sameIDs(t, got, want)
	for _, c := range got {
		checkRaw(t, r, c)
	}
	gets := r.attemptsTo(http.MethodGet, detailsPath)
	if len(gets) != 2 {
		t.Errorf("%d multi-gets for 132 distinct ids, want 2 (100 a call)", len(gets))
	}

	none, err := r.fetcher.ByID(r.ctx, unknown)
	if err != nil || len(none) != 0 {
		t.Errorf("only unknown ids: %d conversations, %v; want none, no error", len(none), err)
	}
}

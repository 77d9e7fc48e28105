package sim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/coder/websocket"

	"github.com/analytics-bridge/analytics-bridge/integration/sim"
)

// A test starts a simulator, lets it emit a fixed number of events, and
// reconnects with since to get all of them back, in log order.
func Example() {
	srv, err := sim.New(sim.Config{Rate: 1000, MaxEvents: 25})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	<-srv.Done()
	ledger := srv.Ledger()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	since := url.QueryEscape(ledger[0].Time.Format(sim.TimestampLayout))
	conn, _, err := websocket.Dial(ctx, srv.EventsURL()+"?since="+since, &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": {"Bearer " + srv.IssueToken(time.Hour)}},
	})
	if err != nil {
		panic(err)
	}
	defer conn.CloseNow()

	got := 0
	for got < len(ledger) {
		_, frame, err := conn.Read(ctx)
		if err != nil {
			panic(err)
		}
		var batch []struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(frame, &batch); err != nil {
			panic(err) // replays are always arrays
		}
		for _, ev := range batch {
			if ev.ID != ledger[got].ID {
				panic("replay out of order")
			}
			got++
		}
	}
	fmt.Printf("replayed %d of %d events\n", got, len(ledger))
	// Output: replayed 25 of 25 events
}

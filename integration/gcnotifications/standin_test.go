package gcnotifications_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
)

// api calls the stand-in's Platform API as another user of the bridge's
// OAuth client, with a token of its own, and decodes the answer into out
// (when not nil).
func (r *rig) api(method, path string, out any) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, r.g.APIURL()+path, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+r.g.IssueToken(genesys.DefaultClientID))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		r.t.Fatalf("%s %s: %s", method, path, res.Status)
	}
	if out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			r.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// liveChannels are the OAuth client's live channels.
func (r *rig) liveChannels() []string {
	r.t.Helper()
	var list struct{ Entities []struct{ ID string } }
	r.api(http.MethodGet, "/api/v2/notifications/channels?includechannels=oauthclient", &list)
	ids := make([]string, len(list.Entities))
	for i, e := range list.Entities {
		ids[i] = e.ID
	}
	return ids
}

// bridgeChannel is the live channel whose socket the relay carries (the
// bridge's; other users' sockets do not pass the relay), or "" when none
// is connected.
func (r *rig) bridgeChannel() string {
	r.t.Helper()
	for _, id := range r.liveChannels() {
		if r.relay.Sockets(id) > 0 {
			return id
		}
	}
	return ""
}

// connected waits until the bridge has a socket connected (to a channel
// other than those in not, when given) and returns its channel.
func (r *rig) connected(ru *run, not ...string) string {
	r.t.Helper()
	var id string
	r.waitFor(ru, time.Minute, "the bridge's socket", func() bool {
		id = r.bridgeChannel()
		for _, old := range not {
			if id == old {
				return false
			}
		}
		return id != ""
	})
	return id
}

// handshakes counts the socket handshakes the relay received for channel
// id.
func (r *rig) handshakes(id string) int {
	n := 0
	for _, p := range r.relay.HandshakePaths() {
		if strings.HasSuffix(p, "/channels/"+id) {
			n++
		}
	}
	return n
}

// occupy creates n channels for the bridge's OAuth client and connects a
// socket to each, directly to the stand-in: another application on the
// same client. The sockets are read (heartbeats) until the test ends.
func (r *rig) occupy(n int) {
	r.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var readers sync.WaitGroup
	r.t.Cleanup(func() {
		cancel()
		readers.Wait()
	})
	for range n {
		var ch struct{ ID, ConnectURI string }
		r.api(http.MethodPost, "/api/v2/notifications/channels", &ch)
		conn, _, err := websocket.Dial(ctx, ch.ConnectURI, nil)
		if err != nil {
			r.t.Fatalf("connecting to %s: %v", ch.ConnectURI, err)
		}
		readers.Go(func() {
			defer conn.CloseNow()
			for {
				if _, _, err := conn.Read(ctx); err != nil {
					return
				}
			}
		})
	}
}

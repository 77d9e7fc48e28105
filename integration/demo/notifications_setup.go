package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge/retry"
	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
	"github.com/analytics-bridge/analytics-bridge/integration/genesysbridge"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
)

// The Genesys stand-in's life compressed for the demo: calls of a few
// seconds, and heartbeats, planned closes, tokens and channels that
// would take minutes to hours on the platform, in seconds.
const (
	gcCallPace        = 0.02 // a call's phases at a fiftieth of their length: 1 to 17 s a call
	gcQueues          = 3
	gcHeartbeat       = 2 * time.Second  // the platform: 30 s
	gcClosingGrace    = 3 * time.Second  // socket_closing to the close; the platform: about a minute
	gcTokenLifetime   = 30 * time.Second // the platform: 24 h
	gcChannelLifetime = 45 * time.Second // the platform: 24 h, renewed by subscribing again
	gcExpiringWarning = 10 * time.Second // streaming-subscriptions-expiring before it; the platform: 60 s
	// gcChannelsPerClient is how many channels one OAuth client may hold;
	// the platform allows 20 and evicts the oldest (unconnected first) for
	// a 21st. One makes a single channel opened by someone else evict the
	// bridge's; the bridge is told to use one (GENESYS_MAX_CHANNELS).
	gcChannelsPerClient = 1
)

// Back-fill timings the demo sets (GENESYS_*): the stand-in's API answers
// at once, so the only long wait is the API's one-minute rule.
const (
	gcEventLatency = time.Second // GENESYS_EVENT_LATENCY (genesysbridge.Env)
	// gcSettleAfter is how long after its end a gap is fetched: the
	// one-minute rule, a second of clock skew, and the latency by which
	// every interval is widened (backfill.Active).
	gcSettleAfter = time.Minute + time.Second + gcEventLatency
	gcMaxFollowed = 100 // 7 detail topics each, beside the queue topics, on one channel of 1,000
)

// serveGenesys starts the stand-in on loopback, on the wall clock, until
// the stage closes.
func serveGenesys(st *stage) (*genesys.Server, error) {
	g, err := genesys.New(genesys.Options{
		Seed:              uint64(st.start.UnixNano()),
		Queues:            gcQueues,
		CallPace:          gcCallPace,
		HeartbeatEvery:    gcHeartbeat,
		ClosingGrace:      gcClosingGrace,
		TokenLifetime:     gcTokenLifetime,
		ChannelLifetime:   gcChannelLifetime,
		ExpiringWarning:   gcExpiringWarning,
		ChannelsPerClient: gcChannelsPerClient,
	})
	if err != nil {
		return nil, fmt.Errorf("starting the Genesys stand-in: %w", err)
	}
	st.onClose(func() error {
		if cerr := g.Close(); cerr != nil {
			return fmt.Errorf("stopping the Genesys stand-in: %w", cerr)
		}
		return nil
	})
	return g, nil
}

// notificationsEnv is the production environment contract for
// SOURCE=notifications with demo addresses and timings: the integration
// tests' (genesysbridge.Env), named for the demo, on one channel, and
// validated like any other.
func notificationsEnv(cluster *kafkatest.Cluster, g *genesys.Server, logLevel string) config.Env {
	e := genesysbridge.Env(cluster, g)
	if cluster.Real {
		e.KafkaReplication = "-1" // the cluster's default
	}
	e.KafkaClientID = "analytics-bridge-demo"
	e.GenesysMaxChannels = strconv.Itoa(gcChannelsPerClient)
	e.GenesysMaxFollowed = strconv.Itoa(gcMaxFollowed)
	e.LogLevel = logLevel
	return e
}

// callFeed starts calls on the stand-in at a steady rate until stopped:
// the org's customers calling its queues.
type callFeed struct {
	g       *genesys.Server
	rate    float64
	start   time.Time
	started atomic.Int64

	mu      sync.Mutex // guards stopped and every start of calls
	stopped bool
}

// run starts calls until ctx ends or stop.
func (f *callFeed) run(ctx context.Context) {
	every := time.Duration(float64(time.Second) / f.rate)
	for retry.Sleep(ctx, 50*time.Millisecond) == nil {
		if !f.add(int64(f.rate*time.Since(f.start).Seconds())+1-f.started.Load(), every) {
			return
		}
	}
}

// add starts n calls, every apart from now; false once the feed stopped.
func (f *callFeed) add(n int64, every time.Duration) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return false
	}
	if n > 0 {
		f.started.Add(int64(len(f.g.AddConversations(time.Now(), int(n), every))))
	}
	return true
}

// stop ends the calls and returns how many were started.
func (f *callFeed) stop() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = true
	return f.started.Load()
}

// channelsAPI calls the stand-in's Notifications API as another user of the
// bridge's OAuth client: to find the bridge's channel, and to open one.
type channelsAPI struct {
	g      *genesys.Server
	client *http.Client
}

// do sends a request with a fresh token (tokens expire in the script) and
// decodes the answer into out.
func (c channelsAPI) do(ctx context.Context, method, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.g.APIURL()+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.g.IssueToken(genesys.DefaultClientID))
	res, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s", method, path, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decoding the answer: %w", method, path, err)
	}
	return nil
}

// live returns the ids of the OAuth client's live channels.
func (c channelsAPI) live(ctx context.Context) ([]string, error) {
	var list struct{ Entities []struct{ ID string } }
	if err := c.do(ctx, http.MethodGet, "/api/v2/notifications/channels?includechannels=oauthclient", &list); err != nil {
		return nil, err
	}
	ids := make([]string, len(list.Entities))
	for i, e := range list.Entities {
		ids[i] = e.ID
	}
	return ids, nil
}

// open creates a channel, connecting nothing to it, and returns its id.
func (c channelsAPI) open(ctx context.Context) (string, error) {
	var ch struct{ ID string }
	if err := c.do(ctx, http.MethodPost, "/api/v2/notifications/channels", &ch); err != nil {
		return "", err
	}
	return ch.ID, nil
}

// feedState is the part of the notifications source's checkpoint state
// (source/notifications/feed, version 1) that the narration shows.
type feedState struct {
	Live    time.Time  `json:"live"`
	Gaps    []struct{} `json:"gaps"`
	Pending []string   `json:"pending"`
}

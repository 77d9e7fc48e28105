package genesys

import (
	"errors"
	"fmt"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/clock"
)

// Permissions the stand-in knows. A client without one is refused the
// topics and APIs that need it.
const (
	// PermQueueView lets a client subscribe to v2.routing.queues.{id}.conversations.
	PermQueueView = "routing:queue:view"
	// PermConversationDetailView lets a client subscribe to
	// v2.detail.events.conversation.{id}.* and the jobs availability topic.
	PermConversationDetailView = "analytics:conversationDetail:view"
)

// Client is an OAuth client (client credentials grant).
type Client struct {
	ID, Secret string
	// Permissions the client's tokens carry (nil: all of them; empty but
	// not nil: none).
	Permissions []string
}

// Default client credentials when Options.Clients is empty.
const (
	DefaultClientID     = "standin-client"
	DefaultClientSecret = "standin-secret"
)

// Options configure a Server. Zero values take the defaults shown; every
// duration is on Clock, so a clock.Manual compresses them all.
type Options struct {
	// Clock is the time the server runs on (default clock.Real).
	Clock clock.Clock
	// Seed drives every generated id and conversation (0 is a seed).
	Seed uint64
	// LoginAddr, APIAddr and StreamingAddr are the listen addresses of the
	// three hosts: login.<region> (tokens), api.<region> (REST) and
	// streaming.<region> (channel sockets). Default 127.0.0.1:0 each.
	LoginAddr, APIAddr, StreamingAddr string
	// Clients are the OAuth clients (default: one, DefaultClientID with
	// DefaultClientSecret and every permission).
	Clients []Client

	// TokenLifetime is an access token's life, expires_in (86400 s).
	TokenLifetime time.Duration
	// ChannelLifetime is a channel's life from its creation or its last
	// subscription PUT or POST (24 h).
	ChannelLifetime time.Duration
	// ChannelsPerClient is how many live channels a client may hold; one
	// more evicts the oldest, unconnected first (20).
	ChannelsPerClient int
	// TopicsPerChannel is how many topics one channel may hold (1000).
	TopicsPerChannel int
	// HeartbeatEvery is the socket heartbeat period (30 s).
	HeartbeatEvery time.Duration
	// ClosingGrace is the time between v2.system.socket_closing and the
	// close (60 s).
	ClosingGrace time.Duration
	// ExpiringWarning is how long before a channel expires the socket gets
	// streaming-subscriptions-expiring (60 s).
	ExpiringWarning time.Duration
	// SocketQueue is how many frames may wait for one socket's writer; a
	// socket that falls further behind is closed with 1013 (1024).
	SocketQueue int

	// Queues is how many routing queues the org has (5).
	Queues int
	// ConversationEvery, when positive, starts a conversation every period
	// from the clock's time at New; zero: only AddConversations does.
	ConversationEvery time.Duration
	// AbandonRate is the share of calls abandoned in queue (0.2; negative:
	// none).
	AbandonRate float64
	// CallPace scales the phases of every call (eventbridge.Options.Pace):
	// 0.05 makes calls of seconds, for tests on the wall clock (1).
	CallPace float64
	// IndexLag is the most a conversation takes, after it starts, to show
	// in details queries; each draws its own lag up to it (0: at once).
	IndexLag time.Duration
	// AcceptRecentIntervals lets a details query end less than a minute
	// before now; by default that is refused with 400 (see query.go).
	AcceptRecentIntervals bool
	// DataLakeLag is how far dataAvailabilityDate trails now: details jobs
	// see conversations as they were then (1 h).
	DataLakeLag time.Duration
	// JobDelay is how long a details job takes to be FULFILLED (10 s).
	JobDelay time.Duration
	// JobLifetime is how long a fulfilled job's results stay (48 h).
	JobLifetime time.Duration
}

// withDefaults returns o with the zero values replaced by the defaults.
func (o Options) withDefaults() Options {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	for _, a := range []*string{&o.LoginAddr, &o.APIAddr, &o.StreamingAddr} {
		if *a == "" {
			*a = "127.0.0.1:0"
		}
	}
	if len(o.Clients) == 0 {
		o.Clients = []Client{{ID: DefaultClientID, Secret: DefaultClientSecret}}
	}
	setDuration := func(d *time.Duration, def time.Duration) {
		if *d == 0 {
			*d = def
		}
	}
	setDuration(&o.TokenLifetime, 24*time.Hour)
	setDuration(&o.ChannelLifetime, 24*time.Hour)
	setDuration(&o.HeartbeatEvery, 30*time.Second)
	setDuration(&o.ClosingGrace, time.Minute)
	setDuration(&o.ExpiringWarning, time.Minute)
	setDuration(&o.DataLakeLag, time.Hour)
	setDuration(&o.JobDelay, 10*time.Second)
	setDuration(&o.JobLifetime, 48*time.Hour)
	setInt := func(n *int, def int) {
		if *n == 0 {
			*n = def
		}
	}
	setInt(&o.ChannelsPerClient, 20)
	setInt(&o.TopicsPerChannel, 1000)
	setInt(&o.SocketQueue, 1024)
	setInt(&o.Queues, 5)
	if o.AbandonRate == 0 {
		o.AbandonRate = 0.2
	}
	return o
}

// validate reports every problem with o at once.
func (o Options) validate() error {
	var errs []error
	durations := []struct {
		name string
		d    time.Duration
	}{{"TokenLifetime", o.TokenLifetime}, {"ChannelLifetime", o.ChannelLifetime}, {"HeartbeatEvery", o.HeartbeatEvery},
		{"ClosingGrace", o.ClosingGrace}, {"ExpiringWarning", o.ExpiringWarning}, {"DataLakeLag", o.DataLakeLag},
		{"JobDelay", o.JobDelay}, {"JobLifetime", o.JobLifetime}, {"ConversationEvery", o.ConversationEvery},
		{"IndexLag", o.IndexLag}}
	for _, d := range durations {
		if d.d < 0 {
			errs = append(errs, fmt.Errorf("%s %v: must not be negative", d.name, d.d))
		}
	}
	if o.ExpiringWarning >= o.ChannelLifetime {
		errs = append(errs, fmt.Errorf("ExpiringWarning %v: must be shorter than ChannelLifetime %v", o.ExpiringWarning, o.ChannelLifetime))
	}
	counts := []struct {
		name string
		n    int
	}{{"ChannelsPerClient", o.ChannelsPerClient}, {"TopicsPerChannel", o.TopicsPerChannel},
		{"SocketQueue", o.SocketQueue}, {"Queues", o.Queues}}
	for _, c := range counts {
		if c.n < 0 {
			errs = append(errs, fmt.Errorf("%s %d: must not be negative", c.name, c.n))
		}
	}
	seen := map[string]bool{}
	for _, c := range o.Clients {
		if c.ID == "" || seen[c.ID] {
			errs = append(errs, fmt.Errorf("client id %q: empty or given twice", c.ID))
		}
		seen[c.ID] = true
	}
	return errors.Join(errs...)
}

package notifications

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/analytics-bridge/analytics-bridge/source/notifications/api"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/clock"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/socket"
)

// Platform limits.
const (
	// MaxTopicsPerChannel is the most topics one channel (one socket) may
	// hold.
	MaxTopicsPerChannel = 1000
	// MaxChannelsPerClient is the most channels an OAuth client may hold:
	// one more evicts its oldest.
	MaxChannelsPerClient = 20
)

// Options configure a Client. Zero values take the defaults shown.
type Options struct {
	// API is the Platform API client (required). Its clock is the
	// client's, its HTTP client dials the sockets.
	API    *api.Client
	Logger zerolog.Logger
	// TopicsPerChannel is the most topics put on one channel (1000, at
	// most 1000).
	TopicsPerChannel int
	// MaxChannels is the most channels used at once (20, at most 20; other
	// users of the same OAuth client share the platform's 20).
	MaxChannels int
	// ChannelLifetime is a channel's life after its creation or its last
	// subscription PUT, when the platform does not say (24 h).
	ChannelLifetime time.Duration
	// RenewBefore is how long before a channel's expiry its subscriptions
	// are PUT again (1 h); the platform's streaming-subscriptions-expiring
	// warning triggers a PUT too.
	RenewBefore time.Duration
	// HandoverWithin is how long after socket_closing a new socket may
	// take to connect for the handover to count as seamless (30 s, half
	// the announced minute).
	HandoverWithin time.Duration
	// DrainFor is how long the old socket of a handover is read before
	// the client closes it, if the platform has not (2 min).
	DrainFor time.Duration
	// SubscribeEvery is the least time between two subscription PUTs that
	// change a connected channel's topics: changes in between are sent
	// together, so that conversations discovered one after another cost
	// one request a period, not one each (1 s; negative: no pacing).
	SubscribeEvery time.Duration
	// MinBackoff and MaxBackoff bound the wait between failed attempts to
	// bring a channel up (1 s, 60 s).
	MinBackoff, MaxBackoff time.Duration
	// Socket configures the watchdog (QuietAfter, PongTimeout, ...); its
	// HTTPClient and Clock are the API client's.
	Socket socket.Options
	// Inbox is how many read messages may wait for the handler (1024).
	Inbox int
}

// Client owns the notification channels of one OAuth client: it keeps the
// wanted topics subscribed, through every lifecycle event of the
// platform, and reports what it could not read as gaps. See the package
// doc.
type Client struct {
	opts  Options
	api   *api.Client
	clock clock.Clock
	log   zerolog.Logger

	mu      sync.Mutex           // guards wanted and status
	wanted  map[string]time.Time // topic -> since (zero: from when subscribed, no gap)
	status  Status
	poke    chan struct{} // capacity 1: the wanted set changed
	started atomic.Bool
	stats   counters
	sockets socket.Counters // every socket's, through Options.Socket.Totals

	views     views     // the keepers, for CompleteUntil
	unhandled unhandled // frames read, not yet handed over
}

// New checks o and builds a Client; it calls nothing on the network.
func New(o Options) (*Client, error) {
	if o.API == nil {
		return nil, errors.New("notifications: Options.API is required")
	}
	switch {
	case o.TopicsPerChannel == 0:
		o.TopicsPerChannel = MaxTopicsPerChannel
	case o.TopicsPerChannel < 0 || o.TopicsPerChannel > MaxTopicsPerChannel:
		return nil, fmt.Errorf("notifications: TopicsPerChannel %d: want 1 to %d", o.TopicsPerChannel, MaxTopicsPerChannel)
	}
	switch {
	case o.MaxChannels == 0:
		o.MaxChannels = MaxChannelsPerClient
	case o.MaxChannels < 0 || o.MaxChannels > MaxChannelsPerClient:
		return nil, fmt.Errorf("notifications: MaxChannels %d: want 1 to %d", o.MaxChannels, MaxChannelsPerClient)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.ChannelLifetime, 24*time.Hour)
	def(&o.RenewBefore, time.Hour)
	def(&o.HandoverWithin, 30*time.Second)
	def(&o.DrainFor, 2*time.Minute)
	if o.SubscribeEvery == 0 {
		o.SubscribeEvery = time.Second
	}
	def(&o.MinBackoff, time.Second)
	def(&o.MaxBackoff, time.Minute)
	if o.RenewBefore >= o.ChannelLifetime {
		return nil, fmt.Errorf("notifications: RenewBefore %s must be shorter than ChannelLifetime %s", o.RenewBefore, o.ChannelLifetime)
	}
	if o.Inbox <= 0 {
		o.Inbox = 1024
	}
	o.Socket.HTTPClient, o.Socket.Clock = o.API.HTTPClient(), o.API.Clock()
	c := &Client{opts: o, api: o.API, clock: o.API.Clock(), log: o.Logger.With().Str("source", "notifications").Logger(),
		wanted: map[string]time.Time{}, poke: make(chan struct{}, 1)}
	c.opts.Socket.Totals = &c.sockets
	c.status.Budget = Budget{MaxChannels: o.MaxChannels, TopicsPerChannel: o.TopicsPerChannel}
	return c, nil
}

// Subscribe adds topics to the wanted set, from since: if they are
// subscribed later than since, the interval between is reported as a Gap
// (a restart wants its topics from the checkpoint; a topic found by
// discovery, from when its object appeared). A zero since asks for no
// gap: the topics are wanted from whenever they get subscribed. A topic
// already wanted keeps its since. Safe from any goroutine, the Handler's
// included, before and during Run.
//
// Topics must be individual topics: combined ones ("prefix?a&b") count
// every part toward a channel's 1,000 all the same, so the client does
// not use them.
func (c *Client) Subscribe(topics []string, since time.Time) error {
	var bad []string
	c.mu.Lock()
	for _, t := range topics {
		if t == "" || strings.ContainsAny(t, "?& \t\r\n") {
			bad = append(bad, fmt.Sprintf("%q", t))
			continue
		}
		if _, ok := c.wanted[t]; !ok {
			c.wanted[t] = since
		}
	}
	c.mu.Unlock()
	c.wake()
	if len(bad) > 0 {
		return fmt.Errorf("notifications: not an individual topic name: %s", strings.Join(bad, ", "))
	}
	return nil
}

// Unsubscribe removes topics from the wanted set. Safe from any
// goroutine.
func (c *Client) Unsubscribe(topics []string) {
	c.mu.Lock()
	for _, t := range topics {
		delete(c.wanted, t)
	}
	c.mu.Unlock()
	c.wake()
}

func (c *Client) wake() {
	select {
	case c.poke <- struct{}{}:
	default:
	}
}

// Status returns the current state and topic budget (for metrics).
func (c *Client) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// Stats are the client's counters since New.
type Stats struct {
	ChannelsCreated  uint64 // POST channel answered
	Subscriptions    uint64 // subscription PUTs answered
	Renewals         uint64 // of them, PUTs of an unchanged list to keep the channel
	SocketsConnected uint64
	Handovers        uint64 // sockets replaced after socket_closing
	Replacements     uint64 // channels replaced (no_longer_subscribed, duplicate_id, 404, 401)
	Silent           uint64 // sockets the watchdog declared silent
	Gaps             uint64 // Gap reports
	// Sockets are the sockets' counters: frames and heartbeats read, the
	// watchdogs' checks and pings.
	Sockets socket.Stats
}

type counters struct {
	channels, subscriptions, renewals, sockets, handovers, replacements, silent, gaps atomic.Uint64
}

// Stats returns the client's counters.
func (c *Client) Stats() Stats {
	s := &c.stats
	return Stats{ChannelsCreated: s.channels.Load(), Subscriptions: s.subscriptions.Load(), Renewals: s.renewals.Load(),
		SocketsConnected: s.sockets.Load(), Handovers: s.handovers.Load(), Replacements: s.replacements.Load(),
		Silent: s.silent.Load(), Gaps: s.gaps.Load(), Sockets: c.sockets.Stats()}
}

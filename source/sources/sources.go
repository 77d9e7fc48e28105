// Package sources builds the source the configuration names: the one place
// that knows every kind of source, so that the core knows none.
package sources

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/source"
	"github.com/analytics-bridge/analytics-bridge/source/notifications"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/api"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/backfill"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/discovery"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/feed"
	"github.com/analytics-bridge/analytics-bridge/source/sqs"
	"github.com/analytics-bridge/analytics-bridge/source/websocket"
)

// New builds the configured source, registering its metrics on reg (nil:
// not exported). It checks nothing on the network.
func New(cfg config.Config, log zerolog.Logger, reg prometheus.Registerer) (source.Source, error) {
	switch cfg.Source {
	case config.SourceSQS:
		return sqs.New(sqs.Options{Config: cfg, Logger: log, Registry: reg})
	case config.SourceNotifications:
		o := NotificationsOptions(cfg)
		o.Logger, o.Registry = log, reg
		return feed.New(o)
	}
	return websocket.New(websocket.Options{Config: cfg, Logger: log, Registry: reg})
}

// NotificationsOptions are the notifications source's options from the
// configuration (the demo and the tests start from them).
func NotificationsOptions(cfg config.Config) feed.Options {
	n := cfg.Notifications
	return feed.Options{
		API: api.Options{LoginURL: n.LoginURL, APIURL: n.APIURL, ClientID: n.ClientID, ClientSecret: n.ClientSecret,
			ClientSecretFile: n.ClientSecretFile},
		Channels: notifications.Options{MaxChannels: n.MaxChannels,
			MinBackoff: cfg.ReconnectMinBackoff, MaxBackoff: cfg.ReconnectMaxBackoff},
		Discovery: discovery.Options{Templates: n.Topics, QueueIDs: n.QueueIDs, AllQueues: n.AllQueues,
			Refresh: n.QueueRefresh, DetailTypes: n.DetailTypes, Linger: n.ConversationLinger, MaxFollowed: n.MaxFollowed},
		Backfill:       backfill.Options{QueueIDs: queuesFiltered(n)},
		PendingPoll:    n.BackfillPoll,
		PendingMaxWait: n.BackfillMaxWait,
		Latency:        n.EventLatency,
	}
}

// Kind is the kind of source the configuration names, as checkpoints
// record it.
func Kind(cfg config.Config) string {
	switch cfg.Source {
	case config.SourceSQS:
		return sqs.Name
	case config.SourceNotifications:
		return feed.Name
	}
	return websocket.Name
}

// queuesFiltered are the queues a gap's back-fill asks about: the listed
// ones; with all, none (every conversation the client may see).
func queuesFiltered(n config.Notifications) []string {
	if n.AllQueues {
		return nil
	}
	return n.QueueIDs
}

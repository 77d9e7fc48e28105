// Package sources builds the source the configuration names: the one place
// that knows every kind of source, so that the core knows none.
package sources

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/source"
	"github.com/analytics-bridge/analytics-bridge/source/sqs"
	"github.com/analytics-bridge/analytics-bridge/source/websocket"
)

// New builds the configured source, registering its metrics on reg (nil:
// not exported). It checks nothing on the network.
func New(cfg config.Config, log zerolog.Logger, reg prometheus.Registerer) (source.Source, error) {
	if cfg.Source == config.SourceSQS {
		return sqs.New(sqs.Options{Config: cfg, Logger: log, Registry: reg})
	}
	return websocket.New(websocket.Options{Config: cfg, Logger: log, Registry: reg})
}

// Kind is the kind of source the configuration names, as checkpoints
// record it.
func Kind(cfg config.Config) string {
	if cfg.Source == config.SourceSQS {
		return sqs.Name
	}
	return websocket.Name
}

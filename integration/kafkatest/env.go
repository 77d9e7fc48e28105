package kafkatest

import (
	"strings"

	"github.com/analytics-bridge/analytics-bridge/config"
)

// Env is the bridge's defaults with what every source's test shares: c's
// brokers, names unique to c's test, and test-sized timings. The caller
// adds its source.
func (c *Cluster) Env() config.Env {
	e := config.Defaults()
	e.KafkaBrokers = strings.Join(c.Brokers, ",")
	e.KafkaTopic = c.Prefix + ".events"
	e.CheckpointTopic = c.Prefix + ".checkpoints"
	e.BridgeName = c.Prefix
	e.BridgeInstanceID = c.Prefix + "-1"
	e.KafkaReplication = "1"
	e.KafkaClientID = "analytics-bridge-test"
	e.ReconnectMinBackoff = "10ms"
	e.ReconnectMaxBackoff = "500ms"
	e.CheckpointInterval = "100ms"
	e.LeaseSessionTimeout = "1500ms"
	e.LogLevel = "warn"
	e.LogFormat = "console"
	return e
}

package sink

import (
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/analytics-bridge/analytics-bridge/bridge/sink/kafkasec"
	"github.com/analytics-bridge/analytics-bridge/config"
)

// NewClient is the one Kafka client configuration of the bridge and its
// operator commands: every connection (producer, scans, checkpoint, lease,
// transactions, topic creation, check) shares its TLS and SASL.
func NewClient(cfg config.Config) (*kafka.Client, error) {
	sec, err := kafkasec.New(cfg)
	if err != nil {
		return nil, err
	}
	return &kafka.Client{
		Addr: kafka.TCP(cfg.KafkaBrokers...),
		Transport: &kafka.Transport{
			ClientID:    cfg.KafkaClientID,
			DialTimeout: 10 * time.Second,
			IdleTimeout: 30 * time.Second,
			MetadataTTL: 10 * time.Second,
			TLS:         sec.TLS,
			SASL:        sec.SASL,
		},
		// Bounds every request that has no tighter deadline; a JoinGroup
		// may legitimately wait for a whole rebalance.
		Timeout: 2*cfg.LeaseSessionTimeout + 30*time.Second,
	}, nil
}

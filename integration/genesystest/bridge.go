package genesystest

import (
	"context"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
	"github.com/analytics-bridge/analytics-bridge/integration/genesysbridge"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
)

// The bridge's environment and the read_committed verdict live in
// genesysbridge, which the demo shares (this package imports testing);
// they are passed on here so that tests find their whole kit in one place.

// Env is genesysbridge.Env: a bridge reading stand-in s into c.
func Env(c *kafkatest.Cluster, s *genesys.Server) config.Env { return genesysbridge.Env(c, s) }

// Report is genesysbridge.Report.
type Report = genesysbridge.Report

// Verdict is genesysbridge.Verdict: topic read back and checked against s.
func Verdict(ctx context.Context, c *kafkatest.Cluster, topic string, s *genesys.Server) (Report, error) {
	return genesysbridge.Verdict(ctx, c, topic, s)
}

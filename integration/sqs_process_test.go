package integration_test

import (
	"testing"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/proctest"
	"github.com/analytics-bridge/analytics-bridge/integration/sqsfake"
	"github.com/analytics-bridge/analytics-bridge/integration/sqstest"
)

// The process-level tests of the sqs source run the real binary (children
// started by proctest.Start, with sqstest.Credentials) against the SQS
// stand-in served by the test process, and against the embedded broker,
// which lives in the test process too (or KAFKA_BROKERS).

// sqsVisibility is the stand-in queue's visibility timeout in these tests:
// a killed or frozen instance's messages come back after it.
const sqsVisibility = "2"

// sqsProcessSetup is a stand-in queue with a 2 s visibility timeout, a
// cluster, the children's environment reading one into the other, and the
// built binary.
type sqsProcessSetup struct {
	bin   string
	kafka *kafkatest.Cluster
	q     *sqstest.Queue
	env   config.Env
}

func newSQSProcessSetup(t *testing.T, seed uint64, tweak func(*config.Env)) *sqsProcessSetup {
	t.Helper()
	bin := proctest.Build(t)
	c := kafkatest.Start(t)
	q := sqstest.Start(t, sqsfake.Options{Seed: seed}, map[string]string{"VisibilityTimeout": sqsVisibility})
	env := sqstest.Env(c, q)
	if tweak != nil {
		tweak(&env)
	}
	return &sqsProcessSetup{bin: bin, kafka: c, q: q, env: env}
}

// start runs a child with env (the setup's, changed) and its AWS
// credentials, logging to log.
func (s *sqsProcessSetup) start(t *testing.T, env config.Env, log *proctest.Log) *proctest.Child {
	t.Helper()
	return proctest.Start(t, s.bin, env, log, sqstest.Credentials...)
}

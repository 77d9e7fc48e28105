package demo

import (
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/sqsfake"
	"github.com/analytics-bridge/analytics-bridge/integration/sqstest"
	"github.com/analytics-bridge/analytics-bridge/source"
	sqssource "github.com/analytics-bridge/analytics-bridge/source/sqs"
)

// The stand-in queue's visibility timeout: a message received and not
// deleted comes back after it. Short, so that the restart shows it.
const sqsVisibility = 5 * time.Second

// sqsShutdownTimeout is the demo's SHUTDOWN_TIMEOUT with SQS: how long the
// restart's stop keeps trying deletes that SQS refuses.
const sqsShutdownTimeout = "3s"

// serveStandIn serves a stand-in with one queue on loopback, in this
// process, until the stage closes.
func serveStandIn(st *stage) (*sqstest.Queue, error) {
	srv := sqsfake.New(sqsfake.Options{})
	if err := srv.CreateQueue(sqstest.QueueName, map[string]string{
		"VisibilityTimeout": strconv.Itoa(int(sqsVisibility / time.Second))}); err != nil {
		return nil, fmt.Errorf("creating the stand-in's queue: %w", err)
	}
	endpoint, stop, err := srv.ServeLoopback()
	if err != nil {
		return nil, err
	}
	st.onClose(stop)
	return &sqstest.Queue{Server: srv, Endpoint: endpoint, URL: srv.QueueURL(endpoint, sqstest.QueueName)}, nil
}

// sqsEnv is the production environment contract for SOURCE=sqs with demo
// addresses and timings: the integration tests' (sqstest.Env), named for
// the demo, sized for its rate and validated like any other.
func sqsEnv(cluster *kafkatest.Cluster, q *sqstest.Queue, logLevel string, maxKeys int) config.Env {
	e := sqstest.Env(cluster, q)
	if cluster.Real {
		e.KafkaReplication = "-1" // the cluster's default
	}
	e.KafkaClientID = "analytics-bridge-demo"
	e.DedupMaxKeys = strconv.Itoa(maxKeys)
	e.ShutdownTimeout = sqsShutdownTimeout
	e.LogLevel = logLevel
	return e
}

// dedupKeys sizes DEDUP_MAX_KEYS for a run: every event it can emit, with
// room (a bound that evicts would not be the demo's point).
func dedupKeys(opts Options) int {
	return max(100_000, int(2*opts.Rate*opts.Duration.Seconds()))
}

// sqsSource builds the sqs source with static credentials: the stand-in
// accepts any signature, and the demo must not read (or need) the user's
// AWS profile. Everything else is SOURCE=sqs as configured.
func sqsSource(cfg config.Config, log zerolog.Logger, reg prometheus.Registerer) (source.Source, error) {
	creds := aws.Config{Credentials: credentials.NewStaticCredentialsProvider("demo", "demo", "")}
	return sqssource.New(sqssource.Options{Config: cfg, Logger: log, Registry: reg, AWS: &creds})
}

// Counters of the sqs source's registry that the demo shows.
const (
	metricSQSReceived = "analytics_bridge_sqs_messages_received_total"
	metricSQSDeleted  = "analytics_bridge_sqs_messages_deleted_total"
	metricSQSReleased = "analytics_bridge_sqs_messages_released_total"
	metricSQSGivenUp  = "analytics_bridge_sqs_delete_failures_total"
)

// burst is how many events a scripted fault touches: a twentieth of a
// second's worth, between 5 and 100.
func burst(rate float64) int {
	return int(min(max(rate/20, 5), 100))
}

// queueState is the stand-in queue's depth, for the progress line.
func queueState(q *sqstest.Queue) string {
	return fmt.Sprintf("queue %d visible, %d in flight", q.Server.Visible(sqstest.QueueName), q.Server.InFlight(sqstest.QueueName))
}

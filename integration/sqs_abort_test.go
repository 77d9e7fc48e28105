package integration_test

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/eventbridge"
	"github.com/analytics-bridge/analytics-bridge/integration/sqsfake"
	"github.com/analytics-bridge/analytics-bridge/integration/sqstest"
)

// TestSQSAbortedEpoch: an epoch that read messages and wrote their records
// ends without committing them: the commit of their transaction is
// refused, or a write fails mid-transaction (without transactions: mid-
// epoch). What it never committed is not deleted but made visible again at
// once when it closes, long before the queue's visibility timeout (120 s),
// and the next epoch, rebuilt from the topic, writes each event once: what
// a failed epoch without transactions did write is dropped then. The
// broker injects the faults, so it is the embedded one.
func TestSQSAbortedEpoch(t *testing.T) {
	cases := []struct {
		name  string
		modes []string
		fault func(topic string) kfake.Fault
	}{
		{"commit refused", []string{"true"}, func(string) kfake.Fault {
			return kfake.Fault{Keys: []kmsg.Key{kmsg.EndTxn}, TopLevel: true, Err: kerr.UnknownProducerID, Count: 1,
				When: func(req kmsg.Request) bool { return req.(*kmsg.EndTxnRequest).Commit }}
		}},
		{"write fails", []string{"true", "false"}, func(topic string) kfake.Fault {
			return kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: topic, Err: kerr.UnknownProducerID, Count: 1}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, txn := range tc.modes {
				t.Run("transactions="+txn, func(t *testing.T) {
					c := embeddedCluster(t)
					q := sqstest.Start(t, sqsfake.Options{Seed: 31}, slowVisibility)
					rig := newSQSRig(t, c, q, txn, func(e *config.Env) { e.KafkaWriteTimeout = "30s" })
					g := eventbridge.New(eventbridge.Options{Seed: 37})
					events := g.Stream(5)
					n := len(events)
					// The first copies' writes wait until every one was
					// read, so that the fault falls on the epoch that holds
					// them all.
					hold := holdProduce(t, c, rig.env.KafkaTopic)
					run := rig.start()
					t.Cleanup(hold.release) // before the run stops, should the test fail while it holds
					sendAll(t, q, events)
					waitFor(t, "every message read and waiting for Kafka", func() bool {
						return run.metric(t, "analytics_bridge_events_received_total") == float64(n) && hold.waiting() > 0
					})
					fault := c.Fake.Fault(tc.fault(rig.env.KafkaTopic))
					hold.release()
					report := rig.waitExactlyOnce(g.Ledger(), run)
					s := q.Server.Stats()
					released := run.metric(t, "analytics_bridge_sqs_messages_released_total")
					aborted := run.metric(t, "analytics_bridge_transactions_total", "outcome", "aborted")
					if fault.Hits() != 1 {
						t.Fatalf("the fault answered %d requests, want 1", fault.Hits())
					}
					if txn == "true" && (released != float64(n) || aborted != 1 || s.Received != 2*n) {
						t.Fatalf("%v messages released, %v transactions aborted, stand-in %+v: want all %d released once, after one abort", released, aborted, s, n)
					}
					if released == 0 || s.Received <= n {
						t.Fatalf("%v messages released, stand-in %+v: want some released and received again", released, s)
					}
					t.Logf("%d events; %v released, %v aborted transactions; %+v; stand-in %+v", n, released, aborted, report, s)
				})
			}
		})
	}
}

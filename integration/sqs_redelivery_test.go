package integration_test

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/eventbridge"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/sqsfake"
	"github.com/analytics-bridge/analytics-bridge/integration/sqstest"
)

// slowVisibility is the queue's visibility timeout in the redelivery tests:
// far longer than they take, so that whatever comes back came back by the
// fault the test injects (or a release), never by its timeout.
var slowVisibility = map[string]string{"VisibilityTimeout": "120"}

// TestSQSRedeliveryInFlight: SQS redelivers messages (new receipt handles)
// while their first copies wait for Kafka. The copies are dropped and
// acknowledged only after the first ones, so nothing is deleted while
// Kafka holds them: when they commit, one record each and both handles
// deleted; when their write fails instead, the epoch ends, what it never
// committed comes back at once and is written once. The broker holds the
// writes, so it is the embedded one.
func TestSQSRedeliveryInFlight(t *testing.T) {
	for _, outcome := range []string{"commit", "write fails"} {
		t.Run(outcome, func(t *testing.T) {
			bothModes(t, func(t *testing.T, txn string) {
				c := embeddedCluster(t)
				q := sqstest.Start(t, sqsfake.Options{Seed: 17}, slowVisibility)
				rig := newSQSRig(t, c, q, txn, func(e *config.Env) { e.KafkaWriteTimeout = "30s" })
				g := eventbridge.New(eventbridge.Options{Seed: 19})
				events := g.Stream(5)
				n := len(events)
				hold := holdProduce(t, c, rig.env.KafkaTopic)
				run := rig.start()
				t.Cleanup(hold.release) // before the run stops, should the test fail while it holds
				sendAll(t, q, events)
				waitFor(t, "every first copy read and waiting for Kafka", func() bool {
					return run.metric(t, "analytics_bridge_events_received_total") == float64(n) && hold.waiting() > 0
				})
				if got := q.Server.ExpireInFlight(sqstest.QueueName); got != n {
					t.Fatalf("%d messages in flight to expire, want %d", got, n)
				}
				waitFor(t, "every redelivered copy dropped", func() bool {
					return run.metric(t, "analytics_bridge_duplicates_dropped_total") == float64(n)
				})
				if s := q.Server.Stats(); s.Deleted != 0 || s.Redelivered != n {
					t.Fatalf("while Kafka holds the first copies: stand-in %+v, want %d redelivered and none deleted", s, n)
				}
				if outcome == "write fails" {
					c.Fake.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: rig.env.KafkaTopic, Err: kerr.UnknownProducerID, Count: 1})
				}
				hold.release()
				report := rig.waitExactlyOnce(g.Ledger(), run)
				s := q.Server.Stats()
				switch released := run.metric(t, "analytics_bridge_sqs_messages_released_total"); outcome {
				case "commit":
					if s.Received != 2*n || s.Deleted != n {
						t.Fatalf("stand-in %+v: want %d receives (no redelivery by timeout) and %d messages deleted once", s, 2*n, n)
					}
				default:
					if released == 0 || s.Received <= 2*n {
						t.Fatalf("after the failed write: %v messages released, stand-in %+v; want them released and received again", released, s)
					}
				}
				t.Logf("%d events, %d redelivered in flight; %+v; stand-in %+v", n, n, report, s)
			})
		})
	}
}

// TestSQSStaleReceiptHandle: a message committed but not yet deleted (its
// delete is slow to reach SQS) comes back with a new receipt handle. The
// late delete with the superseded handle is accepted and deletes nothing;
// the copy is dropped as a duplicate and deleted with its own handle.
func TestSQSStaleReceiptHandle(t *testing.T) {
	bothModes(t, func(t *testing.T, txn string) {
		c := kafkatest.Start(t)
		q := sqstest.Start(t, sqsfake.Options{Seed: 23}, slowVisibility)
		rig := newSQSRig(t, c, q, txn, nil)
		g := eventbridge.New(eventbridge.Options{Seed: 29})
		events := g.Stream(5)
		n := len(events)
		release := q.Hold("DeleteMessageBatch")
		run := rig.start()
		t.Cleanup(release) // before the run stops, should the test fail while it holds
		sendAll(t, q, events)
		rig.waitRecords(g.Ledger(), run)
		waitFor(t, "a delete on its way", func() bool { return q.Waiting("DeleteMessageBatch") > 0 })
		if got := q.Server.ExpireInFlight(sqstest.QueueName); got != n {
			t.Fatalf("%d committed messages in flight to expire, want %d", got, n)
		}
		waitFor(t, "every redelivered copy dropped", func() bool {
			return run.metric(t, "analytics_bridge_duplicates_dropped_total") == float64(n)
		})
		release()
		report := rig.waitExactlyOnce(g.Ledger(), run)
		s := q.Server.Stats()
		if s.Received != 2*n || s.Deleted != n {
			t.Fatalf("stand-in %+v: want %d receives (no redelivery by timeout) and %d messages deleted once", s, 2*n, n)
		}
		t.Logf("%d events, each received again before its delete; %+v; stand-in %+v", n, report, s)
	})
}

// produceHold holds the embedded broker's Produce requests to one topic
// until released.
type produceHold struct {
	held    atomic.Int64
	open    chan struct{}
	release func()
}

// holdProduce holds every Produce request to topic from now until
// release (or the test's end).
func holdProduce(t *testing.T, c *kafkatest.Cluster, topic string) *produceHold {
	h := &produceHold{open: make(chan struct{})}
	var once sync.Once
	h.release = func() { once.Do(func() { close(h.open) }) }
	c.Fake.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		select {
		case <-h.open:
			return nil, nil, false
		default:
		}
		for _, tp := range req.(*kmsg.ProduceRequest).Topics {
			if tp.Topic == topic {
				h.held.Add(1)
				c.Fake.SleepControl(func() { <-h.open })
				h.held.Add(-1)
				break
			}
		}
		return nil, nil, false
	})
	return h
}

// waiting is how many requests are held now.
func (h *produceHold) waiting() int { return int(h.held.Load()) }

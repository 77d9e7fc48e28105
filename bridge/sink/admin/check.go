package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/segmentio/kafka-go"

	"github.com/analytics-bridge/analytics-bridge/bridge/sink"
	"github.com/analytics-bridge/analytics-bridge/bridge/sink/durability"
	"github.com/analytics-bridge/analytics-bridge/bridge/sink/kafkasec"
	"github.com/analytics-bridge/analytics-bridge/bridge/sink/txn"
	"github.com/analytics-bridge/analytics-bridge/source"
)

// CheckResult is one line of `analytics-bridge check --connect`.
type CheckResult = source.CheckResult

// Check tries what the bridge needs before it goes live, without writing a
// record or disturbing a running instance: Kafka reachable, the topics
// (and the checkpoint topic compacted), their durability and the
// transaction state log's (warnings only), the right to write (with
// transactions, through a transactional id of its own under the bridge's
// prefix, whose empty transaction is aborted), a token, and the upstream
// source's own checks (for the WebSocket: a token, and the handshake with
// since=now).
func (a *Admin) Check(ctx context.Context, src source.Source) []CheckResult {
	var out []CheckResult
	add := func(name string, err error, detail string) bool {
		r := CheckResult{Name: name, OK: err == nil, Detail: detail}
		if err != nil {
			r.Detail = err.Error()
			if denied := kafkasec.Explain(err, a.cfg); denied != nil {
				r.Detail = denied.Error()
			}
		}
		out = append(out, r)
		return err == nil
	}
	md, err := a.client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{a.cfg.KafkaTopic, a.cfg.KafkaDLQTopic, a.cfg.CheckpointTopic}})
	// An EOF may be a broker closing the connection on wrong SASL
	// credentials: probe as the bridge would before giving up.
	closes := kafkasec.NewAuthCloses(a.cfg, a.client.Transport)
	for i := 0; i < kafkasec.AuthCloseLimit && err != nil; i++ {
		if denied := closes.Observe(ctx, err); denied != nil {
			err = denied
			break
		}
	}
	if !add("kafka", err, fmt.Sprintf("%s reachable, %d broker(s)", strings.Join(a.cfg.KafkaBrokers, ","), brokersOf(md))) {
		return out
	}
	writable := true
	for _, t := range md.Topics {
		switch {
		case errors.Is(t.Error, kafka.UnknownTopicOrPartition) && a.cfg.CreateTopics:
			add("topic "+t.Name, nil, "missing; KAFKA_CREATE_TOPICS=true creates it at start")
			writable = false
		case errors.Is(t.Error, kafka.UnknownTopicOrPartition):
			add("topic "+t.Name, fmt.Errorf("%w: create it, or set KAFKA_CREATE_TOPICS=true", sink.ErrTopicMissing), "")
			writable = false
		case t.Error != nil:
			add("topic "+t.Name, t.Error, "")
			writable = false
		case t.Name == a.cfg.CheckpointTopic:
			add("topic "+t.Name, a.compacted(ctx), fmt.Sprintf("%d partition(s), cleanup.policy=compact", len(t.Partitions)))
		default:
			add("topic "+t.Name, nil, fmt.Sprintf("%d partition(s)", len(t.Partitions)))
		}
	}
	// Durability is reported, not required: a one-broker dev cluster works.
	findings, err := durability.Inspect(ctx, a.client, []string{a.cfg.KafkaTopic, a.cfg.KafkaDLQTopic, a.cfg.CheckpointTopic}, a.cfg.Transactions)
	if err != nil {
		findings = []durability.Finding{{Subject: "of the topics", Warning: true, Detail: err.Error()}}
	}
	for _, f := range findings {
		out = append(out, CheckResult{Name: "durability " + f.Subject, OK: true, Warning: f.Warning, Detail: f.Detail})
	}
	if writable {
		a.checkWrite(ctx, add)
	}
	// The source checks its own side, and explains its own failures (the
	// Kafka explanations above are for Kafka's rows only).
	if c, ok := src.(source.Checker); ok {
		out = append(out, c.Check(ctx)...)
	}
	return out
}

// checkWrite checks the right to write to the output topic without
// writing a record.
func (a *Admin) checkWrite(ctx context.Context, add func(string, error, string) bool) {
	if !a.cfg.Transactions {
		_, err := txn.Init(ctx, a.client, "", 0)
		add("idempotent producer", err, "producer id granted (write access to the topics is not verified without writing)")
		return
	}
	id := a.cfg.TransactionalID + ".check"
	pid, err := txn.Init(ctx, a.client, id, a.cfg.TransactionTimeout)
	if !add("transactional id", err, fmt.Sprintf("%s granted (the bridge uses %s)", id, a.cfg.TransactionalID)) {
		return
	}
	err = pid.AddPartitions(ctx, a.cfg.KafkaTopic, 0)
	if err == nil {
		err = pid.EndTxn(ctx, false)
	}
	add("write", err, fmt.Sprintf("%s[0] added to a transaction, then aborted", a.cfg.KafkaTopic))
}

// compacted checks cleanup.policy=compact on the checkpoint topic.
func (a *Admin) compacted(ctx context.Context) error {
	res, err := a.client.DescribeConfigs(ctx, &kafka.DescribeConfigsRequest{Resources: []kafka.DescribeConfigRequestResource{{
		ResourceType: kafka.ResourceTypeTopic, ResourceName: a.cfg.CheckpointTopic, ConfigNames: []string{"cleanup.policy"},
	}}})
	if err != nil {
		return fmt.Errorf("describing %s: %w", a.cfg.CheckpointTopic, err)
	}
	for _, r := range res.Resources {
		if r.Error != nil {
			return fmt.Errorf("describing %s: %w", a.cfg.CheckpointTopic, r.Error)
		}
		for _, e := range r.ConfigEntries {
			if e.ConfigName == "cleanup.policy" && !strings.Contains(e.ConfigValue, "compact") {
				return fmt.Errorf("cleanup.policy=%s: the checkpoint topic must be compacted, or it grows without bound and old positions expire", e.ConfigValue)
			}
		}
	}
	return nil
}

func brokersOf(md *kafka.MetadataResponse) int {
	if md == nil {
		return 0
	}
	return len(md.Brokers)
}

// Package durability judges whether a Kafka cluster's settings let the
// bridge's exactly-once guarantee survive the loss of one broker: the
// replication of its topics and of the transaction state log, their
// min.insync.replicas, and unclean leader election. It reads the settings
// (Inspect) and judges them (JudgeTopic, JudgeTransactionLog) separately,
// so the rules are tested as a table.
//
// Why these settings: the bridge writes with acks=all, and a record is
// durable only once min.insync.replicas replicas hold it. With one
// replica, or a min.insync.replicas of 1, a committed transaction can be
// lost with the one broker that held it; with unclean leader election a
// replica that missed it can become leader and truncate it away. The
// transaction state log holds the coordinator's view of every
// transaction: lost, an open transaction can never be ended and blocks
// read_committed consumers. A min.insync.replicas equal to the
// replication factor loses nothing but stops every write while one
// broker is down.
package durability

import (
	"fmt"
	"strings"
)

// Recommended settings: three replicas, two of which must acknowledge.
const (
	MinReplicationFactor = 3
	MinInSyncReplicas    = 2
)

// Finding is one judged subject.
type Finding struct {
	Subject string // "topic <name>" or "transaction state log"
	Warning bool   // exactly-once (or writing at all) does not survive a broker loss
	Detail  string // the settings found, and what to change
}

// TopicSettings are a topic's durability settings; a negative number or
// a nil pointer is a setting that could not be read.
type TopicSettings struct {
	Name              string
	ReplicationFactor int   // the smallest over its partitions
	MinInSync         int   // min.insync.replicas
	UncleanElection   *bool // unclean.leader.election.enable; nil: not reported (Kafka's default is false)
}

// JudgeTopic judges one topic the bridge writes.
func JudgeTopic(s TopicSettings) Finding {
	f := Finding{Subject: "topic " + s.Name}
	var found, problems []string
	found = append(found, fmt.Sprintf("replication factor %s", known(s.ReplicationFactor)),
		fmt.Sprintf("min.insync.replicas=%s", known(s.MinInSync)))
	problems = append(problems, replication(s.ReplicationFactor, s.MinInSync, "KAFKA_REPLICATION_FACTOR, or kafka-reassign-partitions for an existing topic", "min.insync.replicas")...)
	switch {
	case s.UncleanElection == nil:
		found = append(found, "unclean.leader.election.enable not reported (Kafka's default: false)")
	case *s.UncleanElection:
		found = append(found, "unclean.leader.election.enable=true")
		problems = append(problems, "unclean leader election lets a replica that missed committed records become leader and drop them: set unclean.leader.election.enable=false")
	default:
		found = append(found, "unclean.leader.election.enable=false")
	}
	return finish(f, found, problems)
}

// TransactionLogSettings are the transaction state log's settings: the
// __transaction_state topic's own when it exists and may be described,
// else the brokers' transaction.state.log.* configuration, which applies
// when the coordinator creates it.
type TransactionLogSettings struct {
	ReplicationFactor int    // negative: not known
	MinInSync         int    // negative: not known
	Source            string // where they were read, for the detail
}

// JudgeTransactionLog judges the transaction state log (only relevant
// with KAFKA_TRANSACTIONS=true).
func JudgeTransactionLog(s TransactionLogSettings) Finding {
	f := Finding{Subject: "transaction state log"}
	found := []string{fmt.Sprintf("replication factor %s, min ISR %s (%s)", known(s.ReplicationFactor), known(s.MinInSync), s.Source)}
	problems := replication(s.ReplicationFactor, s.MinInSync,
		"transaction.state.log.replication.factor, before the first transaction; afterwards reassign __transaction_state", "transaction.state.log.min.isr")
	return finish(f, found, problems)
}

// replication judges a replication factor and its min.insync.replicas.
func replication(rf, minISR int, rfSetting, minSetting string) []string {
	var p []string
	switch {
	case rf < 0:
		p = append(p, "the replication factor could not be read")
	case rf < MinReplicationFactor:
		p = append(p, fmt.Sprintf("%d replica(s): losing a broker loses or blocks what only it holds; use at least %d (%s)", rf, MinReplicationFactor, rfSetting))
	}
	switch {
	case minISR < 0:
		p = append(p, minSetting+" could not be read")
	case minISR < MinInSyncReplicas:
		p = append(p, fmt.Sprintf("%s=%d: a write is acknowledged once %d replica holds it, and lost if that broker fails; set it to at least %d", minSetting, minISR, minISR, MinInSyncReplicas))
	case rf > 0 && minISR >= rf:
		p = append(p, fmt.Sprintf("%s=%d with %d replica(s): one broker down stops every write (NOT_ENOUGH_REPLICAS) until it returns; keep it below the replication factor", minSetting, minISR, rf))
	}
	return p
}

func finish(f Finding, found, problems []string) Finding {
	f.Detail = strings.Join(found, ", ")
	if len(problems) > 0 {
		f.Warning = true
		f.Detail += "; not safe against the loss of a broker: " + strings.Join(problems, "; ")
	}
	return f
}

func known(n int) string {
	if n < 0 {
		return "unknown"
	}
	return fmt.Sprint(n)
}

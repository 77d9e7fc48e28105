package durability

import (
	"context"
	"fmt"
	"strconv"

	"github.com/segmentio/kafka-go"
)

// TransactionStateTopic is Kafka's internal topic of transaction state.
const TransactionStateTopic = "__transaction_state"

// Config names read from the cluster.
const (
	configMinInSync       = "min.insync.replicas"
	configUnclean         = "unclean.leader.election.enable"
	configTxnLogRF        = "transaction.state.log.replication.factor"
	configTxnLogMinInSync = "transaction.state.log.min.isr"
)

// Inspect reads the durability settings of topics (those that exist) and,
// with transactions, of the transaction state log, and judges them. What
// cannot be read (a missing DescribeConfigs ACL, an old broker) is judged
// unknown, which is a warning that says what was refused; Inspect itself
// fails only when the cluster's metadata cannot be read.
func Inspect(ctx context.Context, client *kafka.Client, topics []string, transactions bool) ([]Finding, error) {
	names := append([]string(nil), topics...)
	if transactions {
		names = append(names, TransactionStateTopic)
	}
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: names})
	if err != nil {
		return nil, fmt.Errorf("reading metadata: %w", err)
	}
	rf := map[string]int{}
	for _, t := range md.Topics {
		if t.Error != nil || len(t.Partitions) == 0 {
			continue
		}
		rf[t.Name] = len(t.Partitions[0].Replicas)
		for _, p := range t.Partitions {
			rf[t.Name] = min(rf[t.Name], len(p.Replicas))
		}
	}
	var described []string
	for _, name := range names {
		if _, ok := rf[name]; ok {
			described = append(described, name)
		}
	}
	configs, configErr := topicConfigs(ctx, client, described)

	var out []Finding
	for _, name := range topics {
		if _, ok := rf[name]; !ok {
			continue // Check reports a missing topic
		}
		s := TopicSettings{Name: name, ReplicationFactor: rf[name], MinInSync: -1}
		c := configs[name]
		if v, ok := c[configMinInSync]; ok {
			s.MinInSync = atoi(v)
		}
		if v, ok := c[configUnclean]; ok {
			b := v == "true"
			s.UncleanElection = &b
		}
		f := JudgeTopic(s)
		if err := configErr[name]; err != nil {
			f.Detail += fmt.Sprintf(" (DescribeConfigs on the topic: %v)", err)
		}
		out = append(out, f)
	}
	if transactions {
		out = append(out, JudgeTransactionLog(transactionLog(ctx, client, md, rf, configs)))
	}
	return out, nil
}

// transactionLog reads the transaction state log's settings from the
// topic when it may be described, else from a broker's configuration.
func transactionLog(ctx context.Context, client *kafka.Client, md *kafka.MetadataResponse, rf map[string]int, configs map[string]map[string]string) TransactionLogSettings {
	if n, ok := rf[TransactionStateTopic]; ok {
		s := TransactionLogSettings{ReplicationFactor: n, MinInSync: -1, Source: TransactionStateTopic}
		if v, ok := configs[TransactionStateTopic][configMinInSync]; ok {
			s.MinInSync = atoi(v)
			return s
		}
	}
	s := TransactionLogSettings{ReplicationFactor: -1, MinInSync: -1, Source: "broker configuration"}
	if len(md.Brokers) == 0 {
		s.Source = "no broker to ask"
		return s
	}
	res, err := client.DescribeConfigs(ctx, &kafka.DescribeConfigsRequest{Resources: []kafka.DescribeConfigRequestResource{{
		ResourceType: kafka.ResourceTypeBroker, ResourceName: strconv.Itoa(md.Brokers[0].ID),
		ConfigNames: []string{configTxnLogRF, configTxnLogMinInSync},
	}}})
	if err == nil && len(res.Resources) > 0 {
		err = res.Resources[0].Error
	}
	if err != nil {
		s.Source = fmt.Sprintf("DescribeConfigs on broker %d: %v", md.Brokers[0].ID, err)
		return s
	}
	for _, e := range res.Resources[0].ConfigEntries {
		switch e.ConfigName {
		case configTxnLogRF:
			s.ReplicationFactor = atoi(e.ConfigValue)
		case configTxnLogMinInSync:
			s.MinInSync = atoi(e.ConfigValue)
		}
	}
	if s.ReplicationFactor < 0 && s.MinInSync < 0 {
		s.Source = "not reported by broker " + strconv.Itoa(md.Brokers[0].ID)
	}
	return s
}

// topicConfigs describes min.insync.replicas and unclean leader election
// of topics, returning each topic's values and any error by topic.
func topicConfigs(ctx context.Context, client *kafka.Client, topics []string) (map[string]map[string]string, map[string]error) {
	values, errs := map[string]map[string]string{}, map[string]error{}
	if len(topics) == 0 {
		return values, errs
	}
	req := &kafka.DescribeConfigsRequest{}
	for _, t := range topics {
		req.Resources = append(req.Resources, kafka.DescribeConfigRequestResource{
			ResourceType: kafka.ResourceTypeTopic, ResourceName: t, ConfigNames: []string{configMinInSync, configUnclean},
		})
	}
	res, err := client.DescribeConfigs(ctx, req)
	if err != nil {
		for _, t := range topics {
			errs[t] = err
		}
		return values, errs
	}
	for _, r := range res.Resources {
		if r.Error != nil {
			errs[r.ResourceName] = r.Error
			continue
		}
		values[r.ResourceName] = map[string]string{}
		for _, e := range r.ConfigEntries {
			values[r.ResourceName][e.ConfigName] = e.ConfigValue
		}
	}
	return values, errs
}

// atoi reads a config value; -1 when it is not a number.
func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

package durability

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
)

func createTopic(t *testing.T, client *kafka.Client, topic string, rf int, configs ...kafka.ConfigEntry) {
	t.Helper()
	res, err := client.CreateTopics(t.Context(), &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{
		Topic: topic, NumPartitions: 2, ReplicationFactor: rf, ConfigEntries: configs,
	}}})
	if err == nil {
		err = res.Errors[topic]
	}
	if err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
		t.Fatalf("creating %s: %v", topic, err)
	}
}

func byTopic(findings []Finding) map[string]Finding {
	out := map[string]Finding{}
	for _, f := range findings {
		out[f.Subject] = f
	}
	return out
}

// TestInspectEmbedded reads replication factors and min.insync.replicas
// from an embedded three-broker cluster (kfake answers DescribeConfigs
// for topics; it reports neither unclean leader election nor the
// transaction state log's settings, which are judged unknown).
func TestInspectEmbedded(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(3))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	client := &kafka.Client{Addr: kafka.TCP(c.ListenAddrs()...), Timeout: 20 * time.Second}
	createTopic(t, client, "durable", 3, kafka.ConfigEntry{ConfigName: "min.insync.replicas", ConfigValue: "2"})
	createTopic(t, client, "fragile", 1)

	findings, err := Inspect(t.Context(), client, []string{"durable", "fragile", "missing"}, true)
	if err != nil {
		t.Fatal(err)
	}
	got := byTopic(findings)
	if f := got["topic durable"]; f.Warning || !strings.Contains(f.Detail, "replication factor 3, min.insync.replicas=2") {
		t.Errorf("durable: %+v", f)
	}
	if f := got["topic fragile"]; !f.Warning || !strings.Contains(f.Detail, "replication factor 1, min.insync.replicas=1") {
		t.Errorf("fragile: %+v", f)
	}
	if _, ok := got["topic missing"]; ok {
		t.Error("a missing topic was judged")
	}
	if f := got["transaction state log"]; !f.Warning || !strings.Contains(f.Detail, "unknown") {
		t.Errorf("transaction state log on kfake: %+v", f)
	}
	findings, err = Inspect(t.Context(), client, []string{"durable"}, false)
	if err != nil || len(findings) != 1 {
		t.Errorf("without transactions: %+v, %v (want only the topic)", findings, err)
	}
}

// TestInspectRealKafka reads a real broker (KAFKA_BROKERS): its topic and
// the transaction state log's settings as the broker reports them. The
// test broker is a single node, so both must be judged unsafe.
func TestInspectRealKafka(t *testing.T) {
	brokers := os.Getenv("KAFKA_BROKERS")
	if brokers == "" {
		t.Skip("KAFKA_BROKERS is not set: the real-Kafka durability test needs a broker (integration/kafka/kafka.sh start)")
	}
	client := &kafka.Client{Addr: kafka.TCP(strings.Split(brokers, ",")...), Timeout: 20 * time.Second}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{})
	if err != nil {
		t.Fatal(err)
	}
	topic := fmt.Sprintf("durability-%d", time.Now().UnixNano())
	createTopic(t, client, topic, 1, kafka.ConfigEntry{ConfigName: "unclean.leader.election.enable", ConfigValue: "true"})
	findings, err := Inspect(ctx, client, []string{topic}, true)
	if err != nil {
		t.Fatal(err)
	}
	got := byTopic(findings)
	f := got["topic "+topic]
	if !f.Warning || !strings.Contains(f.Detail, "replication factor 1, min.insync.replicas=") || !strings.Contains(f.Detail, "unclean.leader.election.enable=true") {
		t.Errorf("topic: %+v", f)
	}
	log := got["transaction state log"]
	if strings.Contains(log.Detail, "unknown") {
		t.Errorf("the broker's transaction state log settings were not read: %+v", log)
	}
	if len(md.Brokers) < 3 && !log.Warning {
		t.Errorf("%d broker(s), yet the transaction state log is judged safe: %+v", len(md.Brokers), log)
	}
	t.Logf("%s: %s", f.Subject, f.Detail)
	t.Logf("%s: %s", log.Subject, log.Detail)
}

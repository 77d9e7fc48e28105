package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

func kafkaClient(brokers []string) *kafka.Client {
	return &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second}
}

// checkCluster fails early, with the address, when the cluster is not
// reachable.
func checkCluster(ctx context.Context, brokers []string) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if _, err := kafkaClient(brokers).Metadata(ctx, &kafka.MetadataRequest{}); err != nil {
		return fmt.Errorf("kafka at %v is not reachable: %w", brokers, err)
	}
	return nil
}

// createTopic creates a topic with replication factor 1 and waits until
// every partition has a leader.
func createTopic(ctx context.Context, brokers []string, topic string, partitions int) error {
	return createTopicWith(ctx, brokers, kafka.TopicConfig{Topic: topic, NumPartitions: partitions, ReplicationFactor: 1})
}

// createTopicWith creates a topic as tc says and waits until every
// partition has a leader.
func createTopicWith(ctx context.Context, brokers []string, tc kafka.TopicConfig) error {
	topic, partitions := tc.Topic, tc.NumPartitions
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cl := kafkaClient(brokers)
	res, err := cl.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{tc}})
	if err == nil {
		err = res.Errors[topic]
	}
	if err != nil {
		return fmt.Errorf("creating topic %s: %w", topic, err)
	}
	for {
		md, err := cl.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
		if err == nil && len(md.Topics) == 1 && md.Topics[0].Error == nil && len(md.Topics[0].Partitions) == partitions {
			ready := true
			for _, p := range md.Topics[0].Partitions {
				ready = ready && p.Error == nil && p.Leader.Host != ""
			}
			if ready {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("topic %s has no leader for every partition after 60s (last error: %v)", topic, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// deleteTopics deletes topics, best effort (a topic that was never created
// is not an error worth reporting).
func deleteTopics(brokers []string, topics ...string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, _ = kafkaClient(brokers).DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: topics})
}

// errNoTopic is endOffsets' error for a topic not (yet) there.
var errNoTopic = errors.New("topic not there")

// endOffsets returns the sum over a topic's partitions of the end offsets:
// with committed set, the last stable offsets (a read_committed consumer's
// end: below any open transaction, and counting transaction markers);
// otherwise the high watermarks.
func endOffsets(ctx context.Context, brokers []string, topic string, partitions int, committed bool) (int64, error) {
	return endOffsetsWith(ctx, kafkaClient(brokers), topic, partitions, committed)
}

func endOffsetsWith(ctx context.Context, cl *kafka.Client, topic string, partitions int, committed bool) (int64, error) {
	reqs := make([]kafka.OffsetRequest, partitions)
	for p := range reqs {
		reqs[p] = kafka.LastOffsetOf(p)
	}
	level := kafka.ReadUncommitted
	if committed {
		level = kafka.ReadCommitted
	}
	res, err := cl.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}, IsolationLevel: level})
	if err != nil {
		return 0, err
	}
	parts := res.Topics[topic]
	if len(parts) != partitions {
		return 0, errNoTopic
	}
	var sum int64
	for _, p := range parts {
		if p.Error != nil {
			if errors.Is(p.Error, kafka.UnknownTopicOrPartition) {
				return 0, errNoTopic
			}
			return 0, fmt.Errorf("partition %d: %w", p.Partition, p.Error)
		}
		sum += p.LastOffset
	}
	return sum, nil
}

package sink

import (
	"context"
	"errors"
	"fmt"

	"github.com/segmentio/kafka-go"
)

// ErrTopicMissing means a topic does not exist and KAFKA_CREATE_TOPICS is off.
var ErrTopicMissing = errors.New("topic does not exist")

// EnsureTopics creates the given topics when missing.
func EnsureTopics(ctx context.Context, client *kafka.Client, partitions, replication int, topics ...string) error {
	req := &kafka.CreateTopicsRequest{}
	for _, t := range topics {
		req.Topics = append(req.Topics, kafka.TopicConfig{Topic: t, NumPartitions: partitions, ReplicationFactor: replication})
	}
	res, err := client.CreateTopics(ctx, req)
	if err != nil {
		return fmt.Errorf("creating topics: %w", err)
	}
	for _, t := range topics {
		if err := res.Errors[t]; err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
			return fmt.Errorf("creating topic %q: %w", t, err)
		}
	}
	return nil
}

// PartitionCounts returns the number of partitions of each topic.
func PartitionCounts(ctx context.Context, client *kafka.Client, topics ...string) (map[string]int, error) {
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		return nil, fmt.Errorf("reading metadata: %w", err)
	}
	counts := make(map[string]int, len(topics))
	for _, t := range md.Topics {
		if t.Error != nil {
			if errors.Is(t.Error, kafka.UnknownTopicOrPartition) {
				return nil, fmt.Errorf("%w: %q", ErrTopicMissing, t.Name)
			}
			return nil, fmt.Errorf("metadata of topic %q: %w", t.Name, t.Error)
		}
		counts[t.Name] = len(t.Partitions)
	}
	for _, t := range topics {
		if counts[t] == 0 {
			return nil, fmt.Errorf("%w: %q", ErrTopicMissing, t)
		}
	}
	return counts, nil
}

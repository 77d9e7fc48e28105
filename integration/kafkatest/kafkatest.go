// Package kafkatest gives integration tests a Kafka cluster and a way to
// read back what landed in it. The cluster is the real one named by
// KAFKA_BROKERS when that is set, and otherwise an embedded Kafka-protocol
// broker (franz-go's kfake) started for the test alone.
package kafkatest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/analytics-bridge/analytics-bridge/checkpoint"
)

// Cluster is a Kafka cluster for one test.
type Cluster struct {
	Brokers []string
	// Real is true when the brokers come from KAFKA_BROKERS.
	Real bool
	// Prefix makes topic and bridge names unique to the test, because a
	// real cluster is shared by every test of the run.
	Prefix string
	// Fake is the embedded cluster (nil with a real one), for tests that
	// inject broker faults.
	Fake *kfake.Cluster
}

// TB is the part of testing.TB that Start uses; declared here so that the
// demo, which shares this package, does not link the testing package.
type TB interface {
	Helper()
	Name() string
	Cleanup(func())
	Fatalf(format string, args ...any)
}

// Start returns the cluster for t and stops an embedded one when t ends.
func Start(t TB) *Cluster {
	t.Helper()
	c := &Cluster{Prefix: prefix(t)}
	if env := strings.TrimSpace(os.Getenv("KAFKA_BROKERS")); env != "" {
		c.Real = true
		for _, b := range strings.Split(env, ",") {
			c.Brokers = append(c.Brokers, strings.TrimSpace(b))
		}
		return c
	}
	fake, err := StartEmbedded()
	if err != nil {
		t.Fatalf("starting the embedded broker: %v", err)
	}
	t.Cleanup(fake.Close)
	c.Fake = fake
	c.Brokers = fake.ListenAddrs()
	return c
}

// StartEmbedded starts an in-process Kafka-protocol broker on loopback,
// configured like the test broker of integration/kafka (short group
// sessions allowed, no automatic topic creation).
func StartEmbedded(opts ...kfake.Opt) (*kfake.Cluster, error) {
	base := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.GroupMinSessionTimeout(100 * time.Millisecond),
	}
	return kfake.NewCluster(append(base, opts...)...)
}

var unsafe = regexp.MustCompile(`[^a-zA-Z0-9.-]+`)

func prefix(t TB) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	name := unsafe.ReplaceAllString(t.Name(), "-")
	if len(name) > 60 {
		name = name[:60]
	}
	return strings.ToLower(name) + "-" + hex.EncodeToString(b[:])
}

// Record is one record read back.
type Record struct {
	Partition int
	Offset    int64
	Key       []byte
	Value     []byte
	Headers   map[string]string
}

// Client returns a kafka-go client for the cluster.
func (c *Cluster) Client() *kafka.Client {
	return &kafka.Client{Addr: kafka.TCP(c.Brokers...), Timeout: 20 * time.Second}
}

// ReadAll returns every record of topic up to the high watermarks, in
// partition then offset order. A topic that does not exist yet is empty.
func (c *Cluster) ReadAll(ctx context.Context, topic string) ([]Record, error) {
	client := c.Client()
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("metadata of %q: %w", topic, err)
	}
	if len(md.Topics) == 0 || errors.Is(md.Topics[0].Error, kafka.UnknownTopicOrPartition) {
		return nil, nil
	}
	if md.Topics[0].Error != nil {
		return nil, fmt.Errorf("metadata of %q: %w", topic, md.Topics[0].Error)
	}
	var out []Record
	parts := md.Topics[0].Partitions
	sort.Slice(parts, func(i, j int) bool { return parts[i].ID < parts[j].ID })
	for _, p := range parts {
		offs, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{
			topic: {kafka.FirstOffsetOf(p.ID), kafka.LastOffsetOf(p.ID)},
		}})
		if err != nil {
			return nil, fmt.Errorf("offsets of %s[%d]: %w", topic, p.ID, err)
		}
		po := offs.Topics[topic][0]
		err = checkpoint.ReadPartition(ctx, client, topic, p.ID, po.FirstOffset, po.LastOffset, func(r kafka.Record) error {
			rec := Record{Partition: p.ID, Offset: r.Offset, Headers: map[string]string{}}
			if r.Key != nil {
				rec.Key, _ = io.ReadAll(r.Key)
			}
			if r.Value != nil {
				rec.Value, _ = io.ReadAll(r.Value)
			}
			for _, h := range r.Headers {
				rec.Headers[h.Key] = string(h.Value)
			}
			out = append(out, rec)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

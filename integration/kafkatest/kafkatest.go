// Package kafkatest gives integration tests a Kafka cluster and a way to
// read back what landed in it. The cluster is the real one named by
// KAFKA_BROKERS when that is set, and otherwise an embedded Kafka-protocol
// broker (franz-go's kfake) started for the test alone.
package kafkatest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
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
	// ReaderOpts are added to the options of the franz-go clients that
	// read the cluster back (TLS and SASL of a secured embedded cluster).
	ReaderOpts []kgo.Opt
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

// NewClient returns a franz-go client of brokers with opts, closed when t
// ends.
func NewClient(t TB, brokers []string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(brokers...)}, opts...)...)
	if err != nil {
		t.Fatalf("a Kafka client of %v: %v", brokers, err)
	}
	t.Cleanup(cl.Close)
	return cl
}

package integration_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.yaml.in/yaml/v3"

	"github.com/analytics-bridge/analytics-bridge/bridge/sink/admin"
	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/sim"
	"github.com/analytics-bridge/analytics-bridge/source/sources"
)

// strimziACLs reads the ACLs of deploy/strimzi/kafkauser.yaml for
// principal, renaming the recipe's default topic and bridge names to cfg's.
func strimziACLs(t *testing.T, cfg config.Config, principal string) []kmsg.CreateACLsRequestCreation {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "deploy", "strimzi", "kafkauser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var user struct {
		Spec struct {
			Authorization struct {
				ACLs []struct { // Strimzi's AclRule
					Resource struct {
						Type        string `yaml:"type"`
						Name        string `yaml:"name"`
						PatternType string `yaml:"patternType"`
					} `yaml:"resource"`
					Operations []string `yaml:"operations"`
				} `yaml:"acls"`
			} `yaml:"authorization"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(raw, &user); err != nil {
		t.Fatal(err)
	}
	defaults := config.Defaults()
	rename := map[string]string{
		defaults.KafkaTopic:                                cfg.KafkaTopic,
		defaults.KafkaTopic + ".dlq":                       cfg.KafkaDLQTopic,
		defaults.CheckpointTopic:                           cfg.CheckpointTopic,
		config.TransactionalIDPrefix + defaults.BridgeName: cfg.TransactionalID,
	}
	types := map[string]kmsg.ACLResourceType{"topic": kmsg.ACLResourceTypeTopic, "group": kmsg.ACLResourceTypeGroup,
		"cluster": kmsg.ACLResourceTypeCluster, "transactionalId": kmsg.ACLResourceTypeTransactionalId}
	var out []kmsg.CreateACLsRequestCreation
	for _, a := range user.Spec.Authorization.ACLs {
		name, pattern := a.Resource.Name, kmsg.ACLResourcePatternTypeLiteral
		if a.Resource.Type == "cluster" {
			name = "kafka-cluster"
		} else if renamed, ok := rename[name]; ok {
			name = renamed
		} else {
			t.Fatalf("kafkauser.yaml names %s %q, which is not one of the recipe's defaults", a.Resource.Type, name)
		}
		switch a.Resource.PatternType {
		case "prefix":
			pattern = kmsg.ACLResourcePatternTypePrefixed
		case "literal", "":
		default:
			t.Fatalf("kafkauser.yaml: patternType %q", a.Resource.PatternType)
		}
		for _, op := range a.Operations {
			operation, err := kmsg.ParseACLOperation(op)
			if err != nil {
				t.Fatalf("kafkauser.yaml: operation %q: %v", op, err)
			}
			c := kmsg.NewCreateACLsRequestCreation()
			c.ResourceType, c.ResourceName, c.ResourcePatternType = types[a.Resource.Type], name, pattern
			c.Principal, c.Host, c.Operation, c.PermissionType = principal, "*", operation, kmsg.ACLPermissionTypeAllow
			out = append(out, c)
		}
	}
	return out
}

// noErrorCodes fails t when Kafka refused any item of a request: an admin
// request that succeeds as a whole carries a refusal per item (a topic, an
// ACL) as an error code.
func noErrorCodes[T any](t *testing.T, what string, items []T, outcome func(T) (name string, code int16, msg *string)) {
	t.Helper()
	for _, it := range items {
		if name, code, msg := outcome(it); code != 0 {
			detail := ""
			if msg != nil {
				detail = ": " + *msg
			}
			t.Fatalf("%s %s: %v%s", what, name, kerr.ErrorForCode(code), detail)
		}
	}
}

// TestStrimziKafkaUserACLsSuffice runs the bridge as a user that holds
// only the ACLs of deploy/strimzi/kafkauser.yaml (on this test's topics and
// bridge name), with the topics created beforehand and
// KAFKA_CREATE_TOPICS=false as in the recipe: `check --connect` reports no
// Kafka refusal, and the stream is exactly once through a restart. On the
// embedded broker (kfake's authorizer) or, with KAFKA_SECURE=1, on Kafka's
// StandardAuthorizer.
func TestStrimziKafkaUserACLsSuffice(t *testing.T) {
	k := saslListener(t)
	user, pass := k.noACL[0], k.noACL[1]
	const events = 1200
	h := newHarnessOn(t, k.cluster, sim.Config{Rate: 1000, BatchSize: 20, MaxEvents: events, HeartbeatInterval: 200 * time.Millisecond},
		func(e *config.Env) { k.secure(e, user, pass); e.KafkaCreateTopics = "false" })
	cfg := h.config()

	// As a super user: the real broker's plaintext listener, or the
	// embedded broker's TLS and SASL.
	aclClient, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(k.cluster.Brokers...)}, k.cluster.ReaderOpts...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer aclClient.Close()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	create := kmsg.NewPtrCreateTopicsRequest()
	for _, topic := range []struct {
		name       string
		partitions int32
		compact    bool
	}{{cfg.KafkaTopic, 3, false}, {cfg.KafkaDLQTopic, 3, false}, {cfg.CheckpointTopic, 1, true}} {
		rt := kmsg.NewCreateTopicsRequestTopic()
		rt.Topic, rt.NumPartitions, rt.ReplicationFactor = topic.name, topic.partitions, 1
		if topic.compact {
			c := kmsg.NewCreateTopicsRequestTopicConfig()
			c.Name, c.Value = "cleanup.policy", kmsg.StringPtr("compact")
			rt.Configs = append(rt.Configs, c)
		}
		create.Topics = append(create.Topics, rt)
	}
	created, err := create.RequestWith(ctx, aclClient)
	if err != nil {
		t.Fatal(err)
	}
	noErrorCodes(t, "creating topic", created.Topics, func(rt kmsg.CreateTopicsResponseTopic) (string, int16, *string) {
		return rt.Topic, rt.ErrorCode, rt.ErrorMessage
	})
	grant := kmsg.NewPtrCreateACLsRequest()
	grant.Creations = strimziACLs(t, cfg, "User:"+user)
	granted, err := grant.RequestWith(ctx, aclClient)
	if err != nil {
		t.Fatal(err)
	}
	noErrorCodes(t, "creating ACLs", granted.Results, func(r kmsg.CreateACLsResponseResult) (string, int16, *string) {
		return "for " + user, r.ErrorCode, r.ErrorMessage
	})
	t.Cleanup(func() {
		del := kmsg.NewPtrDeleteACLsRequest()
		for _, c := range grant.Creations {
			f := kmsg.NewDeleteACLsRequestFilter()
			f.ResourceType, f.ResourceName, f.ResourcePatternType = c.ResourceType, kmsg.StringPtr(c.ResourceName), c.ResourcePatternType
			f.Principal, f.Host, f.Operation, f.PermissionType = kmsg.StringPtr(c.Principal), kmsg.StringPtr(c.Host), c.Operation, c.PermissionType
			del.Filters = append(del.Filters, f)
		}
		_, _ = del.RequestWith(context.Background(), aclClient)
	})

	// check --connect: every Kafka row ok (durability may warn: one broker).
	a, err := admin.New(cfg, sources.Kind(cfg))
	if err != nil {
		t.Fatal(err)
	}
	src, err := sources.New(cfg, zerolog.Nop(), nil)
	if err != nil {
		t.Fatal(err)
	}
	waitForErr(t, "check --connect without refusals", func() (bool, error) {
		var failed []string
		for _, r := range a.Check(t.Context(), src) {
			if !r.OK && r.Name != "token" && r.Name != "upstream" {
				failed = append(failed, r.Name+": "+r.Detail)
			}
		}
		// ACLs reach every broker a moment after CreateACLs answers.
		if len(failed) > 0 {
			return false, errors.New(strings.Join(failed, "; "))
		}
		return true, nil
	})

	first := h.start()
	_ = h.sim.WaitEmitted(t.Context(), events/3)
	if err := first.stop(t); err != nil {
		t.Fatalf("first run: %v", err)
	}
	h.start()
	requireExactlyOnce(t, h.waitDelivered())
}

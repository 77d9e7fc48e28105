package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/analytics-bridge/analytics-bridge/bridge/sink/durability"
	"github.com/analytics-bridge/analytics-bridge/config"
)

// acl is one (resource, operation) grant.
type acl struct{ resourceType, name, pattern, operation string }

func (a acl) String() string {
	return fmt.Sprintf("%s %s (%s): %s", a.resourceType, a.name, a.pattern, a.operation)
}

// bridgeNeeds is what the bridge does with cfg, as the README's ACL table
// says: with it, `check --connect` reports no refusal. DescribeConfigs on
// the event and dead-letter topics and on the cluster is optional (the
// durability lines), and granted by the recipe.
func bridgeNeeds(cfg config.Config) map[acl]bool {
	need := map[acl]bool{}
	for _, topic := range []string{cfg.KafkaTopic, cfg.KafkaDLQTopic, cfg.CheckpointTopic} {
		ops := []string{"Write", "Describe", "Read", "DescribeConfigs"}
		if cfg.CreateTopics {
			ops = append(ops, "Create")
		}
		for _, op := range ops {
			need[acl{"topic", topic, "literal", op}] = true
		}
	}
	if cfg.Transactions {
		for _, op := range []string{"Write", "Describe"} {
			need[acl{"transactionalId", cfg.TransactionalID, "prefix", op}] = true
		}
	} else {
		for _, op := range []string{"Read", "Describe"} {
			need[acl{"group", "analytics-bridge.lease." + cfg.BridgeName, "literal", op}] = true
		}
	}
	need[acl{"cluster", "", "", "DescribeConfigs"}] = true
	return need
}

// readmeACLs returns the rows of the README's ACL table: resource cell and
// operations.
func readmeACLs(t *testing.T) map[string][]string {
	t.Helper()
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	start := strings.Index(text, "### ACLs")
	if start < 0 {
		t.Fatal("README has no ACLs section")
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(text[start:], "\n")[1:] {
		if strings.HasPrefix(line, "#") {
			break
		}
		cells := strings.Split(line, "|")
		if len(cells) < 4 || strings.HasPrefix(strings.TrimSpace(cells[1]), "---") || strings.TrimSpace(cells[1]) == "Resource" {
			continue
		}
		rows[strings.TrimSpace(cells[1])] = regexp.MustCompile(`[A-Z][A-Za-z]+`).FindAllString(cells[2], -1)
	}
	return rows
}

// TestStrimziRecipe holds deploy/strimzi to the bridge: the KafkaUser
// grants exactly what the bridge needs with the recipe's configuration
// (nothing missing, nothing more), each grant is in the README's ACL table,
// the KafkaTopics are the configured topics and durable, and the
// Deployment mounts the Secrets Strimzi writes.
func TestStrimziRecipe(t *testing.T) {
	dir := filepath.Join("deploy", "strimzi")
	docs := allDocs(t, dir)
	var user map[string]any
	var topics []map[string]any
	var kustomization map[string]any
	for _, d := range docs {
		switch d["kind"] {
		case "KafkaUser":
			user = d
		case "KafkaTopic":
			topics = append(topics, d)
		case "Kustomization":
			kustomization = d
		}
		if k := d["kind"]; (k == "KafkaUser" || k == "KafkaTopic") && d["apiVersion"] != "kafka.strimzi.io/v1beta2" {
			t.Errorf("%s: apiVersion %v, want kafka.strimzi.io/v1beta2", k, d["apiVersion"])
		}
	}
	if user == nil || kustomization == nil {
		t.Fatal("deploy/strimzi needs a KafkaUser and a kustomization.yaml")
	}
	cluster, _ := asMap(asMap(user["metadata"])["labels"])["strimzi.io/cluster"].(string)

	// The configuration the recipe runs with: the base ConfigMap, patched.
	base := manifests(t, filepath.Join("deploy", "kubernetes"))
	settings := podEnv(t, base)
	var configPatch map[string]any
	var deploymentPatch string
	for _, p := range asList(kustomization["patches"]) {
		text, _ := asMap(p)["patch"].(string)
		var doc map[string]any
		if err := yaml.Unmarshal([]byte(text), &doc); err == nil && doc["kind"] == "ConfigMap" {
			configPatch = doc
		} else if asMap(asMap(p)["target"])["kind"] == "Deployment" {
			deploymentPatch = text
		}
	}
	for k, v := range asMap(configPatch["data"]) {
		settings[k] = fmt.Sprint(v)
	}
	env := config.Defaults()
	env.AnalyticsURL, env.AnalyticsToken = "ws://127.0.0.1:1/x", "t"
	for name, field := range map[string]*string{
		"KAFKA_BROKERS": &env.KafkaBrokers, "KAFKA_TOPIC": &env.KafkaTopic, "KAFKA_DLQ_TOPIC": &env.KafkaDLQTopic,
		"CHECKPOINT_TOPIC": &env.CheckpointTopic, "BRIDGE_NAME": &env.BridgeName,
		"KAFKA_TRANSACTIONS": &env.KafkaTransactions, "KAFKA_CREATE_TOPICS": &env.KafkaCreateTopics,
	} {
		if v, ok := settings[name]; ok {
			*field = v
		}
	}
	cfg, err := env.Validate()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CreateTopics {
		t.Error("the Strimzi recipe must set KAFKA_CREATE_TOPICS=false: the Topic Operator owns the topics")
	}
	if want := cluster + "-kafka-bootstrap:9093"; settings["KAFKA_BROKERS"] != want || settings["KAFKA_TLS_ENABLED"] != "true" {
		t.Errorf("KAFKA_BROKERS=%s KAFKA_TLS_ENABLED=%s, want %s over TLS", settings["KAFKA_BROKERS"], settings["KAFKA_TLS_ENABLED"], want)
	}

	// The ACLs: exactly the needs, each in the README's table.
	granted := map[acl]bool{}
	for _, r := range asList(dig(t, user, "spec", "authorization", "acls")) {
		res := asMap(asMap(r)["resource"])
		typ, _ := res["type"].(string)
		name, _ := res["name"].(string)
		pattern, _ := res["patternType"].(string)
		if typ == "cluster" {
			name, pattern = "", ""
		} else if pattern == "" {
			pattern = "literal" // Strimzi's default
		}
		for _, op := range asList(asMap(r)["operations"]) {
			granted[acl{typ, name, pattern, op.(string)}] = true
		}
	}
	needs := bridgeNeeds(cfg)
	for a := range needs {
		if !granted[a] {
			t.Errorf("the KafkaUser lacks %s", a)
		}
	}
	for a := range granted {
		if !needs[a] {
			t.Errorf("the KafkaUser grants %s, which the bridge does not need", a)
		}
	}
	readme := readmeACLs(t)
	variable := map[string]string{cfg.KafkaTopic: "`KAFKA_TOPIC`", cfg.KafkaDLQTopic: "`KAFKA_DLQ_TOPIC`", cfg.CheckpointTopic: "`CHECKPOINT_TOPIC`"}
	for a := range granted {
		names := map[string]string{"transactionalId": "transactional id", "cluster": "cluster", "group": "group"}[a.resourceType]
		if a.resourceType == "topic" {
			names = variable[a.name]
		}
		found := false
		for resource, ops := range readme {
			if names != "" && slices.Contains(ops, a.operation) && strings.Contains(resource, names) {
				found = true
			}
		}
		if !found {
			t.Errorf("the README's ACL table has no row granting %s", a)
		}
	}

	// The topics: the configured names, durable, the checkpoint compacted.
	byName := map[string]map[string]any{}
	for _, tp := range topics {
		name, _ := dig(t, tp, "spec", "topicName").(string)
		byName[name] = asMap(tp["spec"])
		if l := asMap(asMap(tp["metadata"])["labels"])["strimzi.io/cluster"]; l != cluster {
			t.Errorf("KafkaTopic %s belongs to cluster %v, the KafkaUser to %s", name, l, cluster)
		}
	}
	for _, name := range []string{cfg.KafkaTopic, cfg.KafkaDLQTopic, cfg.CheckpointTopic} {
		spec := byName[name]
		if spec == nil {
			t.Errorf("no KafkaTopic for %s", name)
			continue
		}
		conf := asMap(spec["config"])
		minISR, _ := strconv.Atoi(fmt.Sprint(conf["min.insync.replicas"]))
		unclean := fmt.Sprint(conf["unclean.leader.election.enable"]) == "true"
		rf, _ := spec["replicas"].(int)
		if f := durability.JudgeTopic(durability.TopicSettings{Name: name, ReplicationFactor: rf, MinInSync: minISR, UncleanElection: &unclean}); f.Warning {
			t.Errorf("KafkaTopic %s: %s", name, f.Detail)
		}
	}
	if cp := byName[cfg.CheckpointTopic]; cp != nil && (cp["partitions"] != 1 || asMap(cp["config"])["cleanup.policy"] != "compact") {
		t.Errorf("the checkpoint topic needs 1 partition and cleanup.policy=compact: %v", cp)
	}

	// The Secrets: the KafkaUser's (named after it) and the cluster CA.
	spec := podSpec(t, base)
	sources := asList(dig(t, spec, "volumes", 0, "projected", "sources"))
	if got := dig(t, sources, 2, "secret", "name"); got != asMap(user["metadata"])["name"] {
		t.Errorf("the Deployment mounts Secret %v, the KafkaUser's Secret is %v", got, asMap(user["metadata"])["name"])
	}
	if !strings.Contains(deploymentPatch, "path: /spec/template/spec/volumes/0/projected/sources/1/secret/name") ||
		!strings.Contains(deploymentPatch, "value: "+cluster+"-cluster-ca-cert") || dig(t, sources, 1, "secret", "name") != "analytics-bridge-kafka-ca" {
		t.Errorf("the Deployment patch must mount %s-cluster-ca-cert in place of analytics-bridge-kafka-ca:\n%s", cluster, deploymentPatch)
	}
	provided := providedFiles(t, spec)
	for name, file := range settings {
		if strings.HasPrefix(name, "KAFKA_") && strings.HasSuffix(name, "_FILE") && !provided[file] {
			t.Errorf("%s=%s is not a file the Deployment mounts", name, file)
		}
	}
	if user := dig(t, user, "spec", "authentication", "type"); user == "tls" && (settings["KAFKA_TLS_CERT_FILE"] == "" || settings["KAFKA_TLS_KEY_FILE"] == "") {
		t.Error("a tls KafkaUser needs KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE")
	}
}

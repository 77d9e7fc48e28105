package main

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/analytics-bridge/analytics-bridge/config"
)

// The pod of deploy/kubernetes/deployment.yaml, held to what the issue
// found wrong with it: a soft memory limit above the container's, a pod
// that Pod Security "restricted" rejects, no spread over nodes, an image
// no cluster can pull, and no way to mount Kafka credentials. Memory and
// Pod Security have files of their own (deploy_memory_test.go,
// deploy_podsecurity_test.go).

// asMap and asList read a decoded YAML node; a missing node is empty.
func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }
func asList(v any) []any         { l, _ := v.([]any); return l }

func podSpec(t *testing.T, docs map[string]map[string]any) map[string]any {
	t.Helper()
	return asMap(dig(t, docs["Deployment"], "spec", "template", "spec"))
}

// podEnv is the environment the container gets: the ConfigMap, then the
// literal env entries (valueFrom entries are left out).
func podEnv(t *testing.T, docs map[string]map[string]any) map[string]string {
	t.Helper()
	env := map[string]string{}
	for k, v := range asMap(docs["ConfigMap"]["data"]) {
		env[k] = fmt.Sprint(v)
	}
	for _, e := range asList(dig(t, podSpec(t, docs), "containers", 0, "env")) {
		if v, ok := asMap(e)["value"]; ok {
			env[asMap(e)["name"].(string)] = fmt.Sprint(v)
		}
	}
	return env
}

// TestTopologySpread: the two replicas are kept on different nodes.
func TestTopologySpread(t *testing.T) {
	docs := manifests(t, filepath.Join("deploy", "kubernetes"))
	spec := podSpec(t, docs)
	labels := asMap(dig(t, docs["Deployment"], "spec", "template", "metadata", "labels"))
	found := false
	for _, c := range asList(spec["topologySpreadConstraints"]) {
		c := asMap(c)
		if c["topologyKey"] != "kubernetes.io/hostname" {
			continue
		}
		found = true
		if c["maxSkew"] != 1 || c["whenUnsatisfiable"] != "DoNotSchedule" {
			t.Errorf("spread over nodes: maxSkew %v, whenUnsatisfiable %v; want 1, DoNotSchedule", c["maxSkew"], c["whenUnsatisfiable"])
		}
		sel := asMap(asMap(c["labelSelector"])["matchLabels"])
		if len(sel) == 0 {
			t.Error("spread over nodes: no labelSelector.matchLabels, so no pod counts")
		}
		for k, v := range sel {
			if labels[k] != v {
				t.Errorf("spread over nodes selects %s=%v, which the pods do not carry", k, v)
			}
		}
	}
	if !found {
		t.Error("no topologySpreadConstraint on kubernetes.io/hostname: both replicas may land on one node")
	}
}

// TestImageMustBeSet: the Deployment names a placeholder image, never
// :latest, and the kustomization overrides exactly that name.
func TestImageMustBeSet(t *testing.T) {
	docs := manifests(t, filepath.Join("deploy", "kubernetes"))
	image, _ := dig(t, podSpec(t, docs), "containers", 0, "image").(string)
	name, tag, _ := strings.Cut(image, ":")
	if strings.Contains(tag, "/") { // a registry port, not a tag
		t.Fatalf("image %q: name it without a registry port", image)
	}
	if tag == "" || tag == "latest" || !strings.Contains(image, ".invalid/") || !strings.Contains(image, "replace-me") {
		t.Errorf("image %q: want an unpullable placeholder (host under .invalid, replace-me, no latest)", image)
	}
	overridden := false
	for _, i := range asList(docs["Kustomization"]["images"]) {
		i := asMap(i)
		if i["name"] == name {
			overridden = true
			if tag, _ := i["newTag"].(string); (tag == "" || tag == "latest") && i["digest"] == nil {
				t.Errorf("kustomization images: newTag %q; pin a version or digest", tag)
			}
		}
	}
	if !overridden {
		t.Errorf("kustomization.yaml has no images entry named %s", name)
	}
}

// providedFiles returns the paths of the Secret files the container
// mounts (secret and projected volumes, by item).
func providedFiles(t *testing.T, spec map[string]any) map[string]bool {
	t.Helper()
	provided := map[string]bool{}
	mounts := map[string]string{}
	for _, m := range asList(dig(t, spec, "containers", 0, "volumeMounts")) {
		if asMap(m)["subPath"] != nil {
			t.Errorf("volumeMount %v uses subPath: a rotated Secret would never reach the file", asMap(m)["name"])
		}
		mounts[asMap(m)["name"].(string)] = asMap(m)["mountPath"].(string)
	}
	for _, v := range asList(spec["volumes"]) {
		v := asMap(v)
		dir, ok := mounts[v["name"].(string)]
		if !ok {
			continue
		}
		sources := []any{map[string]any{"secret": v["secret"]}}
		if p := asMap(v["projected"]); p != nil {
			sources = asList(p["sources"])
		}
		for _, s := range sources {
			for _, item := range asList(asMap(asMap(s)["secret"])["items"]) {
				provided[path.Join(dir, asMap(item)["path"].(string))] = true
			}
		}
	}
	return provided
}

var commentedSetting = regexp.MustCompile(`(?m)^\s*#\s*([A-Z][A-Z0-9_]+):\s*"?([^"\s]+)"?\s*$`)

// TestSecretFilesAreMounted: every *_FILE variable the ConfigMap sets, or
// shows in a commented example (the Kafka TLS and SASL pattern), names a
// file that the Deployment's volumes provide, and the examples name
// variables the bridge reads.
func TestSecretFilesAreMounted(t *testing.T) {
	docs := manifests(t, filepath.Join("deploy", "kubernetes"))
	spec := podSpec(t, docs)
	provided := providedFiles(t, spec)
	settings := podEnv(t, docs)
	raw, err := os.ReadFile(filepath.Join("deploy", "kubernetes", "configmap.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	examples := map[string]string{}
	for _, m := range commentedSetting.FindAllStringSubmatch(string(raw), -1) {
		examples[m[1]] = m[2]
	}
	known := map[string]bool{}
	for _, kv := range config.Defaults().Environ() {
		name, _, _ := strings.Cut(kv, "=")
		known[name] = true
	}
	for name := range examples {
		if !known[name] {
			t.Errorf("configmap.yaml shows %s, which the bridge does not read", name)
		}
	}
	for _, want := range []string{"OAUTH_CLIENT_SECRET_FILE"} {
		if settings[want] == "" {
			t.Errorf("the ConfigMap does not set %s", want)
		}
	}
	for _, want := range []string{"KAFKA_TLS_CA_FILE", "KAFKA_TLS_CERT_FILE", "KAFKA_TLS_KEY_FILE", "KAFKA_SASL_PASSWORD_FILE"} {
		if examples[want] == "" && settings[want] == "" {
			t.Errorf("configmap.yaml shows no %s: no pattern for mounting Kafka credentials", want)
		}
	}
	for _, set := range []map[string]string{settings, examples} {
		for name, file := range set {
			if strings.HasSuffix(name, "_FILE") && !provided[file] {
				t.Errorf("%s=%s, but no mounted Secret provides that file (provided: %v)", name, file, provided)
			}
		}
	}
}

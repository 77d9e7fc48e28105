package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/rs/zerolog"
)

// allDocs parses every document of every YAML file in dir, in order.
func allDocs(t *testing.T, dir string) []map[string]any {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s: %v", dir, err)
	}
	var docs []map[string]any
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		for {
			var doc map[string]any
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			docs = append(docs, doc)
		}
	}
	return docs
}

// manifests parses every document of every YAML file in dir, by kind (the
// last document of a kind wins).
func manifests(t *testing.T, dir string) map[string]map[string]any {
	t.Helper()
	byKind := map[string]map[string]any{}
	for _, doc := range allDocs(t, dir) {
		kind, _ := doc["kind"].(string)
		if kind == "" {
			t.Fatalf("%s: a document without kind", dir)
		}
		byKind[kind] = doc
	}
	return byKind
}

// dig walks nested maps and lists: a string is a map key, an int a list index.
func dig(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %v: not a map", path)
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("at %v: not a list of %d", path, k+1)
			}
			v = l[k]
		}
	}
	return v
}

// TestKubernetesManifests holds deploy/kubernetes against the code: the
// probes and the ServiceMonitor name paths the binary serves, on the port
// it listens on; every environment variable is one the configuration
// knows; and the kustomization lists every manifest. The pod itself
// (memory, Pod Security, spread, image, Secret files) is held by the tests
// in deploy_pod_test.go.
func TestKubernetesManifests(t *testing.T) {
	docs := manifests(t, filepath.Join("deploy", "kubernetes"))
	for _, kind := range []string{"Deployment", "ConfigMap", "Service", "PodDisruptionBudget", "ServiceMonitor", "PrometheusRule", "Kustomization"} {
		if docs[kind] == nil {
			t.Fatalf("no %s manifest", kind)
		}
	}
	known := map[string]bool{"GOMEMLIMIT": true}
	envType := reflect.TypeOf(config.Env{})
	for i := 0; i < envType.NumField(); i++ {
		known[envType.Field(i).Tag.Get("envconfig")] = true
	}
	settings := map[string]string{}
	for name, value := range dig(t, docs["ConfigMap"], "data").(map[string]any) {
		if !known[name] {
			t.Errorf("ConfigMap sets %s, which the bridge does not read", name)
		}
		settings[name], _ = value.(string)
	}
	container := dig(t, docs["Deployment"], "spec", "template", "spec", "containers", 0)
	for _, e := range dig(t, container, "env").([]any) {
		if name := dig(t, e, "name").(string); !known[name] {
			t.Errorf("Deployment sets %s, which the bridge does not read", name)
		}
	}
	if got := dig(t, docs["Deployment"], "spec", "replicas"); got != 2 {
		t.Errorf("replicas = %v, want 2 (one streams, one stands by)", got)
	}

	// The binary's endpoints, on the configured port.
	env := config.Defaults()
	env.AnalyticsURL, env.AnalyticsToken, env.KafkaBrokers = "ws://127.0.0.1:1/x", "t", "127.0.0.1:1"
	env.HTTPAddr = settings["HTTP_ADDR"]
	cfg, err := env.Validate()
	if err != nil {
		t.Fatal(err)
	}
	reg := newRegistry()
	b, err := newBridge(cfg, zerolog.Nop(), reg)
	if err != nil {
		t.Fatal(err)
	}
	mux := endpoints(b, reg, false)
	serves := func(path string) bool {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code != http.StatusNotFound
	}
	port := dig(t, container, "ports", 0)
	if got, want := dig(t, port, "containerPort"), strings.TrimPrefix(cfg.HTTPAddr, ":"); want != "8080" || got != 8080 {
		t.Errorf("containerPort %v, HTTP_ADDR %q", got, cfg.HTTPAddr)
	}
	portName := dig(t, port, "name")
	for _, probe := range []string{"livenessProbe", "readinessProbe"} {
		path := dig(t, container, probe, "httpGet", "path").(string)
		if !serves(path) || dig(t, container, probe, "httpGet", "port") != portName {
			t.Errorf("%s: %s on port %v is not served", probe, path, dig(t, container, probe, "httpGet", "port"))
		}
	}
	if dig(t, container, "livenessProbe", "httpGet", "path") != "/livez" || dig(t, container, "readinessProbe", "httpGet", "path") != "/readyz" {
		t.Error("liveness must probe /livez and readiness /readyz")
	}
	endpoint := dig(t, docs["ServiceMonitor"], "spec", "endpoints", 0)
	if path := dig(t, endpoint, "path").(string); !serves(path) || dig(t, endpoint, "port") != dig(t, docs["Service"], "spec", "ports", 0, "name") {
		t.Errorf("ServiceMonitor scrapes %s on %v", path, dig(t, endpoint, "port"))
	}

	var listed []string
	for _, r := range dig(t, docs["Kustomization"], "resources").([]any) {
		listed = append(listed, r.(string))
	}
	files, _ := filepath.Glob(filepath.Join("deploy", "kubernetes", "*.yaml"))
	for _, f := range files {
		if base := filepath.Base(f); base != "kustomization.yaml" && !slices.Contains(listed, base) {
			t.Errorf("kustomization.yaml does not list %s", base)
		}
	}
}

// exportedMetrics returns the names of the metrics the binary exports,
// with either source.
func exportedMetrics(t *testing.T) map[string]bool {
	t.Helper()
	_, names := registries(t)
	return names
}

var metricName = regexp.MustCompile(`analytics_bridge_[a-z_]+`)

// TestDashboardMetricsExist: every analytics_bridge_ metric the Grafana
// dashboard queries is one the binary exports.
func TestDashboardMetricsExist(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("deploy", "grafana", "analytics-bridge.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash map[string]any
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	exported := exportedMetrics(t)
	used := regexp.MustCompile(`analytics_bridge_[a-z_]+`).FindAllString(string(raw), -1)
	if len(used) < 10 {
		t.Fatalf("the dashboard queries only %d metrics", len(used))
	}
	for _, name := range used {
		base := name
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if trimmed := strings.TrimSuffix(name, suffix); trimmed != name && exported[trimmed] {
				base = trimmed
			}
		}
		if !exported[base] {
			t.Errorf("the dashboard queries %s, which the binary does not export", name)
		}
	}
}

// TestReadmeNamesEveryMetric: the README's metrics table and the registry
// name the same analytics_bridge_ metrics.
func TestReadmeNamesEveryMetric(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	exported := exportedMetrics(t)
	documented := map[string]bool{}
	for _, name := range metricName.FindAllString(string(raw), -1) {
		documented[name] = true
		if !exported[name] {
			t.Errorf("README names %s, which the binary does not export", name)
		}
	}
	for name := range exported {
		if strings.HasPrefix(name, "analytics_bridge_") && !documented[name] {
			t.Errorf("README does not document %s", name)
		}
	}
}

// TestPprofOnlyWhenEnabled: the profiles are served only with
// PPROF_ENABLED=true.
func TestPprofOnlyWhenEnabled(t *testing.T) {
	env := config.Defaults()
	env.AnalyticsURL, env.AnalyticsToken, env.KafkaBrokers = "ws://127.0.0.1:1/x", "t", "127.0.0.1:1"
	cfg, err := env.Validate()
	if err != nil {
		t.Fatal(err)
	}
	b, err := newBridge(cfg, zerolog.Nop(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, enabled := range []bool{false, true} {
		rec := httptest.NewRecorder()
		endpoints(b, newRegistry(), enabled).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/debug/pprof/heap?debug=1", nil))
		if served := rec.Code == http.StatusOK; served != enabled {
			t.Errorf("PPROF_ENABLED=%v: /debug/pprof/heap answered %d", enabled, rec.Code)
		}
	}
}

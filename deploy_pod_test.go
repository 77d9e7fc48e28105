package main

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/analytics-bridge/analytics-bridge/config"
)

// The pod of deploy/kubernetes/deployment.yaml, held to what the issue
// found wrong with it: a soft memory limit above the container's, a pod
// that Pod Security "restricted" rejects, no spread over nodes, an image
// no cluster can pull, and no way to mount Kafka credentials.

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

var quantity = regexp.MustCompile(`^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$`)

// parseQuantity reads a Kubernetes resource quantity (128Mi, 0.5Gi, 1G,
// 129e6, 134217728) as bytes.
func parseQuantity(s string) (float64, error) {
	m := quantity.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%q is not a Kubernetes quantity", s)
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, err
	}
	mult := map[string]float64{"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
		"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "Pi": 1 << 50, "Ei": 1 << 60}
	if f, ok := mult[m[2]]; ok {
		return n * f, nil
	}
	exp, err := strconv.Atoi(m[2][1:])
	if err != nil {
		return 0, err
	}
	return n * pow10(exp), nil
}

func pow10(e int) float64 {
	f := 1.0
	for ; e > 0; e-- {
		f *= 10
	}
	for ; e < 0; e++ {
		f /= 10
	}
	return f
}

// parseGoMemLimit reads GOMEMLIMIT as the Go runtime does: an integer
// with an optional B, KiB, MiB, GiB or TiB suffix; "off" is no limit.
func parseGoMemLimit(s string) (float64, error) {
	if s == "off" {
		return 1 << 63, nil
	}
	for _, u := range []struct {
		suffix string
		mult   float64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}, {"", 1}} {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			n, err := strconv.ParseUint(num, 10, 63)
			if err != nil {
				return 0, fmt.Errorf("GOMEMLIMIT=%q: %w", s, err)
			}
			return float64(n) * u.mult, nil
		}
	}
	return 0, fmt.Errorf("GOMEMLIMIT=%q", s)
}

func TestQuantityParsers(t *testing.T) {
	for _, c := range []struct {
		in    string
		want  float64
		gomem bool
	}{
		{"128Mi", 128 << 20, false}, {"0.5Gi", 512 << 20, false}, {"1G", 1e9, false}, {"129e6", 129e6, false},
		{"134217728", 134217728, false}, {"100M", 100e6, false}, {"1500m", 1.5, false},
		{"320MiB", 320 << 20, true}, {"1GiB", 1 << 30, true}, {"100000000", 1e8, true}, {"64KiB", 64 << 10, true},
	} {
		parse := parseQuantity
		if c.gomem {
			parse = parseGoMemLimit
		}
		if got, err := parse(c.in); err != nil || got != c.want {
			t.Errorf("%s: %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"128MB", "Mi", "1.5.0Gi", ""} {
		if _, err := parseQuantity(bad); err == nil {
			t.Errorf("parseQuantity(%q) accepted", bad)
		}
	}
	for _, bad := range []string{"1.5GiB", "128Mi", "x"} {
		if _, err := parseGoMemLimit(bad); err == nil {
			t.Errorf("parseGoMemLimit(%q) accepted", bad)
		}
	}
}

// TestSoftMemoryLimitBelowContainerLimit: the Go runtime's soft limit,
// GOMEMLIMIT when the pod sets it, else what the bridge derives from
// KAFKA_MAX_IN_FLIGHT_BYTES, stays below limits.memory with room for
// what the runtime does not count (the kernel kills on the cgroup's
// total, not on the Go heap).
func TestSoftMemoryLimitBelowContainerLimit(t *testing.T) {
	docs := manifests(t, filepath.Join("deploy", "kubernetes"))
	raw, _ := dig(t, podSpec(t, docs), "containers", 0, "resources", "limits", "memory").(string)
	limit, err := parseQuantity(raw)
	if err != nil {
		t.Fatalf("limits.memory: %v", err)
	}
	env := podEnv(t, docs)
	var soft float64
	var why string
	if v, ok := env["GOMEMLIMIT"]; ok {
		if soft, err = parseGoMemLimit(v); err != nil {
			t.Fatal(err)
		}
		why = "GOMEMLIMIT=" + v
	} else {
		e := config.Defaults()
		e.AnalyticsURL, e.AnalyticsToken, e.KafkaBrokers = "ws://127.0.0.1:1/x", "t", "127.0.0.1:1"
		if v, ok := env["KAFKA_MAX_IN_FLIGHT_BYTES"]; ok {
			e.KafkaMaxInFlightB = v
		}
		cfg, err := e.Validate()
		if err != nil {
			t.Fatal(err)
		}
		if cfg.MemoryLimit <= 0 {
			t.Fatal("GOMEMLIMIT unset, yet the bridge derives no memory limit")
		}
		soft, why = float64(cfg.MemoryLimit), "the bridge's own limit from KAFKA_MAX_IN_FLIGHT_BYTES"
	}
	if soft > 0.9*limit {
		t.Errorf("soft memory limit %.0f MiB (%s) is not below 90%% of limits.memory %s: the kernel kills the pod before the collector works hard",
			soft/(1<<20), why, raw)
	}
}

// restrictedViolations lists what Pod Security "restricted" (and the
// baseline it includes) rejects in a pod spec.
func restrictedViolations(spec map[string]any) []string {
	var out []string
	bad := func(format string, a ...any) { out = append(out, fmt.Sprintf(format, a...)) }
	for _, k := range []string{"hostNetwork", "hostPID", "hostIPC"} {
		if spec[k] == true {
			bad("%s", k)
		}
	}
	allowedVolumes := []string{"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}
	for _, v := range asList(spec["volumes"]) {
		for k := range asMap(v) {
			if k != "name" && !slices.Contains(allowedVolumes, k) {
				bad("volume %v of type %s", asMap(v)["name"], k)
			}
		}
	}
	pod := asMap(spec["securityContext"])
	if len(asList(pod["sysctls"])) > 0 {
		bad("pod sysctls (only the safe set is allowed; none is needed)")
	}
	seccomp := func(sc map[string]any) string { s, _ := asMap(sc["seccompProfile"])["type"].(string); return s }
	checkCommon := func(who string, sc map[string]any) {
		if sc["runAsUser"] == 0 {
			bad("%s: runAsUser 0", who)
		}
		if sc["runAsNonRoot"] == false {
			bad("%s: runAsNonRoot false", who)
		}
		if s := seccomp(sc); s != "" && s != "RuntimeDefault" && s != "Localhost" {
			bad("%s: seccompProfile %s", who, s)
		}
		if asMap(sc["appArmorProfile"])["type"] == "Unconfined" {
			bad("%s: appArmorProfile Unconfined", who)
		}
		se := asMap(sc["seLinuxOptions"])
		if typ, _ := se["type"].(string); se["user"] != nil || se["role"] != nil ||
			!slices.Contains([]string{"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}, typ) {
			bad("%s: seLinuxOptions %v", who, se)
		}
		if asMap(sc["windowsOptions"])["hostProcess"] == true {
			bad("%s: hostProcess", who)
		}
	}
	checkCommon("pod", pod)
	for _, kind := range []string{"initContainers", "containers", "ephemeralContainers"} {
		for _, c := range asList(spec[kind]) {
			c := asMap(c)
			who := fmt.Sprintf("%s %v", kind, c["name"])
			sc := asMap(c["securityContext"])
			checkCommon(who, sc)
			if sc["privileged"] == true {
				bad("%s: privileged", who)
			}
			if sc["allowPrivilegeEscalation"] != false {
				bad("%s: allowPrivilegeEscalation must be false", who)
			}
			if pod["runAsNonRoot"] != true && sc["runAsNonRoot"] != true {
				bad("%s: runAsNonRoot must be true (pod or container)", who)
			}
			if s := seccomp(pod); s == "" && seccomp(sc) == "" {
				bad("%s: seccompProfile RuntimeDefault or Localhost must be set (pod or container)", who)
			}
			if p, _ := sc["procMount"].(string); p != "" && p != "Default" {
				bad("%s: procMount %s", who, p)
			}
			caps := asMap(sc["capabilities"])
			if !slices.Contains(asList(caps["drop"]), any("ALL")) {
				bad("%s: capabilities must drop ALL", who)
			}
			for _, a := range asList(caps["add"]) {
				if a != "NET_BIND_SERVICE" {
					bad("%s: adds capability %v", who, a)
				}
			}
			for _, p := range asList(c["ports"]) {
				if hp, ok := asMap(p)["hostPort"]; ok && hp != 0 {
					bad("%s: hostPort %v", who, hp)
				}
			}
		}
	}
	return out
}

// TestPodSecurityRestricted: the Deployment's pod passes Pod Security
// "restricted"; the same checker rejects each way of breaking it.
func TestPodSecurityRestricted(t *testing.T) {
	docs := manifests(t, filepath.Join("deploy", "kubernetes"))
	spec := podSpec(t, docs)
	for _, v := range restrictedViolations(spec) {
		t.Errorf("Pod Security restricted rejects the pod: %s", v)
	}
	if got := dig(t, spec, "securityContext", "seccompProfile", "type"); got != "RuntimeDefault" {
		t.Errorf("pod seccompProfile %v, want RuntimeDefault", got)
	}
	// The checker can fail: each mutation of a fresh copy must be caught.
	for name, breakIt := range map[string]func(spec map[string]any){
		"no seccomp": func(s map[string]any) { delete(asMap(s["securityContext"]), "seccompProfile") },
		"unconfined": func(s map[string]any) {
			asMap(s["securityContext"])["seccompProfile"] = map[string]any{"type": "Unconfined"}
		},
		"root":       func(s map[string]any) { asMap(s["securityContext"])["runAsUser"] = 0 },
		"escalation": func(s map[string]any) { container(s)["allowPrivilegeEscalation"] = true },
		"capability": func(s map[string]any) { asMap(container(s)["capabilities"])["add"] = []any{"NET_ADMIN"} },
		"hostPath": func(s map[string]any) {
			s["volumes"] = append(asList(s["volumes"]), map[string]any{"name": "h", "hostPath": map[string]any{}})
		},
		"hostNetwork":    func(s map[string]any) { s["hostNetwork"] = true },
		"privileged":     func(s map[string]any) { container(s)["privileged"] = true },
		"no drop ALL":    func(s map[string]any) { delete(asMap(container(s)["capabilities"]), "drop") },
		"non-root unset": func(s map[string]any) { delete(asMap(s["securityContext"]), "runAsNonRoot") },
	} {
		fresh := podSpec(t, manifests(t, filepath.Join("deploy", "kubernetes")))
		breakIt(fresh)
		if len(restrictedViolations(fresh)) == 0 {
			t.Errorf("%s: the restricted check accepted it", name)
		}
	}
}

func container(spec map[string]any) map[string]any {
	return asMap(asMap(asList(spec["containers"])[0])["securityContext"])
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

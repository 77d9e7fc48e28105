package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/analytics-bridge/analytics-bridge/bridge"
	"github.com/analytics-bridge/analytics-bridge/config"
)

// The SOURCE=sqs recipe, deploy/sqs: an overlay of deploy/kubernetes that
// the test renders itself (resources, then JSON 6902 patches on targets:
// the forms the overlay uses), and compares with `kubectl kustomize` where
// kubectl is installed.

// renderKustomization renders dir's kustomization.yaml: its resources
// (files, or directories rendered in turn), then its patches. It refuses
// what it does not implement rather than render it wrong.
func renderKustomization(t *testing.T, dir string) []map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Resources []string `yaml:"resources"`
		Patches   []struct {
			Target map[string]string `yaml:"target"`
			Patch  string            `yaml:"patch"`
		} `yaml:"patches"`
		Images []map[string]string `yaml:"images"`
	}
	if err := yaml.Unmarshal(raw, &k); err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	var docs []map[string]any
	for _, r := range k.Resources {
		path := filepath.Join(dir, r)
		if fi, err := os.Stat(path); err == nil && fi.IsDir() {
			docs = append(docs, renderKustomization(t, path)...)
			continue
		}
		docs = append(docs, yamlDocs(t, path)...)
	}
	for _, img := range k.Images {
		if img["newName"] != img["name"] || img["digest"] != "" {
			t.Fatalf("%s: images %v: the test's renderer keeps image names as they are", dir, img)
		}
		for _, d := range docs {
			if d["kind"] == "Deployment" {
				for _, c := range asList(dig(t, d, "spec", "template", "spec", "containers")) {
					if name, _, _ := strings.Cut(asMap(c)["image"].(string), ":"); name == img["name"] {
						asMap(c)["image"] = name + ":" + img["newTag"]
					}
				}
			}
		}
	}
	for _, p := range k.Patches {
		if len(p.Target) != 2 || p.Target["kind"] == "" || p.Target["name"] == "" {
			t.Fatalf("%s: patch target %v: the test's renderer takes kind and name only", dir, p.Target)
		}
		var ops []map[string]any
		if err := yaml.Unmarshal([]byte(p.Patch), &ops); err != nil {
			t.Fatalf("%s: patch of %v is not a JSON 6902 list: %v", dir, p.Target, err)
		}
		matched := 0
		for i, d := range docs {
			if d["kind"] == p.Target["kind"] && asMap(d["metadata"])["name"] == p.Target["name"] {
				matched++
				for _, op := range ops {
					patched, err := jsonPatch(d, op)
					if err != nil {
						t.Fatalf("%s: %v on %s/%s: %v", dir, op, p.Target["kind"], p.Target["name"], err)
					}
					d = patched.(map[string]any)
				}
				docs[i] = d
			}
		}
		if matched != 1 {
			t.Fatalf("%s: patch target %v matches %d documents", dir, p.Target, matched)
		}
	}
	return docs
}

func yamlDocs(t *testing.T, path string) []map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var docs []map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			return docs
		} else if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if doc != nil {
			docs = append(docs, doc)
		}
	}
}

// jsonPatch applies one RFC 6902 operation (test, add, remove, replace)
// to doc and returns the result.
func jsonPatch(doc any, op map[string]any) (any, error) {
	path, _ := op["path"].(string)
	if !strings.HasPrefix(path, "/") {
		return nil, fmt.Errorf("path %q", path)
	}
	var tokens []string
	for _, tok := range strings.Split(path[1:], "/") {
		tokens = append(tokens, strings.NewReplacer("~1", "/", "~0", "~").Replace(tok))
	}
	return patchAt(doc, tokens, op)
}

func patchAt(node any, tokens []string, op map[string]any) (any, error) {
	kind, _ := op["op"].(string)
	tok, last := tokens[0], len(tokens) == 1
	switch n := node.(type) {
	case map[string]any:
		if !last {
			child, ok := n[tok]
			if !ok {
				return nil, fmt.Errorf("no %q", tok)
			}
			v, err := patchAt(child, tokens[1:], op)
			n[tok] = v
			return n, err
		}
		_, exists := n[tok]
		switch kind {
		case "test":
			if !reflect.DeepEqual(n[tok], op["value"]) {
				return nil, fmt.Errorf("test failed: %v is %v", tok, n[tok])
			}
		case "add":
			n[tok] = op["value"]
		case "replace", "remove":
			if !exists {
				return nil, fmt.Errorf("%s: no %q", kind, tok)
			}
			if kind == "remove" {
				delete(n, tok)
			} else {
				n[tok] = op["value"]
			}
		default:
			return nil, fmt.Errorf("op %q", kind)
		}
		return n, nil
	case []any:
		i, err := strconv.Atoi(tok)
		if err != nil || i < 0 || i > len(n) || i == len(n) && !(last && kind == "add") {
			return nil, fmt.Errorf("index %q of a list of %d", tok, len(n))
		}
		if !last {
			v, err := patchAt(n[i], tokens[1:], op)
			n[i] = v
			return n, err
		}
		switch kind {
		case "test":
			if !reflect.DeepEqual(n[i], op["value"]) {
				return nil, fmt.Errorf("test failed: [%d] is %v", i, n[i])
			}
			return n, nil
		case "add":
			return append(n[:i], append([]any{op["value"]}, n[i:]...)...), nil
		case "replace":
			n[i] = op["value"]
			return n, nil
		case "remove":
			return append(n[:i], n[i+1:]...), nil
		}
		return nil, fmt.Errorf("op %q", kind)
	}
	return nil, fmt.Errorf("%q: not a map or list", tok)
}

func TestJSONPatch(t *testing.T) {
	doc := map[string]any{"a": map[string]any{"b": []any{"x", "y"}}, "c": 1}
	for _, op := range []map[string]any{
		{"op": "test", "path": "/a/b/0", "value": "x"},
		{"op": "remove", "path": "/a/b/0"},
		{"op": "add", "path": "/a/b/1", "value": "z"},
		{"op": "replace", "path": "/c", "value": 2},
		{"op": "add", "path": "/d~1e", "value": true},
		{"op": "remove", "path": "/a/b/0"},
	} {
		if _, err := jsonPatch(doc, op); err != nil {
			t.Fatalf("%v: %v", op, err)
		}
	}
	want := map[string]any{"a": map[string]any{"b": []any{"z"}}, "c": 2, "d/e": true}
	if !reflect.DeepEqual(doc, want) {
		t.Errorf("got %v, want %v", doc, want)
	}
	for _, op := range []map[string]any{
		{"op": "test", "path": "/c", "value": 3},
		{"op": "remove", "path": "/nope"},
		{"op": "replace", "path": "/a/b/5", "value": 1},
		{"op": "move", "path": "/c"},
	} {
		if _, err := jsonPatch(doc, op); err == nil {
			t.Errorf("%v: applied", op)
		}
	}
}

var roleARN = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]+$`)

// TestSQSRecipe holds deploy/sqs to the code: the rendered configuration
// validates as SOURCE=sqs and sets nothing the sqs source ignores; the pod
// mounts no Secret that must exist (the OAuth client's is the WebSocket
// source's; a missing required Secret keeps the pod from starting); it runs
// as the ServiceAccount that carries the IAM role; its memory limit holds
// the bridge's soft limit, dedup window included; and it still passes Pod
// Security "restricted".
func TestSQSRecipe(t *testing.T) {
	docs := renderKustomization(t, filepath.Join("deploy", "sqs"))
	byKind := map[string]map[string]any{}
	for _, d := range docs {
		byKind[d["kind"].(string)] = d
	}
	if out, err := exec.Command("kubectl", "kustomize", filepath.Join("deploy", "sqs")).Output(); err == nil {
		theirs := map[string]map[string]any{}
		dec := yaml.NewDecoder(bytes.NewReader(out))
		for {
			var d map[string]any
			if err := dec.Decode(&d); err != nil {
				break
			}
			theirs[d["kind"].(string)] = d
		}
		if !reflect.DeepEqual(theirs, byKind) {
			t.Errorf("kubectl kustomize renders deploy/sqs differently from the test:\n%s", out)
		}
	} else {
		t.Logf("kubectl kustomize unavailable (%v): checking the test's own rendering only", err)
	}

	settings := podEnv(t, byKind)
	env := config.Defaults()
	known := map[string]*string{}
	e := reflect.ValueOf(&env).Elem()
	for i := 0; i < e.NumField(); i++ {
		known[e.Type().Field(i).Tag.Get("envconfig")] = e.Field(i).Addr().Interface().(*string)
	}
	for name, value := range settings {
		field, ok := known[name]
		if !ok {
			t.Errorf("deploy/sqs sets %s, which the bridge does not read", name)
			continue
		}
		*field = value
		if strings.HasPrefix(name, "ANALYTICS_") || strings.HasPrefix(name, "OAUTH_") {
			t.Errorf("deploy/sqs still sets %s, a setting of the websocket source", name)
		}
	}
	cfg, err := env.Validate()
	if err != nil {
		t.Fatalf("the recipe's configuration: %v", err)
	}
	if cfg.Source != config.SourceSQS || cfg.DedupMaxKeys == 0 {
		t.Fatalf("SOURCE=%s, DEDUP_MAX_KEYS=%d: want the sqs source with a bounded window", cfg.Source, cfg.DedupMaxKeys)
	}

	spec := podSpec(t, byKind)
	for _, v := range asList(spec["volumes"]) {
		for _, s := range asList(asMap(asMap(v)["projected"])["sources"]) {
			if sec := asMap(asMap(s)["secret"]); sec != nil && sec["optional"] != true {
				t.Errorf("the pod requires the Secret %v, which the sqs source does not use", sec["name"])
			}
		}
	}
	provided := providedFiles(t, spec)
	for name, file := range settings {
		if strings.HasSuffix(name, "_FILE") && !provided[file] {
			t.Errorf("%s=%s is not a file the Deployment mounts", name, file)
		}
	}

	sa := byKind["ServiceAccount"]
	if sa == nil || spec["serviceAccountName"] != asMap(sa["metadata"])["name"] {
		t.Errorf("the pod runs as ServiceAccount %v; deploy/sqs defines %v", spec["serviceAccountName"], asMap(sa["metadata"])["name"])
	}
	if arn, _ := asMap(asMap(sa["metadata"])["annotations"])["eks.amazonaws.com/role-arn"].(string); !roleARN.MatchString(arn) {
		t.Errorf("ServiceAccount annotation eks.amazonaws.com/role-arn = %q, not an IAM role ARN", arn)
	}

	raw, _ := dig(t, spec, "containers", 0, "resources", "limits", "memory").(string)
	limit, err := parseQuantity(raw)
	if err != nil {
		t.Fatalf("limits.memory: %v", err)
	}
	if _, ok := settings["GOMEMLIMIT"]; ok {
		t.Fatal("deploy/sqs sets GOMEMLIMIT: the test expects the bridge's own limit")
	}
	soft := float64(cfg.MemoryLimit + bridge.DedupWindowBytes(cfg.DedupMaxKeys))
	if soft > 0.9*limit {
		t.Errorf("soft memory limit %.1f MiB (2 x KAFKA_MAX_IN_FLIGHT_BYTES + 16 MiB + the dedup window of %d keys) is not below 90%% of limits.memory %s",
			soft/(1<<20), cfg.DedupMaxKeys, raw)
	}
	requested, err := parseQuantity(dig(t, spec, "containers", 0, "resources", "requests", "memory").(string))
	if err != nil || requested < float64(bridge.DedupWindowBytes(cfg.DedupMaxKeys)) {
		t.Errorf("requests.memory %.0f MiB (%v) is below the dedup window's table alone", requested/(1<<20), err)
	}

	if v := restrictedViolations(spec); len(v) > 0 {
		t.Errorf("Pod Security restricted: %v", v)
	}
}

package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestProductionImports proves the production dependency list: the
// pipeline packages never import the test kit (integration/...) or franz-go
// (used only for tests, the demo and independent verification), and
// neither does the binary built with -tags nodemo, as the Dockerfile
// builds it. Only the demo subcommand of a default build links them.
func TestProductionImports(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	for _, args := range [][]string{
		{"list", "-deps", "./bridge/...", "./source/...", "./checkpoint", "./config"},
		{"list", "-deps", "-tags", "nodemo", "."},
	} {
		out, err := exec.Command("go", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		for _, pkg := range strings.Fields(string(out)) {
			if strings.Contains(pkg, "analytics-bridge/integration") || strings.Contains(pkg, "franz-go") {
				t.Errorf("go %s: production code depends on %s", strings.Join(args, " "), pkg)
			}
		}
	}
}

// TestCoreAndSourcesStayApart: the core (package bridge) imports the source
// contract, never a source; a source never imports the core. Only main
// wires the two (through source/sources).
func TestCoreAndSourcesStayApart(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	const module = "github.com/analytics-bridge/analytics-bridge/"
	for _, c := range []struct {
		pkgs      []string
		forbidden func(dep string) bool
		why       string
	}{
		{[]string{"./bridge/..."}, func(dep string) bool {
			// Shared helpers under source/, not sources: content keys, JSON
			// primitives, the compact key store of the bounded dedup window.
			return strings.HasPrefix(dep, module+"source/") && dep != module+"source/contentkey" && dep != module+"source/jsonlex" &&
				dep != module+"source/keystore"
		}, "the core imports a source"},
		{[]string{"./source/..."}, func(dep string) bool { return dep == module+"bridge" }, "a source imports the core"},
	} {
		out, err := exec.Command("go", append([]string{"list", "-deps"}, c.pkgs...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %v: %v\n%s", c.pkgs, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if c.forbidden(dep) {
				t.Errorf("%s: %v depends on %s", c.why, c.pkgs, dep)
			}
		}
	}
}

func TestVersionSubcommand(t *testing.T) {
	var out, errOut strings.Builder
	if code := run([]string{"version"}, &out, &errOut); code != exitOK {
		t.Fatalf("version exited %d: %s", code, errOut.String())
	}
	if !strings.HasPrefix(out.String(), "analytics-bridge ") || !strings.Contains(out.String(), "revision ") {
		t.Errorf("version printed %q", out.String())
	}
}

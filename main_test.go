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
		{"list", "-deps", "./bridge/...", "./checkpoint", "./config"},
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

func TestVersionSubcommand(t *testing.T) {
	var out, errOut strings.Builder
	if code := run([]string{"version"}, &out, &errOut); code != exitOK {
		t.Fatalf("version exited %d: %s", code, errOut.String())
	}
	if !strings.HasPrefix(out.String(), "analytics-bridge ") || !strings.Contains(out.String(), "revision ") {
		t.Errorf("version printed %q", out.String())
	}
}

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

func TestBuildInfoFrom(t *testing.T) {
	module := func(v string, settings ...debug.BuildSetting) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			return &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: v}, Settings: settings}, true
		}
	}
	rev := debug.BuildSetting{Key: "vcs.revision", Value: "abc123"}
	dirty := debug.BuildSetting{Key: "vcs.modified", Value: "true"}
	for _, tc := range []struct {
		name                   string
		linked, linkedRevision string
		read                   func() (*debug.BuildInfo, bool)
		want                   string // the version line
	}{
		{"go build in a checkout", "", "", module("(devel)", rev), "analytics-bridge dev (after " + latestRelease + ", revision abc123, go1.26.8)"},
		{"uncommitted changes", "", "", module("(devel)", rev, dirty), "analytics-bridge dev (after " + latestRelease + ", revision abc123, modified, go1.26.8)"},
		{"pseudo-version stamped from VCS", "", "", module("v0.0.0-20261203142233-abcdef123456"), "analytics-bridge dev (after " + latestRelease + ", revision unknown, go1.26.8)"},
		{"pseudo-version after a tag, dirty", "", "", module("v0.5.1-0.20261203142233-abcdef123456+dirty"), "analytics-bridge dev (after " + latestRelease + ", revision unknown, go1.26.8)"},
		{"go install at a tag", "", "", module("v0.5.0"), "analytics-bridge 0.5.0 (revision unknown, go1.26.8)"},
		{"go install at a release candidate", "", "", module("v0.6.0-rc.1"), "analytics-bridge 0.6.0-rc.1 (revision unknown, go1.26.8)"},
		{"release build with -ldflags", "0.6.0", "def456", module("(devel)"), "analytics-bridge 0.6.0 (revision def456, go1.26.8)"},
		{"-ldflags with a leading v", "v0.6.0", "", module("(devel)", rev), "analytics-bridge 0.6.0 (revision abc123, go1.26.8)"},
		{"-ldflags wins over the module version", "0.6.1", "", module("v0.6.0"), "analytics-bridge 0.6.1 (revision unknown, go1.26.8)"},
		{"no build info", "", "", func() (*debug.BuildInfo, bool) { return nil, false }, "analytics-bridge dev (after " + latestRelease + ", revision unknown, unknown)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := buildInfoFrom(tc.linked, tc.linkedRevision, tc.read).String(); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

var changelogRelease = regexp.MustCompile(`(?m)^## \[(\d+)\.(\d+)\.(\d+)\] - (\d{4}-\d{2}-\d{2})$`)

// TestLatestReleaseMatchesChangelog: the version a dev build reports it
// comes after is the CHANGELOG's newest release, the CHANGELOG starts with
// an Unreleased section, and its releases go down in version and date.
func TestLatestReleaseMatchesChangelog(t *testing.T) {
	raw, err := os.ReadFile("CHANGELOG.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	unreleased := strings.Index(doc, "\n## [Unreleased]\n")
	releases := changelogRelease.FindAllStringSubmatchIndex(doc, -1)
	if unreleased < 0 || len(releases) == 0 || unreleased > releases[0][0] {
		t.Fatalf("CHANGELOG.md: want a \"## [Unreleased]\" section, then releases \"## [X.Y.Z] - YYYY-MM-DD\"")
	}
	var prev [3]int
	prevDate := ""
	for i, m := range releases {
		var v [3]int
		for j := range v {
			v[j], _ = strconv.Atoi(doc[m[2+2*j]:m[3+2*j]])
		}
		date := doc[m[8]:m[9]]
		if i == 0 {
			if got := doc[m[2]:m[7]]; got != latestRelease {
				t.Errorf("CHANGELOG.md's newest release is %s, latestRelease in version.go is %s", got, latestRelease)
			}
		} else if !(v[0] < prev[0] || v[0] == prev[0] && (v[1] < prev[1] || v[1] == prev[1] && v[2] < prev[2])) || date > prevDate {
			t.Errorf("CHANGELOG.md: release %d.%d.%d (%s) is not older than %d.%d.%d (%s) above it", v[0], v[1], v[2], date, prev[0], prev[1], prev[2], prevDate)
		}
		prev, prevDate = v, date
	}
}

// TestReleaseVersionFromLdflags builds the binary as the Dockerfile does,
// with a version and revision, and asks it.
func TestReleaseVersionFromLdflags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped in -short mode")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
	bin := filepath.Join(t.TempDir(), "analytics-bridge")
	build := exec.Command("go", "build", "-tags", "nodemo", "-ldflags", "-X main.version=9.8.7 -X main.revision=0123abcd", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("version: %v\n%s", err, out)
	}
	if got := string(out); !strings.HasPrefix(got, "analytics-bridge 9.8.7 (revision 0123abcd, go") {
		t.Errorf("version printed %q, want the linked version and revision", got)
	}
}

// TestDockerfileLabelsTheRelease: the image is labelled with the same
// version and revision the binary is linked with (OCI annotations), and
// each label's build argument is declared in the stage that uses it.
func TestDockerfileLabelsTheRelease(t *testing.T) {
	raw, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	stages := strings.Split(string(raw), "\nFROM ")
	if len(stages) != 3 {
		t.Fatalf("Dockerfile: %d stages, want the build stage and the final one", len(stages)-1)
	}
	build, final := stages[1], stages[2]
	for _, want := range []string{"ARG VERSION=", "ARG REVISION=", "-X main.version=${VERSION}", "-X main.revision=${REVISION}"} {
		if !strings.Contains(build, want) {
			t.Errorf("Dockerfile build stage lacks %q", want)
		}
	}
	for _, want := range []string{
		"ARG VERSION=", "ARG REVISION=", "ARG CREATED=",
		`org.opencontainers.image.title="analytics-bridge"`,
		`org.opencontainers.image.version="${VERSION}"`,
		`org.opencontainers.image.revision="${REVISION}"`,
		`org.opencontainers.image.created="${CREATED}"`,
	} {
		if !strings.Contains(final, want) {
			t.Errorf("Dockerfile final stage lacks %q", want)
		}
	}
}

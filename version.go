package main

import (
	"fmt"
	"io"
	"regexp"
	"runtime/debug"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// version is the release version (semantic, without a leading v), set by a
// release build: go build -ldflags "-X main.version=0.6.0". Unset, a
// `go install …@vX.Y.Z` build reports its module version, and any other
// build "dev". The linker can only set a package-level variable.
var version string

// revision is the VCS revision when the build has no VCS data of its own
// (the Docker build copies no .git): -ldflags "-X main.revision=<sha>".
var revision string

// latestRelease is the newest released version in CHANGELOG.md
// (TestLatestReleaseMatchesChangelog holds them together). A dev build
// names it, so that one can tell which release it comes after.
const latestRelease = "0.5.0"

// devVersion is the version of a build that is not a release.
const devVersion = "dev"

// releaseVersion matches a module version that is a release: vX.Y.Z with
// an optional pre-release such as -rc.1, but not the pseudo-version
// (v0.0.0-20261203142233-abcdef123456) or +dirty suffix Go stamps on a
// build from a VCS checkout.
var releaseVersion = regexp.MustCompile(`^v\d+\.\d+\.\d+(-(alpha|beta|rc)(\.\d+)?)?$`)

// build describes this binary.
type build struct {
	version   string // a release version, or "dev"
	revision  string // VCS revision, "unknown" when not recorded
	modified  bool   // built from a tree with uncommitted changes
	goVersion string
}

func buildInfo() build {
	return buildInfoFrom(version, revision, debug.ReadBuildInfo)
}

// buildInfoFrom resolves the version: the linker's, else a release module
// version, else "dev".
func buildInfoFrom(linked, linkedRevision string, read func() (*debug.BuildInfo, bool)) build {
	b := build{version: devVersion, revision: "unknown", goVersion: "unknown"}
	if info, ok := read(); ok {
		b.goVersion = info.GoVersion
		if releaseVersion.MatchString(info.Main.Version) {
			b.version = strings.TrimPrefix(info.Main.Version, "v")
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				b.revision = s.Value
			case "vcs.modified":
				b.modified = s.Value == "true"
			}
		}
	}
	if linked != "" {
		b.version = strings.TrimPrefix(linked, "v")
	}
	if linkedRevision != "" {
		b.revision = linkedRevision
	}
	return b
}

func (b build) String() string {
	s := fmt.Sprintf("analytics-bridge %s (", b.version)
	if b.version == devVersion {
		s += "after " + latestRelease + ", "
	}
	s += "revision " + b.revision
	if b.modified {
		s += ", modified"
	}
	return s + ", " + b.goVersion + ")"
}

func printVersion(w io.Writer) int {
	fmt.Fprintln(w, buildInfo())
	return exitOK
}

// buildInfoMetric is analytics_bridge_build_info: always 1, with the build
// as labels.
func buildInfoMetric(b build) prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: "analytics_bridge", Name: "build_info", Help: "Always 1; the labels describe the running build.",
		ConstLabels: prometheus.Labels{"version": b.version, "revision": b.revision, "goversion": b.goVersion},
	})
	g.Set(1)
	return g
}

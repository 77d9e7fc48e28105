package main

import (
	"fmt"
	"io"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
)

// revision is the VCS revision when the build has no VCS data of its own
// (the Docker build copies no .git): -ldflags "-X main.revision=<sha>".
// The linker can only set a package-level variable.
var revision string

// build describes this binary.
type build struct {
	version   string // module version: a tag, or (devel)
	revision  string // VCS revision, "unknown" when not recorded
	modified  bool   // built from a tree with uncommitted changes
	goVersion string
}

func buildInfo() build {
	b := build{version: "(devel)", revision: "unknown", goVersion: "unknown"}
	info, ok := debug.ReadBuildInfo()
	if ok {
		b.version, b.goVersion = info.Main.Version, info.GoVersion
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				b.revision = s.Value
			case "vcs.modified":
				b.modified = s.Value == "true"
			}
		}
	}
	if revision != "" {
		b.revision = revision
	}
	return b
}

func (b build) String() string {
	s := fmt.Sprintf("analytics-bridge %s (revision %s", b.version, b.revision)
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

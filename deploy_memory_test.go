package main

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/analytics-bridge/analytics-bridge/config"
)

// The pod's memory: the Go runtime's soft limit against limits.memory.
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

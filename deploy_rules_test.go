package main

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/rs/zerolog"

	"github.com/analytics-bridge/analytics-bridge/config"
)

// registryFamilies gathers what the binary's registry exports, built as
// serve builds it: once with each source (SOURCE=websocket, SOURCE=sqs,
// SOURCE=notifications),
// since each source registers metrics of its own beside the core's.
func registryFamilies(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	families, _ := registries(t)
	return families
}

// registries builds the bridge once per source, and returns what its
// registry gathers and the names of every metric registered: a labelled
// metric without a series yet (analytics_bridge_sqs_receive_errors_total
// before the first error) is registered, yet not gathered.
func registries(t *testing.T) (map[string]*dto.MetricFamily, map[string]bool) {
	t.Helper()
	websocketEnv := config.Defaults()
	websocketEnv.AnalyticsURL, websocketEnv.AnalyticsToken, websocketEnv.KafkaBrokers = "ws://127.0.0.1:1/x", "t", "127.0.0.1:1"
	sqsEnv := config.Defaults()
	sqsEnv.Source, sqsEnv.KafkaBrokers = "sqs", "127.0.0.1:1"
	sqsEnv.SQSQueueURL = "https://sqs.eu-west-1.amazonaws.com/123456789012/genesys-events"
	sqsEnv.DedupMaxKeys = "1000" // the table is taken at start: keep the test's small
	notificationsEnv := config.Defaults()
	notificationsEnv.Source, notificationsEnv.KafkaBrokers = "notifications", "127.0.0.1:1"
	notificationsEnv.GenesysAPIURL, notificationsEnv.GenesysLoginURL = "http://127.0.0.1:1", "http://127.0.0.1:1"
	notificationsEnv.OAuthClientID, notificationsEnv.OAuthClientSecret, notificationsEnv.GenesysQueueIDs = "id", "secret", "all"
	families := map[string]*dto.MetricFamily{}
	names := map[string]bool{}
	for _, env := range []config.Env{websocketEnv, sqsEnv, notificationsEnv} {
		cfg, err := env.Validate()
		if err != nil {
			t.Fatal(err)
		}
		reg := newRegistry()
		if _, err := newBridge(cfg, zerolog.Nop(), describing{reg, names}); err != nil {
			t.Fatal(err)
		}
		gathered, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range gathered {
			families[f.GetName()] = f
			names[f.GetName()] = true
		}
	}
	return families, names
}

// describing registers on the registry and notes the name of every metric
// a collector describes.
type describing struct {
	*prometheus.Registry
	names map[string]bool
}

var descName = regexp.MustCompile(`fqName: "([^"]+)"`)

func (d describing) Register(c prometheus.Collector) error {
	descs := make(chan *prometheus.Desc)
	go func() {
		defer close(descs)
		c.Describe(descs)
	}()
	for desc := range descs {
		if m := descName.FindStringSubmatch(desc.String()); m != nil {
			d.names[m[1]] = true
		}
	}
	return d.Registry.Register(c)
}

func (d describing) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := d.Register(c); err != nil {
			panic(err)
		}
	}
}

var (
	promString    = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
	promRange     = regexp.MustCompile(`\[[^\]]*\]`)
	promLabelList = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promSelector  = regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}`)
	promMatcher   = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)"`)
	promIdent     = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	promKeywords  = []string{"and", "or", "unless", "bool", "offset", "inf", "nan", "by", "without", "on", "ignoring", "group_left", "group_right"}
	// Labels Prometheus adds to every scraped series (the target's), not
	// the bridge.
	targetLabels = []string{"job", "instance", "namespace", "pod", "service", "endpoint", "container"}
)

// promMetricNames returns the metric names a PromQL expression selects:
// identifiers that are not functions, keywords, label names or parts of a
// string or duration.
func promMetricNames(expr string) []string {
	e := promString.ReplaceAllString(expr, `""`)
	e = promRange.ReplaceAllString(e, "")
	e = promLabelList.ReplaceAllString(e, "")
	e = regexp.MustCompile(`\{[^}]*\}`).ReplaceAllString(e, "")
	var names []string
	for _, loc := range promIdent.FindAllStringIndex(e, -1) {
		word := e[loc[0]:loc[1]]
		if loc[0] > 0 && (e[loc[0]-1] >= '0' && e[loc[0]-1] <= '9' || e[loc[0]-1] == '.') {
			continue // the exponent or unit of a number (1e3, 5m)
		}
		if rest := strings.TrimLeft(e[loc[1]:], " \t\n"); strings.HasPrefix(rest, "(") || slices.Contains(promKeywords, word) {
			continue // a function or a keyword
		}
		names = append(names, word)
	}
	return names
}

func TestPromMetricNames(t *testing.T) {
	for expr, want := range map[string][]string{
		`analytics_bridge_ready == 0`:                                                        {"analytics_bridge_ready"},
		`absent(analytics_bridge_ready{job="x"})`:                                            {"analytics_bridge_ready"},
		`increase(analytics_bridge_transactions_total{outcome="aborted"}[15m]) > 0`:          {"analytics_bridge_transactions_total"},
		`sum by (pod, job) (rate(a_total[5m])) / on(pod) group_left b > 1e3 and c offset 5m`: {"a_total", "b", "c"},
		`(x - (time() - y)) > 60 or z{l=~"a|b"} unless bool w`:                               {"x", "y", "z", "w"},
	} {
		if got := promMetricNames(expr); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", expr, got, want)
		}
	}
}

// TestPrometheusRules: deploy/kubernetes/prometheusrule.yaml has the
// alerts the issue asks for, and every metric, label and label value its
// expressions name is one the bridge's registry exports. A misspelt
// metric would otherwise make an alert that can never fire.
func TestPrometheusRules(t *testing.T) {
	docs := manifests(t, filepath.Join("deploy", "kubernetes"))
	rule := docs["PrometheusRule"]
	if rule == nil {
		t.Fatal("no PrometheusRule manifest")
	}
	families := registryFamilies(t)
	exported := func(name string) *dto.MetricFamily {
		if f := families[name]; f != nil {
			return f
		}
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if f := families[strings.TrimSuffix(name, suffix)]; f != nil && f.GetType() == dto.MetricType_HISTOGRAM {
				return f
			}
		}
		return nil
	}
	alerts := map[string]string{}
	for _, g := range asList(dig(t, rule, "spec", "groups")) {
		for _, r := range asList(asMap(g)["rules"]) {
			r := asMap(r)
			name, _ := r["alert"].(string)
			expr, _ := r["expr"].(string)
			if name == "" || strings.TrimSpace(expr) == "" {
				t.Errorf("rule %v: needs alert and expr", r)
				continue
			}
			alerts[name] = expr
			names := promMetricNames(expr)
			if len(names) == 0 {
				t.Errorf("%s: names no metric", name)
			}
			for _, m := range names {
				if exported(m) == nil {
					t.Errorf("%s: %s is not exported by the bridge", name, m)
				}
			}
			for _, sel := range promSelector.FindAllStringSubmatch(expr, -1) {
				f := exported(sel[1])
				if f == nil {
					continue // reported above
				}
				for _, m := range promMatcher.FindAllStringSubmatch(sel[2], -1) {
					label, op, value := m[1], m[2], m[3]
					if slices.Contains(targetLabels, label) {
						continue
					}
					values := map[string]bool{}
					for _, metric := range f.GetMetric() {
						for _, lp := range metric.GetLabel() {
							if lp.GetName() == label {
								values[lp.GetValue()] = true
							}
						}
					}
					if len(values) == 0 {
						t.Errorf("%s: %s has no label %s", name, sel[1], label)
					} else if op == "=" && !values[value] {
						t.Errorf("%s: %s{%s} has no value %q", name, sel[1], label, value)
					}
				}
			}
		}
	}
	for alert, metric := range map[string]string{
		"AnalyticsBridgeNotReady":             "analytics_bridge_ready",
		"AnalyticsBridgeGap":                  "analytics_bridge_gaps_total",
		"AnalyticsBridgeDeadLetters":          "analytics_bridge_dead_letters_total",
		"AnalyticsBridgeTransactionsAborted":  "analytics_bridge_transactions_total",
		"AnalyticsBridgeEventTimeLag":         "analytics_bridge_event_time_lag_seconds",
		"AnalyticsBridgeSQSDeleteFailures":    "analytics_bridge_sqs_delete_failures_total",
		"AnalyticsBridgeSQSBacklogGrowing":    "analytics_bridge_sqs_queue_messages",
		"AnalyticsBridgeDedupWindowEvictions": "analytics_bridge_dedup_window_evicted_total",
	} {
		if !slices.Contains(promMetricNames(alerts[alert]), metric) {
			t.Errorf("no alert %s on %s", alert, metric)
		}
	}
	// The lag alone grows on a quiet upstream: the lag alert must be
	// gated on new events or on events received but not checkpointed.
	lag := promMetricNames(alerts["AnalyticsBridgeEventTimeLag"])
	for _, gate := range []string{"analytics_bridge_events_received_total", "analytics_bridge_duplicates_dropped_total", "analytics_bridge_last_event_timestamp_seconds"} {
		if !slices.Contains(lag, gate) {
			t.Errorf("AnalyticsBridgeEventTimeLag does not use %s: it fires on a merely quiet upstream", gate)
		}
	}
}

package config_test

import (
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/config"
)

// TestReadmeConfigurationReference holds the README's configuration
// tables to the struct tags: a variable, default, type, range, group or
// meaning that differs fails here, row by row.
func TestReadmeConfigurationReference(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	want, err := config.UpdateReference(readme)
	if err != nil {
		t.Fatalf("README: %v", err)
	}
	if string(want) == string(readme) {
		return
	}
	got, exp := rows(string(readme)), rows(string(want))
	for _, r := range exp.order {
		if !got.set[r] {
			t.Errorf("README lacks: %s", r)
		}
	}
	for _, r := range got.order {
		if !exp.set[r] {
			t.Errorf("README has, the tags do not: %s", r)
		}
	}
	t.Error("the configuration reference differs from config.Env's tags: run go run ./config/cmd/docgen")
}

type rowSet struct {
	order []string
	set   map[string]bool
}

// rows lists a document's lines, each table row under its "####" heading,
// so a variable moved to another group shows as a difference too.
func rows(doc string) rowSet {
	rs := rowSet{set: map[string]bool{}}
	heading := ""
	for _, l := range strings.Split(doc, "\n") {
		if strings.HasPrefix(l, "#") {
			heading = l
		}
		if strings.HasPrefix(l, "| `") {
			l = heading + " " + l
		}
		rs.order = append(rs.order, l)
		rs.set[l] = true
	}
	return rs
}

// TestVariablesAreTagged: every variable has a group, a type, what it
// applies to and a meaning, and every type validation checks against a
// range has one.
func TestVariablesAreTagged(t *testing.T) {
	seen := map[string]bool{}
	for _, v := range config.Variables() {
		if seen[v.Name] {
			t.Errorf("%s is declared twice", v.Name)
		}
		seen[v.Name] = true
		if v.Group != config.GroupCommon && v.Group != config.GroupAdvanced {
			t.Errorf("%s: group %q, want %q or %q", v.Name, v.Group, config.GroupCommon, config.GroupAdvanced)
		}
		if v.Type == "" || v.Applies == "" || v.Meaning == "" {
			t.Errorf("%s: type %q, applies %q, desc %q: all are required", v.Name, v.Type, v.Applies, v.Meaning)
		}
		switch v.Type {
		case "int", "bytes", "duration", "enum", "bool", "url", "origin", "time":
			if v.Range == "" {
				t.Errorf("%s: a %s needs a range tag", v.Name, v.Type)
			}
		}
		if v.Default != "" && v.DefaultDoc != "" {
			t.Errorf("%s: default and defaultdoc both set", v.Name)
		}
	}
}

// contexts set what a variable's check needs to run at all: a URL's
// scheme is checked only when its token source or mechanism is in use.
var contexts = map[string]func(*config.Env){
	"OAUTH_TOKEN_URL": func(e *config.Env) {
		e.AnalyticsToken, e.OAuthClientID, e.OAuthClientSecret = "", "c", "s"
	},
	"SQS_QUEUE_URL":               sqsSource,
	"SQS_ENDPOINT_URL":            sqsSource,
	"SQS_WAIT_TIME":               sqsSource,
	"SQS_MAX_MESSAGES":            sqsSource,
	"SQS_RECEIVERS":               sqsSource,
	"SQS_VALUE":                   sqsSource,
	"DEDUP_MAX_KEYS":              sqsSource,
	"AWS_REGION":                  sqsSource,
	"GENESYS_API_URL":             genesysHosts,
	"GENESYS_LOGIN_URL":           genesysHosts,
	"GENESYS_MAX_CHANNELS":        notificationsSource,
	"GENESYS_QUEUE_REFRESH":       notificationsSource,
	"GENESYS_CONVERSATION_LINGER": notificationsSource,
	"GENESYS_MAX_FOLLOWED":        notificationsSource,
	"GENESYS_BACKFILL_POLL":       notificationsSource,
	"GENESYS_EVENT_LATENCY":       notificationsSource,
	"GENESYS_BACKFILL_MAX_WAIT":   notificationsSource,
	"KAFKA_SASL_OAUTH_TOKEN_URL": func(e *config.Env) {
		e.KafkaSASLMechanism, e.KafkaOAuthClientID, e.KafkaOAuthClientSecret = "OAUTHBEARER", "c", "s"
	},
}

// sqsSource selects the sqs source, whose settings are checked only then.
func sqsSource(e *config.Env) {
	e.Source, e.SQSQueueURL = "sqs", "https://sqs.eu-west-1.amazonaws.com/123456789012/q"
}

// notificationsSource selects the notifications source, whose settings
// are checked only then.
func notificationsSource(e *config.Env) {
	e.Source, e.GenesysRegion, e.GenesysQueueIDs = "notifications", "mypurecloud.ie", "2a8a1ab4-6e2b-4d5e-9c4f-0d1c2b3a4f5e"
	e.OAuthClientID, e.OAuthClientSecret = "c", "s"
}

// genesysHosts is the notifications source with explicit hosts instead
// of a region.
func genesysHosts(e *config.Env) {
	notificationsSource(e)
	e.GenesysRegion, e.GenesysAPIURL, e.GenesysLoginURL = "", "https://api.example.com", "https://login.example.com"
}

// TestRangesMatchValidation tries each range's bounds and one step beyond
// them, and each cross-check at its edge, against Validate: a range tag
// that promises more or less than validation enforces fails here.
func TestRangesMatchValidation(t *testing.T) {
	defaults := map[string]string{}
	for _, v := range config.Variables() {
		defaults[v.Name] = v.Default
	}
	for _, v := range config.Variables() {
		if v.Range == "" {
			continue
		}
		t.Run(v.Name, func(t *testing.T) {
			own, cross, _ := strings.Cut(v.Range, ";")
			accepted, rejected := probes(t, v.Type, strings.TrimSpace(own))
			for _, value := range accepted {
				if p := problemsOf(t, v.Name, value); len(p.own) > 0 {
					t.Errorf("%s=%q is inside the range %q, but validation says %q", v.Name, value, v.Range, p.own)
				}
			}
			for _, value := range rejected {
				if p := problemsOf(t, v.Name, value); len(p.own) == 0 {
					t.Errorf("%s=%q is outside the range %q, but validation accepts it", v.Name, value, v.Range)
				}
			}
			if cross = strings.TrimSpace(cross); cross != "" {
				checkCross(t, v.Name, cross, defaults)
			}
		})
	}
}

// probes returns values a range accepts (its bounds) and rejects (one
// step beyond).
func probes(t *testing.T, typ, r string) (accepted, rejected []string) {
	t.Helper()
	switch typ {
	case "int", "bytes":
		type span struct{ lo, hi int64 }
		var spans []span
		for _, item := range strings.Split(r, ", ") {
			lo, hi, isSpan := strings.Cut(item, "..")
			if !isSpan {
				hi = lo
			}
			a, err1 := strconv.ParseInt(lo, 10, 64)
			b, err2 := strconv.ParseInt(hi, 10, 64)
			if err1 != nil || err2 != nil {
				t.Fatalf("range %q: %q is not N or LO..HI", r, item)
			}
			spans = append(spans, span{a, b})
		}
		inside := func(n int64) bool {
			for _, s := range spans {
				if n >= s.lo && n <= s.hi {
					return true
				}
			}
			return false
		}
		for _, s := range spans {
			accepted = append(accepted, strconv.FormatInt(s.lo, 10), strconv.FormatInt(s.hi, 10))
			for _, n := range []int64{s.lo - 1, s.hi + 1} {
				if !inside(n) {
					rejected = append(rejected, strconv.FormatInt(n, 10))
				}
			}
		}
	case "duration":
		if lo, hi, ok := strings.Cut(r, ".."); ok {
			a, err1 := time.ParseDuration(lo)
			b, err2 := time.ParseDuration(hi)
			if err1 != nil || err2 != nil {
				t.Fatalf("range %q: want LO..HI durations", r)
			}
			return []string{a.String(), b.String()}, []string{(a - time.Second).String(), (b + time.Second).String()}
		}
		minimum, ok := strings.CutPrefix(r, ">= ")
		d, err := time.ParseDuration(minimum)
		if !ok || err != nil {
			t.Fatalf("range %q: want >= DURATION or LO..HI", r)
		}
		accepted = []string{d.String()}
		rejected = []string{(d - time.Nanosecond).String()}
	case "enum", "bool":
		accepted = strings.Split(r, ", ")
		rejected = []string{"no-such-value"}
	case "url":
		for _, scheme := range strings.Split(r, ", ") {
			accepted = append(accepted, scheme+"example.com:1/x")
		}
		rejected = []string{"ftp://example.com:1/x"}
	case "origin": // a URL of a host alone
		for _, scheme := range strings.Split(r, ", ") {
			accepted = append(accepted, scheme+"example.com:1", scheme+"example.com/")
		}
		rejected = []string{"ftp://example.com:1", "https://example.com:1/x"}
	case "time":
		if r != "now or RFC 3339" {
			t.Fatalf("range %q: the only time range is %q", r, "now or RFC 3339")
		}
		accepted = []string{config.StartNow, "2026-01-02T03:04:05.5Z", "2026-01-02T03:04:05+02:00"}
		rejected = []string{"yesterday", "2026-01-02"}
	default:
		t.Fatalf("no way to probe a range %q of type %q", r, typ)
	}
	return accepted, rejected
}

// checkCross tries a cross-check at its edge: "shorter than OTHER" or
// "at least OTHER", with OTHER at its default.
func checkCross(t *testing.T, name, cross string, defaults map[string]string) {
	t.Helper()
	shorter, isShorter := strings.CutPrefix(cross, "shorter than ")
	atLeast, isAtLeast := strings.CutPrefix(cross, "at least ")
	other := shorter
	if isAtLeast {
		other = atLeast
	}
	edge, err := time.ParseDuration(defaults[other])
	if (!isShorter && !isAtLeast) || err != nil {
		t.Fatalf("cross-check %q: want \"shorter than X\" or \"at least X\" with X a duration variable with a default", cross)
	}
	below := (edge - time.Millisecond).String()
	at := edge.String()
	okValue, badValue := below, at
	if isAtLeast {
		okValue, badValue = at, below
	}
	if p := problemsOf(t, name, okValue); len(p.all) > 0 {
		t.Errorf("%s=%s with %s=%s meets %q, but validation says %q", name, okValue, other, defaults[other], cross, p.all)
	}
	if p := problemsOf(t, name, badValue); len(p.all) == 0 {
		t.Errorf("%s=%s with %s=%s breaks %q, but validation accepts it", name, badValue, other, defaults[other], cross)
	}
}

type found struct {
	own []string // problems about this variable alone (naming no other)
	all []string // every problem about this variable
}

// problemsOf validates a valid environment with name set to value and
// returns the problems reported about name.
func problemsOf(t *testing.T, name, value string) found {
	t.Helper()
	e := valid()
	if set := contexts[name]; set != nil {
		set(&e)
	}
	setVar(t, &e, name, value)
	_, err := e.Validate()
	var f found
	if err == nil {
		return f
	}
	for _, p := range strings.Split(strings.TrimPrefix(err.Error(), "invalid configuration:\n"), "\n") {
		p = strings.TrimSpace(p)
		rest, ok := strings.CutPrefix(p, name+": ")
		if !ok {
			continue
		}
		f.all = append(f.all, p)
		if !namesAnother(rest, name) {
			f.own = append(f.own, p)
		}
	}
	return f
}

func namesAnother(problem, name string) bool {
	for _, v := range config.Variables() {
		if v.Name != name && strings.Contains(problem, v.Name) {
			return true
		}
	}
	return false
}

func setVar(t *testing.T, e *config.Env, name, value string) {
	t.Helper()
	v := reflect.ValueOf(e).Elem()
	for i := 0; i < v.NumField(); i++ {
		if v.Type().Field(i).Tag.Get("envconfig") == name {
			v.Field(i).SetString(value)
			return
		}
	}
	t.Fatalf("no variable %s", name)
}

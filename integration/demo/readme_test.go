package demo

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/sim"
	"github.com/analytics-bridge/analytics-bridge/integration/sqstest"
)

// readmeVar is a variable the README's demo paragraph names: `NAME`, or
// `NAME=value` when the value is the same in every run.
var readmeVar = regexp.MustCompile("`([A-Z][A-Z_]+)(?:=([^`]*))?`")

// TestReadmeListsTheDemoOverrides holds the README's lists of what each
// demo script sets to the production environment (bridgeEnv, sqsEnv):
// every variable that differs from its default is named, and every value
// written there is the one the demo uses.
func TestReadmeListsTheDemoOverrides(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	up, err := sim.New(sim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = up.Close() })
	cluster := &kafkatest.Cluster{Brokers: []string{"127.0.0.1:9092"}, Prefix: "analytics-bridge-demo-test"}
	standin, err := genesys.New(genesys.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = standin.Close() })
	queue := &sqstest.Queue{Endpoint: "http://127.0.0.1:9324", URL: "http://127.0.0.1:9324/000000000000/" + sqstest.QueueName}
	for _, tc := range []struct {
		name, begin, end string
		env              config.Env
	}{
		{"websocket", "`go run . demo` runs the real bridge", "It then does four things",
			bridgeEnv(cluster.Prefix, cluster, up, time.Now(), "warn")},
		{"sqs", "`go run . demo -source sqs` runs the same bridge", "It feeds the queue",
			sqsEnv(cluster, queue, "warn", dedupKeys(Options{Rate: DefaultRate, Duration: DefaultDuration}))},
		{"notifications", "`go run . demo -source notifications` runs the same bridge", "Calls of a few seconds each",
			notificationsEnv(cluster, standin, "warn")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := string(raw)
			begin, end := strings.Index(doc, tc.begin), strings.Index(doc, tc.end)
			if begin < 0 || end < begin {
				t.Fatal("README: the demo paragraph is not where this test looks for it")
			}
			checkOverrides(t, doc[begin:end], tc.env)
		})
	}
}

// checkOverrides compares the variables a README paragraph names with
// those env sets to other values than the defaults.
func checkOverrides(t *testing.T, paragraph string, env config.Env) {
	t.Helper()
	named := map[string]string{}
	for _, m := range readmeVar.FindAllStringSubmatch(paragraph, -1) {
		named[m[1]] = m[2]
	}
	defaults := config.Defaults()
	got, def := reflect.ValueOf(env), reflect.ValueOf(defaults)
	overridden := map[string]string{}
	for i := 0; i < got.NumField(); i++ {
		if got.Field(i).String() != def.Field(i).String() {
			overridden[got.Type().Field(i).Tag.Get("envconfig")] = got.Field(i).String()
		}
	}
	for name, value := range overridden {
		said, ok := named[name]
		switch {
		case !ok:
			t.Errorf("the demo sets %s=%s; the README's list does not name it", name, value)
		case said != "" && said != value:
			t.Errorf("the README says the demo sets %s=%s; it sets %s", name, said, value)
		}
	}
	for name, said := range named {
		if _, ok := overridden[name]; !ok && said != "" {
			t.Errorf("the README says the demo sets %s=%s; it leaves the default", name, said)
		}
	}
}

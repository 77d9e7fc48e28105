package demo

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/sim"
)

// readmeVar is a variable the README's demo paragraph names: `NAME`, or
// `NAME=value` when the value is the same in every run.
var readmeVar = regexp.MustCompile("`([A-Z][A-Z_]+)(?:=([^`]*))?`")

// TestReadmeListsTheDemoOverrides holds the Quick start's list of what the
// demo sets to bridgeEnv: every variable that differs from its default is
// named, and every value written there is the one the demo uses.
func TestReadmeListsTheDemoOverrides(t *testing.T) {
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	begin, end := strings.Index(doc, "`go run . demo` runs the real bridge"), strings.Index(doc, "It then does four things")
	if begin < 0 || end < begin {
		t.Fatal("README: the demo paragraph is not where this test looks for it")
	}
	named := map[string]string{}
	for _, m := range readmeVar.FindAllStringSubmatch(doc[begin:end], -1) {
		named[m[1]] = m[2]
	}

	up, err := sim.New(sim.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = up.Close() })
	env := bridgeEnv("analytics-bridge-demo-test", &kafkatest.Cluster{Brokers: []string{"127.0.0.1:9092"}}, up, time.Now(), "warn")
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

package websocket

import (
	"strings"
	"testing"

	"github.com/analytics-bridge/analytics-bridge/source/contentkey"
	"github.com/tidwall/gjson"
)

func TestDedupKey(t *testing.T) {
	content, err := contentkey.Of([]byte(`{"b":1,"a":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, event, idPath, want string
	}{
		{"string id", `{"id":"e-1","a":"x"}`, "id", "e-1"},
		{"numeric id", `{"id":42}`, "id", "42"},
		{"empty id", `{"b":1,"a":"x","id":""}`, "id", ""},
		{"null id", `{"b":1,"a":"x","id":null}`, "id", ""},
		{"no id", `{"b":1,"a":"x"}`, "id", content},
		{"re-serialised", "{ \"a\" : \"x\",\n \"b\" : 1 }", "id", content},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := dedupKey([]byte(tt.event), gjson.Get(tt.event, tt.idPath))
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if !strings.HasPrefix(got, "sha256:") {
					t.Errorf("dedupKey = %q, want a content key for an unusable id", got)
				}
				return
			}
			if got != tt.want {
				t.Errorf("dedupKey = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDeadLetterKeyOfJSONSurvivesReserialisation(t *testing.T) {
	a := deadLetterKey([]byte(`{"b":1,"a":"no time"}`))
	b := deadLetterKey([]byte("{ \"a\" : \"no time\", \"b\" : 1 }"))
	if a != b || !strings.HasPrefix(a, "dlq:sha256:") {
		t.Errorf("keys %q and %q: want one dlq: content key", a, b)
	}
	if raw := deadLetterKey([]byte(`{"a":1} trailing`)); raw == deadLetterKey([]byte(`{"a":1}`)) || !strings.HasPrefix(raw, "dlq:sha256:") {
		t.Errorf("an invalid frame shares its key %q with the JSON it starts with", raw)
	}
}

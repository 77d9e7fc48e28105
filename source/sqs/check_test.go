package sqs

import (
	"strings"
	"testing"
	"time"
)

func TestCheckAttributes(t *testing.T) {
	s := settings{queueURL: "https://sqs.eu-west-1.amazonaws.com/1/q", window: time.Hour}
	tests := []struct {
		name    string
		attrs   map[string]string
		check   string
		ok      bool
		warning bool
		detail  string
	}{
		{"visibility shorter than the window", map[string]string{"VisibilityTimeout": "30"}, "visibility timeout", true, false, "30s, shorter than DEDUP_WINDOW"},
		{"visibility not shorter than the window", map[string]string{"VisibilityTimeout": "3600"}, "visibility timeout", false, false, "the bridge refuses to start"},
		{"no redrive", map[string]string{"VisibilityTimeout": "30"}, "redrive", true, false, "no redrive policy"},
		{"redrive high enough", map[string]string{"VisibilityTimeout": "30", "RedrivePolicy": `{"deadLetterTargetArn":"arn:x","maxReceiveCount":100}`}, "redrive", true, false, "maxReceiveCount 100"},
		{"redrive too low", map[string]string{"VisibilityTimeout": "30", "RedrivePolicy": `{"deadLetterTargetArn":"arn:x","maxReceiveCount":"3"}`}, "redrive", true, true, "maxReceiveCount 3 is below 20"},
		{"fifo", map[string]string{"VisibilityTimeout": "30", "FifoQueue": "true"}, "queue type", true, true, "FIFO"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range checkAttributes(tt.attrs, s) {
				if r.Name != tt.check {
					continue
				}
				if r.OK != tt.ok || r.Warning != tt.warning || !strings.Contains(r.Detail, tt.detail) {
					t.Fatalf("%s: ok %v warning %v %q; want ok %v warning %v and %q", r.Name, r.OK, r.Warning, r.Detail, tt.ok, tt.warning, tt.detail)
				}
				return
			}
			t.Fatalf("no %q line", tt.check)
		})
	}
}

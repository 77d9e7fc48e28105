package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/config"
)

func TestSQSSource(t *testing.T) {
	e := config.Defaults()
	e.KafkaBrokers = "k1:9092"
	e.Source = "sqs"
	e.SQSQueueURL = "https://sqs.eu-west-1.amazonaws.com/123456789012/genesys-events"
	cfg := validated(t, e) // no ANALYTICS_URL nor token: the websocket source's settings are not required
	want := config.SQS{QueueURL: e.SQSQueueURL, Region: "eu-west-1", WaitTime: 20 * time.Second, MaxMessages: 10, Receivers: 4,
		Value: config.SQSValueDetail, PartitionKey: config.SQSDefaultPartitionKey}
	if cfg.SQS != want {
		t.Errorf("SQS = %+v\nwant  %+v", cfg.SQS, want)
	}
	if cfg.Source != config.SourceSQS || cfg.DedupWindow != time.Hour || cfg.DedupMaxKeys != 3_600_000 {
		t.Errorf("source %q, window %v, max keys %d", cfg.Source, cfg.DedupWindow, cfg.DedupMaxKeys)
	}
	if ws := validated(t, valid()); ws.DedupMaxKeys != 0 {
		t.Errorf("websocket source: DedupMaxKeys %d, want 0 (its window is not bounded by it)", ws.DedupMaxKeys)
	}
}

func TestSQSProblems(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*config.Env)
		want   string
	}{
		{"queue url required", func(e *config.Env) { e.SQSQueueURL = "" }, "SQS_QUEUE_URL: is required"},
		{"region not in a custom host", func(e *config.Env) { e.SQSQueueURL = "http://localhost:4566/000000000000/q" }, "AWS_REGION: is required"},
		{"wait beyond 20s", func(e *config.Env) { e.SQSWaitTime = "21s" }, "SQS_WAIT_TIME"},
		{"wait in fractions", func(e *config.Env) { e.SQSWaitTime = "1500ms" }, "SQS_WAIT_TIME: 1.5s is not whole seconds"},
		{"unknown value", func(e *config.Env) { e.SQSValue = "envelope" }, "SQS_VALUE"},
		{"unknown source", func(e *config.Env) { e.Source = "kinesis" }, `SOURCE: "kinesis" is not one of websocket, sqs`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := config.Defaults()
			e.KafkaBrokers = "k1:9092"
			e.Source = "sqs"
			e.SQSQueueURL = "https://sqs.eu-west-1.amazonaws.com/123456789012/q"
			tt.mutate(&e)
			_, err := e.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestRegionOfQueueURL(t *testing.T) {
	for url, want := range map[string]string{
		"https://sqs.us-east-1.amazonaws.com/123456789012/q":          "us-east-1",
		"https://sqs-fips.us-gov-west-1.amazonaws.com/123456789012/q": "us-gov-west-1",
		"https://eu-west-1.queue.amazonaws.com/123456789012/q":        "eu-west-1",
		"https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q":      "cn-north-1",
		"https://vpce-0a1b.sqs.eu-west-1.vpce.amazonaws.com/1/q":      "",
		"http://127.0.0.1:4566/000000000000/q":                        "",
	} {
		if got := config.RegionOfQueueURL(url); got != want {
			t.Errorf("RegionOfQueueURL(%s) = %q, want %q", url, got, want)
		}
	}
}

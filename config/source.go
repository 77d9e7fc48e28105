package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// SourceKind is SOURCE: the upstream the bridge reads.
type SourceKind string

// Values of SOURCE.
const (
	// SourceWebSocket is the analytics events WebSocket with its `since`
	// replay (ANALYTICS_URL).
	SourceWebSocket SourceKind = "websocket"
	// SourceSQS is an Amazon SQS queue fed by an EventBridge rule (Genesys
	// Cloud's EventBridge integration).
	SourceSQS SourceKind = "sqs"
	// SourceNotifications is Genesys Cloud's Notifications WebSocket, its
	// gaps back-filled from the analytics API (GENESYS_*).
	SourceNotifications SourceKind = "notifications"
)

// SQSValue is SQS_VALUE: what of a message body becomes the record value.
type SQSValue string

// Values of SQS_VALUE.
const (
	// SQSValueDetail is the EventBridge event's detail (Genesys's
	// {topicName, version, eventBody, metadata}), a window on the body.
	SQSValueDetail SQSValue = "detail"
	// SQSValueBody is the whole EventBridge envelope.
	SQSValueBody SQSValue = "body"
)

// Default record key of the sqs source: a path within detail.
const SQSDefaultPartitionKey = "eventBody.conversationId"

// SQS is the sqs source's settings.
type SQS struct {
	QueueURL string
	// Region is AWS_REGION, or the region of QueueURL's host.
	Region string
	// EndpointURL is SQS_ENDPOINT_URL; "" for the SDK's endpoint of Region.
	EndpointURL string
	WaitTime    time.Duration
	MaxMessages int
	Receivers   int
	Value       SQSValue
	// PartitionKey is PARTITION_KEY_FIELD, a path within detail.
	PartitionKey string
}

// sourceSettings validates SOURCE and the settings of the source it names.
// The settings of the other sources are not required.
func (v *validator) sourceSettings(e Env, c *Config) {
	c.Source = oneOf(v, "SOURCE", e.Source, SourceWebSocket, SourceSQS, SourceNotifications)
	c.DedupWindow = v.duration("DEDUP_WINDOW", e.DedupWindow, time.Minute)
	maxKeys := v.intRange("DEDUP_MAX_KEYS", e.DedupMaxKeys, 1000, 1_000_000_000)
	switch c.Source {
	case SourceWebSocket:
		c.AnalyticsURL = v.url("ANALYTICS_URL", e.AnalyticsURL, "ws", "wss")
		c.Token = v.token(e)
	case SourceSQS:
		c.DedupMaxKeys = maxKeys
		c.SQS = v.sqs(e)
	case SourceNotifications:
		c.Notifications = v.notifications(e)
	}
}

func (v *validator) sqs(e Env) SQS {
	s := SQS{
		QueueURL:     v.url("SQS_QUEUE_URL", e.SQSQueueURL, "https", "http"),
		Region:       strings.TrimSpace(e.AWSRegion),
		WaitTime:     v.duration("SQS_WAIT_TIME", e.SQSWaitTime, 0),
		MaxMessages:  v.intRange("SQS_MAX_MESSAGES", e.SQSMaxMessages, 1, 10),
		Receivers:    v.intRange("SQS_RECEIVERS", e.SQSReceivers, 1, 64),
		Value:        oneOf(v, "SQS_VALUE", e.SQSValue, SQSValueDetail, SQSValueBody),
		PartitionKey: strings.TrimSpace(e.PartitionKey),
	}
	if s.PartitionKey == "" {
		s.PartitionKey = SQSDefaultPartitionKey
	}
	if s.WaitTime > 20*time.Second {
		v.add("SQS_WAIT_TIME", fmt.Sprintf("%s is more than SQS allows (20s)", s.WaitTime))
	}
	if s.WaitTime%time.Second != 0 {
		v.add("SQS_WAIT_TIME", fmt.Sprintf("%s is not whole seconds (SQS long polls in seconds)", s.WaitTime))
	}
	if ep := strings.TrimSpace(e.SQSEndpointURL); ep != "" {
		s.EndpointURL = v.url("SQS_ENDPOINT_URL", ep, "https", "http")
	}
	if s.Region == "" && s.QueueURL != "" {
		s.Region = RegionOfQueueURL(s.QueueURL)
		if s.Region == "" {
			v.add("AWS_REGION", fmt.Sprintf("is required: the host of SQS_QUEUE_URL %q names no region (sqs.<region>.amazonaws.com)", redactURL(s.QueueURL)))
		}
	}
	return s
}

// RegionOfQueueURL is the AWS region in an SQS queue URL's host
// (https://sqs.<region>.amazonaws.com/<account>/<queue>, the legacy
// <region>.queue.amazonaws.com, and the .amazonaws.com.cn partition), or "".
func RegionOfQueueURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	labels := strings.Split(u.Hostname(), ".")
	for i := 0; i+2 < len(labels); i++ {
		if labels[i+2] != "amazonaws" {
			continue
		}
		switch {
		case labels[i] == "sqs" || strings.HasPrefix(labels[i], "sqs-fips"):
			return labels[i+1]
		case labels[i+1] == "queue":
			return labels[i]
		}
	}
	return ""
}

// UpstreamSummary names the upstream for logs and `check`, without
// secrets: the WebSocket URL and the kind of token, the queue and its
// region, or the Genesys Cloud API host and what is subscribed there.
func (c Config) UpstreamSummary() string {
	switch c.Source {
	case SourceSQS:
		return fmt.Sprintf("%s in %s", c.SQS.QueueURL, c.SQS.Region)
	case SourceNotifications:
		return c.Notifications.summary()
	}
	return fmt.Sprintf("%s, %s token", redactURL(c.AnalyticsURL), c.Token.Kind())
}

package sqs

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/analytics-bridge/analytics-bridge/source"
)

// minMaxReceiveCount is the lowest redrive maxReceiveCount the check
// accepts quietly: every restart of the bridge hands back what it held, and
// each receive counts, so a low count moves messages to the queue's
// dead-letter queue during a Kafka outage or a crash loop, out of the
// bridge's reach.
const minMaxReceiveCount = 20

// Check reads the queue's attributes with the configured credentials: what
// `analytics-bridge check --connect` reports of the upstream. It reads no
// message.
func (s *Source) Check(ctx context.Context) []source.CheckResult {
	res, err := s.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(s.queueURL),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll}})
	if err != nil {
		if r := classify(err, s.settings); r != nil {
			err = r
		}
		return []source.CheckResult{{Name: "queue", Detail: err.Error()}}
	}
	return checkAttributes(res.Attributes, s.settings)
}

// checkAttributes judges a queue's attributes against the settings.
func checkAttributes(attrs map[string]string, s settings) []source.CheckResult {
	out := []source.CheckResult{{Name: "queue", OK: true, Detail: fmt.Sprintf("%s answers: %s messages visible, %s in flight",
		s.queueURL, attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"])}}
	visibility := seconds(attrs["VisibilityTimeout"])
	vis := source.CheckResult{Name: "visibility timeout", OK: s.window > visibility,
		Detail: fmt.Sprintf("%s, shorter than DEDUP_WINDOW %s", visibility, s.window)}
	if !vis.OK {
		vis.Detail = fmt.Sprintf("%s is not shorter than DEDUP_WINDOW %s: the bridge refuses to start (a redelivery after the window would be written twice)", visibility, s.window)
	}
	out = append(out, vis)
	if attrs["FifoQueue"] == "true" {
		out = append(out, source.CheckResult{Name: "queue type", OK: true, Warning: true,
			Detail: "a FIFO queue: EventBridge delivers to it, but its 5-minute deduplication adds nothing here and its message groups limit throughput; a standard queue is what the README recipe creates"})
	}
	out = append(out, redriveCheck(attrs["RedrivePolicy"]))
	return out
}

func redriveCheck(policy string) source.CheckResult {
	r := source.CheckResult{Name: "redrive", OK: true}
	if policy == "" {
		r.Detail = "no redrive policy: messages stay until deleted or past retention"
		return r
	}
	var p struct {
		MaxReceiveCount json.Number `json:"maxReceiveCount"`
	}
	if err := json.Unmarshal([]byte(policy), &p); err != nil {
		r.Detail = "redrive policy unreadable: " + err.Error()
		r.Warning = true
		return r
	}
	n, _ := strconv.Atoi(p.MaxReceiveCount.String())
	r.Detail = fmt.Sprintf("maxReceiveCount %d", n)
	if n < minMaxReceiveCount {
		r.Warning = true
		r.Detail = fmt.Sprintf("maxReceiveCount %d is below %d: every bridge restart receives held messages again, so a Kafka outage or a crash loop can move them to the queue's dead-letter queue, which the bridge does not read; raise it", n, minMaxReceiveCount)
	}
	return r
}

func seconds(s string) time.Duration {
	n, _ := strconv.Atoi(s)
	return time.Duration(n) * time.Second
}

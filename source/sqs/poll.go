package sqs

import (
	"context"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// queuePollEvery is how often the queue's depth is read.
const queuePollEvery = 15 * time.Second

// pollQueue exports the queue's approximate depth by state.
func (st *stream) pollQueue(ctx context.Context) {
	attrs := map[string]types.QueueAttributeName{
		"visible":   types.QueueAttributeNameApproximateNumberOfMessages,
		"in_flight": types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		"delayed":   types.QueueAttributeNameApproximateNumberOfMessagesDelayed,
	}
	names := make([]types.QueueAttributeName, 0, len(attrs))
	for _, n := range attrs {
		names = append(names, n)
	}
	tick := time.NewTicker(queuePollEvery)
	defer tick.Stop()
	for {
		callCtx, cancel := context.WithTimeout(ctx, st.src.callTimeout)
		res, err := st.src.client.GetQueueAttributes(callCtx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(st.src.queueURL), AttributeNames: names})
		cancel()
		if err == nil {
			for state, name := range attrs {
				if n, convErr := strconv.Atoi(res.Attributes[string(name)]); convErr == nil {
					st.src.metrics.queueMessages.WithLabelValues(state).Set(float64(n))
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

package sqs

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/analytics-bridge/analytics-bridge/bridge/retry"
)

// receive long-polls the queue and hands every message to msgs, holding it
// in the ledger first: from then on it is extended, deleted once
// committed, or released when the epoch closes.
func (st *stream) receive(ctx context.Context, msgs chan<- message, visibility time.Duration, seed uint64) {
	s := st.src
	bo := retry.NewBackoff(s.minBackoff, s.maxBackoff, seed)
	in := &sqs.ReceiveMessageInput{
		QueueUrl:            aws.String(s.queueURL),
		MaxNumberOfMessages: int32(s.maxMessages),
		WaitTimeSeconds:     int32(s.waitTime / time.Second),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{
			types.MessageSystemAttributeNameSentTimestamp, types.MessageSystemAttributeNameApproximateReceiveCount},
	}
	for ctx.Err() == nil {
		callCtx, cancel := context.WithTimeout(ctx, s.waitTime+s.callTimeout)
		res, err := s.client.ReceiveMessage(callCtx, in)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if r := classify(err, s.settings); r != nil {
				st.refuse(r)
				return
			}
			s.metrics.receiveErrors.WithLabelValues(errorCode(err)).Inc()
			s.log.Warn().Err(err).Msg("receiving from the queue failed; retrying")
			st.setStatus(false)
			if retry.Sleep(ctx, bo.Next()) != nil {
				return
			}
			continue
		}
		bo.Reset()
		st.setStatus(true)
		now := time.Now()
		oldest := now
		// Every message of the answer is held before the first is handed
		// on: should the epoch end meanwhile, Close releases them all, and
		// none waits out its visibility timeout unheld.
		batch := make([]message, len(res.Messages))
		for i, m := range res.Messages {
			s.metrics.received.Inc()
			if n, _ := strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)]); n > 1 {
				s.metrics.redelivered.Inc()
			}
			if ms, convErr := strconv.ParseInt(m.Attributes[string(types.MessageSystemAttributeNameSentTimestamp)], 10, 64); convErr == nil {
				if sent := time.UnixMilli(ms); sent.Before(oldest) {
					oldest = sent
				}
			}
			id := st.held.hold(aws.ToString(m.ReceiptHandle), now.Add(visibility))
			batch[i] = message{id: id, body: []byte(aws.ToString(m.Body)), messageID: aws.ToString(m.MessageId), receivedAt: now}
		}
		for _, m := range batch {
			select {
			case msgs <- m:
			case <-ctx.Done():
				return // held: Close releases it and the rest of the batch
			}
		}
		if len(res.Messages) > 0 {
			s.metrics.messageAge.Set(now.Sub(oldest).Seconds())
		}
	}
}

// errorCode is the AWS error code of err, for the errors metric.
func errorCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return "network"
}

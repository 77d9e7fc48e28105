package sqs

import (
	"context"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// batchSize is the most entries SQS takes in one batch call.
const batchSize = 10

// extend keeps held messages hidden while they wait for Kafka: every
// quarter of the visibility timeout, each message due to become visible
// within half of it gets the whole timeout again. One that cannot be
// extended (its handle went stale: it was received again) is forgotten
// here; its copies are written once by the core either way.
func (st *stream) extend(ctx context.Context, visibility time.Duration) {
	tick := time.NewTicker(max(visibility/4, 250*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		due := st.held.due(time.Now().Add(visibility / 2))
		for len(due) > 0 && ctx.Err() == nil {
			n := min(batchSize, len(due))
			visibleAt := time.Now().Add(visibility)
			ok, stale, err := st.changeVisibility(ctx, due[:n], visibility)
			if err != nil {
				if r := classify(err, st.src.settings); r != nil {
					st.refuse(r)
					return
				}
				st.src.metrics.extendFailures.Add(float64(n))
				st.src.log.Warn().Err(err).Int("messages", n).Msg("extending visibility failed; retried at the next tick")
				break
			}
			st.held.extended(ok, visibleAt)
			st.held.forget(stale)
			st.src.metrics.extended.Add(float64(len(ok)))
			st.src.metrics.extendFailures.Add(float64(n - len(ok)))
			due = due[n:]
		}
	}
}

// releaseAll makes every message still held visible at once: the epoch
// read them but never committed them (see the package doc for why now
// rather than at their timeout).
func (st *stream) releaseAll(ctx context.Context) error {
	all := st.held.release()
	for len(all) > 0 {
		n := min(batchSize, len(all))
		ok, _, err := st.changeVisibility(ctx, all[:n], 0)
		if err != nil {
			return err // they come back at their timeout
		}
		st.src.metrics.released.Add(float64(len(ok)))
		all = all[n:]
	}
	return nil
}

// changeVisibility sets the visibility timeout of up to batchSize
// messages and returns the ids that took it, and those the queue refused
// for good (a sender fault: the handle is stale, the message received
// again or deleted). Entries that failed on the server's side are in
// neither: the next tick tries them again.
func (st *stream) changeVisibility(ctx context.Context, msgs []visibilityChange, timeout time.Duration) (ok, stale []uint64, err error) {
	entries := make([]types.ChangeMessageVisibilityBatchRequestEntry, len(msgs))
	for i, m := range msgs {
		entries[i] = types.ChangeMessageVisibilityBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(m.handle),
			VisibilityTimeout: int32(timeout / time.Second)}
	}
	ctx, cancel := context.WithTimeout(ctx, st.src.callTimeout)
	defer cancel()
	res, err := st.src.client.ChangeMessageVisibilityBatch(ctx, &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: aws.String(st.src.queueURL), Entries: entries})
	if err != nil {
		return nil, nil, err
	}
	for _, e := range res.Successful {
		if i, convErr := strconv.Atoi(aws.ToString(e.Id)); convErr == nil && i < len(msgs) {
			ok = append(ok, msgs[i].id)
		}
	}
	for _, e := range res.Failed {
		if i, convErr := strconv.Atoi(aws.ToString(e.Id)); convErr == nil && i < len(msgs) && e.SenderFault {
			stale = append(stale, msgs[i].id)
		}
	}
	return ok, stale, nil
}

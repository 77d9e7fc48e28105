package sqs

import (
	"context"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/analytics-bridge/analytics-bridge/bridge/retry"
)

// maxDeleteAttempts bounds the retries of a delete entry that failed on
// the server's side; past it the message comes back after its timeout and
// the core drops it as a duplicate.
const maxDeleteAttempts = 5

// deleteLoop deletes, in batches, the messages the core reported
// committed, until closing is closed and nothing is left to delete, or ctx
// ends. Several run at once: one batch call per 10 messages.
func (st *stream) deleteLoop(ctx context.Context, closing <-chan struct{}, seed uint64) {
	bo := retry.NewBackoff(st.src.minBackoff, st.src.maxBackoff, seed)
	for ctx.Err() == nil {
		batch := st.held.takeDeletes(batchSize)
		if len(batch) == 0 {
			select {
			case <-st.held.wake:
				continue
			case <-closing:
				if st.held.pendingDeletes() == 0 {
					return
				}
				continue
			case <-ctx.Done():
				return
			}
		}
		retried, err := st.deleteBatch(ctx, batch)
		if err != nil {
			if r := classify(err, st.src.settings); r != nil {
				st.refuse(r)
				return
			}
			st.held.retryDeletes(batch)
			st.src.log.Warn().Err(err).Int("messages", len(batch)).Msg("deleting committed messages failed; retrying")
			if retry.Sleep(ctx, bo.Next()) != nil {
				return
			}
			continue
		}
		if retried > 0 {
			// Entries the server failed are tried again after a pause, so
			// that a burst of failures does not use up their attempts.
			if retry.Sleep(ctx, bo.Next()) != nil {
				return
			}
			continue
		}
		bo.Reset()
	}
}

// deleteBatch deletes up to batchSize messages. An entry that failed on
// the server's side is queued again (retried counts them); one the queue
// refuses (a stale or invalid handle) is given up: the message comes back
// and is dropped.
func (st *stream) deleteBatch(ctx context.Context, batch []pendingDelete) (retried int, err error) {
	entries := make([]types.DeleteMessageBatchRequestEntry, len(batch))
	for i, d := range batch {
		entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(d.handle)}
	}
	ctx, cancel := context.WithTimeout(ctx, st.src.callTimeout)
	defer cancel()
	res, err := st.src.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(st.src.queueURL), Entries: entries})
	if err != nil {
		return 0, err
	}
	st.src.metrics.deleted.Add(float64(len(res.Successful)))
	var again []pendingDelete
	for _, e := range res.Failed {
		i, convErr := strconv.Atoi(aws.ToString(e.Id))
		if convErr != nil || i >= len(batch) {
			continue
		}
		d := batch[i]
		d.attempts++
		if !e.SenderFault && d.attempts < maxDeleteAttempts {
			again = append(again, d)
			continue
		}
		st.src.metrics.deleteFailures.Inc()
		st.src.log.Warn().Str("code", aws.ToString(e.Code)).Str("reason", aws.ToString(e.Message)).Int("attempts", d.attempts).
			Msg("a committed message could not be deleted; it comes back after its visibility timeout and is dropped as a duplicate")
	}
	st.held.retryDeletes(again)
	return len(again), nil
}

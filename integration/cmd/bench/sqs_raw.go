package main

// The sqs mode's raw side: a child process (this binary, sqsChildArg) with
// SQS_RECEIVERS goroutines, each receiving up to 10 messages and deleting
// them in one DeleteMessageBatch, until the queue is empty: the least a
// consumer that deletes what it reads can do.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// sqsChildArg, as the first argument, makes this binary the raw loop.
const sqsChildArg = "-bench-sqs-child"

// sqsChildParams is what the raw loop is told, as JSON.
type sqsChildParams struct {
	Endpoint, QueueURL string
	Receivers          int
	MaxMessages        int
	WaitSeconds        int
	Messages           int
	Timeout            time.Duration
}

// sqsChildResult is what the raw loop prints, as JSON.
type sqsChildResult struct {
	Received, Deleted int
	Empty             int // receives that returned no message
	HWMKiB            int64
	CPU               time.Duration
}

// runRawSQS runs the raw loop on a filled queue and times the drain.
func (b *sqsBench) runRawSQS(ctx context.Context, q benchQueue) sqsResult {
	o := b.opts
	self, err := os.Executable()
	if err != nil {
		return sqsResult{err: err}
	}
	arg, _ := json.Marshal(sqsChildParams{Endpoint: b.target.endpoint, QueueURL: q.url, Receivers: o.receivers,
		MaxMessages: o.maxMessages, WaitSeconds: o.waitSeconds, Messages: o.messages, Timeout: o.timeout})
	cmd := exec.Command(self, sqsChildArg, string(arg))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	pr, err := b.kids.start(cmd)
	if err != nil {
		return sqsResult{err: err}
	}
	clock, err := b.target.watch(ctx, q.name, q.url, o.messages, o.poll, func() error {
		if pr.exited() {
			return fmt.Errorf("the raw loop exited before the queue was empty: %v\n%s", pr.err, tail(stderr.String(), 10))
		}
		return nil
	})
	if err != nil {
		pr.kill()
		return sqsResult{err: err}
	}
	if err := pr.wait(30*time.Second, ctx.Done()); err != nil {
		return sqsResult{err: fmt.Errorf("raw loop: %v\n%s", err, tail(stderr.String(), 10))}
	}
	var cr sqsChildResult
	if err := json.Unmarshal(stdout.Bytes(), &cr); err != nil {
		return sqsResult{err: fmt.Errorf("raw loop: reading its result %q: %w", stdout.String(), err)}
	}
	res := newSQSResult(o.messages, clock)
	res.hwmKiB, res.cpu = cr.HWMKiB, cr.CPU
	res.note = fmt.Sprintf("received %d, deleted %d, %d empty receives; %d polls", cr.Received, cr.Deleted, cr.Empty, clock.polls)
	// A server may deliver a message twice (moto does, to concurrent
	// receives); each delivery is deleted.
	if cr.Deleted < o.messages {
		res.err = fmt.Errorf("the raw loop deleted %d messages, want %d", cr.Deleted, o.messages)
	}
	return res
}

// sqsChildMain runs the raw loop: args[0] is its sqsChildParams.
func sqsChildMain(args []string) int {
	var p sqsChildParams
	if len(args) != 1 || json.Unmarshal([]byte(args[0]), &p) != nil {
		fmt.Fprintln(os.Stderr, "bench sqs child: want one JSON argument")
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.Timeout)
	defer cancel()
	res, err := rawLoop(ctx, p)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench sqs child:", err)
		return 1
	}
	res.HWMKiB, _, _ = memStatus("self")
	res.CPU = selfCPU()
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
	return 0
}

// rawLoop receives and deletes with p.Receivers goroutines until
// p.Messages are deleted.
func rawLoop(ctx context.Context, p sqsChildParams) (sqsChildResult, error) {
	c := sqsClient(p.Endpoint, p.Receivers)
	var received, deleted, empty atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, p.Receivers)
	in := &sqs.ReceiveMessageInput{QueueUrl: aws.String(p.QueueURL), MaxNumberOfMessages: int32(p.MaxMessages),
		WaitTimeSeconds: int32(p.WaitSeconds)}
	for range p.Receivers {
		wg.Go(func() {
			for deleted.Load() < int64(p.Messages) {
				out, err := c.ReceiveMessage(ctx, in)
				if err != nil {
					errs <- fmt.Errorf("ReceiveMessage: %w", err)
					return
				}
				if len(out.Messages) == 0 {
					empty.Add(1)
					continue
				}
				received.Add(int64(len(out.Messages)))
				es := make([]types.DeleteMessageBatchRequestEntry, len(out.Messages))
				for i, m := range out.Messages {
					es[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
				}
				del, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(p.QueueURL), Entries: es})
				if err != nil {
					errs <- fmt.Errorf("DeleteMessageBatch: %w", err)
					return
				}
				if len(del.Failed) > 0 {
					errs <- fmt.Errorf("DeleteMessageBatch: %d entries failed", len(del.Failed))
					return
				}
				deleted.Add(int64(len(del.Successful)))
			}
		})
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return sqsChildResult{Received: int(received.Load()), Deleted: int(deleted.Load()), Empty: int(empty.Load())}, errors.Join(all...)
}

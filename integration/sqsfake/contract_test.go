package sqsfake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// The contract: scenarios that hold on moto_server (and, as far as its
// documentation says, on SQS) must hold on the stand-in too. They use real
// time only where a visibility timeout of 0 makes it irrelevant, and long
// polls of 1 s that assert only on what came back.

type contractTarget struct {
	client *sqs.Client
	seq    *atomic.Int64
}

// queue creates a fresh queue, so that scenarios sharing a moto_server do
// not see each other's messages.
func (ct contractTarget) queue(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("contract-%d-%d", time.Now().UnixNano(), ct.seq.Add(1))
	out, err := ct.client.CreateQueue(context.Background(), &sqs.CreateQueueInput{QueueName: &name,
		Attributes: map[string]string{"VisibilityTimeout": "30"}})
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	return *out.QueueUrl
}

var contractScenarios = []struct {
	name string
	run  func(t *testing.T, ct contractTarget)
}{
	{"send, receive, delete", scenarioSendReceiveDelete},
	{"visibility 0 redelivers with a new handle", scenarioRedeliver},
	{"visibility change to 0 releases a message", scenarioChangeVisibility},
	{"stale handle: delete accepted", scenarioStaleDelete},
	{"errors", scenarioErrors},
	{"empty long poll", scenarioEmptyLongPoll},
}

func TestContractStandIn(t *testing.T) {
	hs := startHTTP(t, New(Options{}))
	runContract(t, hs.URL)
}

// TestContractMoto runs the scenarios against moto_server: SQS_TEST_ENDPOINT
// if set, else a moto_server found on PATH, started on a free port.
func TestContractMoto(t *testing.T) {
	endpoint := os.Getenv("SQS_TEST_ENDPOINT")
	if endpoint == "" {
		endpoint = startMoto(t)
	}
	runContract(t, endpoint)
}

func runContract(t *testing.T, endpoint string) {
	ct := contractTarget{client: newClient(t, endpoint, false), seq: new(atomic.Int64)}
	for _, sc := range contractScenarios {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, ct) })
	}
}

func startMoto(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		t.Skip("moto_server not found and SQS_TEST_ENDPOINT not set: skipping the contract run against moto " +
			"(pip install 'moto[server]', or let .ci/run start it)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start moto_server: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { cancel(); <-exited })
	endpoint := "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return endpoint
		}
		select {
		case werr := <-exited:
			exited <- werr // for the cleanup
			// a PATH entry that is not a working moto (a pyenv shim of another
			// Python, say) counts as no moto
			t.Skipf("moto_server (%s) exited before answering (%v): skipping the contract run against moto; output: %s", bin, werr, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server on %s did not answer within 60 s: %v", endpoint, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func receiveAll(t *testing.T, c *sqs.Client, url string, vis int32) []types.Message {
	t.Helper()
	out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10,
		VisibilityTimeout: vis, MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	return out.Messages
}

func scenarioSendReceiveDelete(t *testing.T, ct contractTarget) {
	ctx := context.Background()
	url := ct.queue(t)
	var sent []types.SendMessageBatchRequestEntry
	for i := range 3 {
		sent = append(sent, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(`{"i":` + strconv.Itoa(i) + `}`)})
	}
	if out, err := ct.client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: sent}); err != nil || len(out.Successful) != 3 {
		t.Fatalf("SendMessageBatch: %v", err)
	}
	got := receiveAll(t, ct.client, url, 30)
	if len(got) != 3 {
		t.Fatalf("received %d, want 3", len(got))
	}
	for _, m := range got {
		if m.Attributes["ApproximateReceiveCount"] != "1" || m.Attributes["SentTimestamp"] == "" {
			t.Errorf("attributes %v: want ApproximateReceiveCount 1 and a SentTimestamp", m.Attributes)
		}
	}
	if n := len(receiveAll(t, ct.client, url, 30)); n != 0 {
		t.Fatalf("received %d while all are in flight", n)
	}
	attrs, err := ct.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []types.QueueAttributeName{
		types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil || attrs.Attributes["ApproximateNumberOfMessages"] != "0" || attrs.Attributes["ApproximateNumberOfMessagesNotVisible"] != "3" {
		t.Fatalf("GetQueueAttributes: %v %v", err, attrs)
	}
	out, err := ct.client.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: entries(got)})
	if err != nil || len(out.Successful) != 3 || len(out.Failed) != 0 {
		t.Fatalf("DeleteMessageBatch: %v %+v", err, out)
	}
}

// queueOfOne is a new queue holding one message, "m".
func queueOfOne(t *testing.T, ct contractTarget) string {
	t.Helper()
	url := ct.queue(t)
	if _, err := ct.client.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String("m")}); err != nil {
		t.Fatal(err)
	}
	return url
}

func scenarioRedeliver(t *testing.T, ct contractTarget) {
	url := queueOfOne(t, ct)
	first := receiveAll(t, ct.client, url, 30)
	release(t, ct, url, first)
	second := receiveAll(t, ct.client, url, 30)
	if len(first) != 1 || len(second) != 1 || *first[0].MessageId != *second[0].MessageId {
		t.Fatalf("got %d then %d, want the same message twice", len(first), len(second))
	}
	if *first[0].ReceiptHandle == *second[0].ReceiptHandle || second[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("redelivery: handle reused or count %s", second[0].Attributes["ApproximateReceiveCount"])
	}
}

// release makes ms visible at once. (A receive's VisibilityTimeout of 0
// cannot be sent: the SDK leaves a zero int32 out, and the queue's applies.)
func release(t *testing.T, ct contractTarget, url string, ms []types.Message) {
	t.Helper()
	for _, m := range ms {
		if _, err := ct.client.ChangeMessageVisibility(context.Background(), &sqs.ChangeMessageVisibilityInput{
			QueueUrl: &url, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}); err != nil {
			t.Fatalf("ChangeMessageVisibility 0: %v", err)
		}
	}
}

func scenarioChangeVisibility(t *testing.T, ct contractTarget) {
	url := queueOfOne(t, ct)
	m := receiveAll(t, ct.client, url, 30)[0]
	out, err := ct.client.ChangeMessageVisibilityBatch(context.Background(), &sqs.ChangeMessageVisibilityBatchInput{QueueUrl: &url,
		Entries: []types.ChangeMessageVisibilityBatchRequestEntry{{Id: aws.String("0"), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0}}})
	if err != nil || len(out.Successful) != 1 {
		t.Fatalf("ChangeMessageVisibilityBatch: %v %+v", err, out)
	}
	if n := len(receiveAll(t, ct.client, url, 30)); n != 1 {
		t.Fatalf("received %d after visibility 0, want 1", n)
	}
}

func scenarioStaleDelete(t *testing.T, ct contractTarget) {
	url := queueOfOne(t, ct)
	old := receiveAll(t, ct.client, url, 30)
	release(t, ct, url, old)
	if n := len(receiveAll(t, ct.client, url, 30)); n != 1 {
		t.Fatalf("re-receive got %d", n)
	}
	// Only the answer is shared: moto 5.2 deletes the message with the old
	// handle, the stand-in deletes nothing, and SQS "might not" delete it.
	if _, err := ct.client.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: old[0].ReceiptHandle}); err != nil {
		t.Fatalf("DeleteMessage with a superseded handle: %v, want success", err)
	}
}

func scenarioErrors(t *testing.T, ct contractTarget) {
	ctx := context.Background()
	url := ct.queue(t)
	code := func(err error) string {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return ae.ErrorCode()
		}
		return fmt.Sprintf("no API error: %v", err)
	}
	_, err := ct.client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("no-such-queue-here")})
	var qdne *types.QueueDoesNotExist
	if !errors.As(err, &qdne) || code(err) != "AWS.SimpleQueueService.NonExistentQueue" {
		t.Errorf("unknown queue: %v (%s)", err, code(err))
	}
	_, err = ct.client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: aws.String("forged")})
	if code(err) != "ReceiptHandleIsInvalid" {
		t.Errorf("forged handle: %v (%s)", err, code(err))
	}
	_, err = ct.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url,
		AttributeNames: []types.QueueAttributeName{"ApproximateAgeOfOldestMessage"}})
	if code(err) != "InvalidAttributeName" {
		t.Errorf("ApproximateAgeOfOldestMessage: %v (%s)", err, code(err))
	}
	// (SQS refuses a batch of 11 with TooManyEntriesInBatchRequest; moto 5.2
	// accepts it, so that case is held by the stand-in's own tests only.)
	_, err = ct.client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 11})
	if code(err) != "InvalidParameterValue" {
		t.Errorf("MaxNumberOfMessages 11: %v (%s)", err, code(err))
	}
}

func scenarioEmptyLongPoll(t *testing.T, ct contractTarget) {
	url := ct.queue(t)
	out, err := ct.client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &url, WaitTimeSeconds: 1})
	if err != nil || len(out.Messages) != 0 {
		t.Fatalf("empty long poll: %v, %d messages", err, len(out.Messages))
	}
}

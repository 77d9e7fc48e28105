package sqsfake

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// A queue created and filled in-process is what an SDK client sees.
func TestInProcessCreateAndSend(t *testing.T) {
	srv := New(Options{})
	hs := startHTTP(t, srv)
	if err := srv.CreateQueue("genesys", map[string]string{"VisibilityTimeout": "60"}); err != nil {
		t.Fatal(err)
	}
	if err := srv.CreateQueue("genesys", nil); err == nil {
		t.Fatal("creating a queue twice in-process succeeded")
	}
	if err := srv.CreateQueue("bad name", nil); err == nil {
		t.Fatal("a queue name with a space was accepted")
	}
	id, err := srv.Send("genesys", `{"detail":{}}`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Send("nope", "x"); err == nil {
		t.Fatal("Send to a missing queue succeeded")
	}
	c := newClient(t, hs.URL, true)
	url := srv.QueueURL(hs.URL, "genesys")
	got, err := c.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String("genesys")})
	if err != nil || *got.QueueUrl != url {
		t.Fatalf("GetQueueUrl %v %v, want %s", got, err, url)
	}
	out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: &url})
	if err != nil || len(out.Messages) != 1 || *out.Messages[0].MessageId != id {
		t.Fatalf("receive: %v %+v", err, out)
	}
	_, err = c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(srv.QueueURL(hs.URL, "nope")), MessageBody: aws.String("x")})
	var qdne *types.QueueDoesNotExist
	if !errors.As(err, &qdne) {
		t.Fatalf("send to a missing queue: %v", err)
	}
}

package sqs

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// ErrRefused wraps every failure retrying cannot fix: access denied, a
// queue that does not exist, a region or endpoint that cannot serve it. The
// bridge stops with its one line.
var ErrRefused = errors.New("SQS refused")

// actionOf is the IAM action an operation of the source needs.
func actionOf(op string) string {
	switch op {
	case "DeleteMessageBatch":
		return "sqs:DeleteMessage"
	case "ChangeMessageVisibilityBatch":
		return "sqs:ChangeMessageVisibility"
	}
	return "sqs:" + op
}

// classify returns err as a refusal (wrapping ErrRefused, worded for the
// operator) when retrying cannot help, else nil: throttling, server
// errors, timeouts and broken connections are retried.
func classify(err error, s settings) error {
	op := "SQS"
	var opErr *smithy.OperationError
	if errors.As(err, &opErr) {
		op = opErr.OperationName
	}
	var missing *types.QueueDoesNotExist
	if errors.As(err, &missing) {
		return refused(err, queueMissing(s))
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		code := api.ErrorCode()
		switch {
		case code == "AWS.SimpleQueueService.NonExistentQueue" || code == "QueueDoesNotExist":
			return refused(err, queueMissing(s))
		case strings.HasPrefix(code, "KMS.") || strings.HasPrefix(code, "Kms"):
			return refused(err, fmt.Sprintf("the queue is encrypted with a KMS key this identity cannot use (%s): grant kms:Decrypt on the queue's key", code))
		case code == "AccessDenied" || code == "AccessDeniedException":
			return refused(err, fmt.Sprintf("access denied to %s on %s: grant %s (the bridge needs sqs:ReceiveMessage, sqs:DeleteMessage, sqs:ChangeMessageVisibility and sqs:GetQueueAttributes)", op, s.queueURL, actionOf(op)))
		case code == "InvalidClientTokenId" || code == "UnrecognizedClientException" || code == "SignatureDoesNotMatch" ||
			code == "InvalidSecurity" || code == "MissingAuthenticationToken":
			return refused(err, fmt.Sprintf("AWS rejected the credentials (%s): check the identity the SDK's default chain found (AWS_PROFILE, AWS_ACCESS_KEY_ID, the web identity token) and that it belongs to the queue's partition", code))
		case code == "InvalidAddress" || code == "InvalidParameterValue" && op == "ReceiveMessage":
			return refused(err, fmt.Sprintf("%s cannot serve the queue %s (%s): AWS_REGION is %q; a queue is served only by its own region's endpoint", s.endpointName(), s.queueURL, code, s.region))
		}
		return nil
	}
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.IsNotFound {
		return refused(err, fmt.Sprintf("the SQS endpoint host %s does not exist: check AWS_REGION (%q) and SQS_ENDPOINT_URL", dns.Name, s.region))
	}
	return nil
}

func queueMissing(s settings) string {
	msg := fmt.Sprintf("the queue %s does not exist", s.queueURL)
	if urlRegion := s.queueRegion; urlRegion != "" && urlRegion != s.region {
		return msg + fmt.Sprintf(" in region %s: the URL names region %s but AWS_REGION is %s", s.region, urlRegion, s.region)
	}
	return msg + " (check SQS_QUEUE_URL: account, name and region)"
}

func refused(err error, why string) error {
	return fmt.Errorf("%w: %s: %w", ErrRefused, why, err)
}

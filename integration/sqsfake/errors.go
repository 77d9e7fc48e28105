package sqsfake

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// apiError is an error response of the JSON protocol. typ is the __type
// (a shape id), code the legacy query code carried in x-amzn-query-error,
// which the SDK (SQS is awsQueryCompatible) returns from ErrorCode().
type apiError struct {
	status  int
	typ     string
	code    string
	sender  bool
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

// ErrorKind names a whole-call failure a test can inject (see FailNext).
type ErrorKind int

// The injectable failures. Status codes and codes follow the SQS model
// (RequestThrottled 403) and the AWS common errors (ThrottlingException 400,
// InternalFailure 500, ServiceUnavailable 503, AccessDenied). The SDK's
// default retryer retries the first four; AccessDenied is final.
const (
	InternalFailure ErrorKind = iota
	ServiceUnavailable
	ThrottlingException
	RequestThrottled
	AccessDenied
)

func (k ErrorKind) String() string {
	switch k {
	case InternalFailure:
		return "InternalFailure"
	case ServiceUnavailable:
		return "ServiceUnavailable"
	case ThrottlingException:
		return "ThrottlingException"
	case RequestThrottled:
		return "RequestThrottled"
	case AccessDenied:
		return "AccessDenied"
	}
	return fmt.Sprintf("ErrorKind(%d)", int(k))
}

// injected builds the response of an injected failure.
func (k ErrorKind) injected() *apiError {
	switch k {
	case ServiceUnavailable:
		return &apiError{http.StatusServiceUnavailable, "ServiceUnavailable", "ServiceUnavailable", false,
			"injected fault: service unavailable"}
	case ThrottlingException:
		return &apiError{http.StatusBadRequest, "ThrottlingException", "ThrottlingException", true,
			"Rate exceeded"}
	case RequestThrottled:
		return &apiError{http.StatusForbidden, "com.amazonaws.sqs#RequestThrottled", "RequestThrottled", true,
			"injected fault: request throttled"}
	case AccessDenied:
		// SQS's own wording, as seen from SDKs: it does not name the IAM
		// action, so a consumer has to (from the operation that failed).
		return &apiError{http.StatusForbidden, "com.amazon.coral.service#AccessDeniedException", "AccessDenied", true,
			"Access to the resource https://sqs.us-east-1.amazonaws.com/ is denied."}
	default:
		return &apiError{http.StatusInternalServerError, "InternalFailure", "InternalFailure", false,
			"injected fault: internal failure"}
	}
}

// refusal is a request refused as the sender's fault (400): shape is the
// SQS model's error shape, code its legacy query code.
func refusal(shape, code, msg string) *apiError {
	return &apiError{http.StatusBadRequest, "com.amazonaws.sqs#" + shape, code, true, msg}
}

// coralRefusal is a 400 of the AWS service framework (coral), before SQS
// reads the request; its code is its shape.
func coralRefusal(shape, msg string) *apiError {
	return &apiError{http.StatusBadRequest, "com.amazon.coral.service#" + shape, shape, true, msg}
}

func errQueueDoesNotExist() *apiError {
	return refusal("QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
}

func errQueueNameExists(name string) *apiError {
	return refusal("QueueNameExists", "QueueAlreadyExists",
		fmt.Sprintf("A queue already exists with the same name and a different value for attribute(s) of %s", name))
}

func errReceiptHandleIsInvalid(h string) *apiError {
	return &apiError{http.StatusNotFound, "com.amazonaws.sqs#ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", true,
		fmt.Sprintf("The input receipt handle %q is not a valid receipt handle.", h)}
}

// errInvalidParameterValue is not a modelled shape; the SDK sees a generic
// API error whose code comes from the query header.
func errInvalidParameterValue(msg string) *apiError {
	return refusal("InvalidParameterValue", "InvalidParameterValue", msg)
}

func errNotInFlight(h string) *apiError {
	return errInvalidParameterValue(fmt.Sprintf("Value %s for parameter ReceiptHandle is invalid. "+
		"Reason: Message does not exist or is not available for visibility timeout change.", h))
}

func errInvalidAttributeName(name string) *apiError {
	return refusal("InvalidAttributeName", "InvalidAttributeName", fmt.Sprintf("Unknown Attribute %s.", name))
}

func errEmptyBatch() *apiError {
	return refusal("EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest",
		"There should be at least one entry in the request.")
}

func errTooManyEntries(n int) *apiError {
	return refusal("TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
		fmt.Sprintf("Maximum number of entries per request are 10. You have sent %d.", n))
}

func errIdsNotDistinct(id string) *apiError {
	return refusal("BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
		fmt.Sprintf("Id %s repeated.", id))
}

func errPurgeInProgress(name string) *apiError {
	return refusal("PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress",
		fmt.Sprintf("Only one PurgeQueue operation on %s is allowed every 60 seconds.", name))
}

func errUnknownOperation(target string) *apiError {
	return coralRefusal("UnknownOperationException", "Unknown operation "+target)
}

func errSerialization(err error) *apiError {
	return coralRefusal("SerializationException", err.Error())
}

// writeError writes e as SQS does in the JSON protocol.
func writeError(w http.ResponseWriter, reqID string, e *apiError) {
	fault := "Receiver"
	if e.sender {
		fault = "Sender"
	}
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("x-amzn-RequestId", reqID)
	h.Set("x-amzn-query-error", e.code+";"+fault)
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": e.typ, "message": e.message})
}

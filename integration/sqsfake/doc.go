// Package sqsfake is an in-repo stand-in for Amazon SQS (standard queues)
// that speaks the AWS JSON 1.0 protocol the AWS SDK for Go v2 uses:
// POST / with X-Amz-Target: AmazonSQS.<Operation> and a JSON body.
//
// It exists for the faults a real SQS or moto cannot produce on demand:
// redelivery after the visibility timeout on a compressible clock, duplicate
// delivery, reordering, 500s and throttling, failing DeleteMessageBatch calls
// and entries, stale receipt handles. The contract test holds it to moto's
// behaviour on the scenarios both can run.
//
// Semantics it keeps, from the SQS API reference:
//   - a received message is hidden for its visibility timeout and comes back
//     when the timeout lapses; ApproximateReceiveCount counts receives;
//   - every receive issues a new receipt handle. DeleteMessage with an older
//     handle of a message received again since succeeds and deletes nothing
//     ("If you use an old ReceiptHandle, the request will succeed, but the
//     message might not be deleted"); here it never deletes. A handle that was
//     never issued fails with ReceiptHandleIsInvalid (HTTP 404);
//   - ChangeMessageVisibility with a handle that is no longer the message's
//     latest, or of a deleted message, fails with InvalidParameterValue
//     ("Message does not exist or is not available for visibility timeout
//     change"); with the latest handle of a message whose timeout already
//     lapsed it succeeds and changes nothing;
//   - errors are JSON {"__type": "com.amazonaws.sqs#<Shape>", "message": ...}
//     with the awsQueryCompatible header x-amzn-query-error: <code>;<Sender|
//     Receiver>, so the SDK's ErrorCode() is the legacy query code (for
//     example AWS.SimpleQueueService.NonExistentQueue for QueueDoesNotExist).
//
// moto 5.2 is laxer with superseded handles: it deletes with one and changes
// visibility with one. The stand-in takes the case that is harder on a
// consumer (the message stays and comes back); the contract test holds only
// what both share. moto also accepts a batch of more than 10 entries.
//
// What it leaves out: FIFO queues, message attributes, dead-letter redrive,
// retention sweeps beyond a check at receive time, policies, tags, and
// authentication (any signature is accepted). ApproximateAgeOfOldestMessage
// is a CloudWatch metric, not a queue attribute: GetQueueAttributes refuses
// it with InvalidAttributeName, as SQS does.
package sqsfake

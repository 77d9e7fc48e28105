// Package eventbridge generates Genesys Cloud analytics detail events as
// they land in Amazon SQS through the Genesys EventBridge integration: one
// EventBridge event per message body,
//
//	{"version":"0","id":<uuid>,"detail-type":"v2.detail.events.conversation.{id}.customer.start",
//	 "source":"aws.partner/genesys.com/cloud/<orgId>/<suffix>","account":<12 digits>,
//	 "time":<RFC 3339, seconds>,"region":<region>,"resources":[],
//	 "detail":{"topicName":"v2.detail.events.conversation.<conversationId>.customer.start",
//	           "version":"2","eventBody":{...},"metadata":{"CorrelationId":<uuid>},
//	           "timestamp":<RFC 3339, ms>}}
//
// detail-type carries the topic pattern with a literal {id}; the topic name
// carries the conversation id. Event bodies use the fields of the Genesys
// platform SDK models (platformclientv2 CustomerStartDetailEventTopicCustomerStartEvent,
// AcdStartDetailEventTopicAcdStartEvent, AcdEndDetailEventTopicAcdEndEvent,
// UserStartDetailEventTopicUserStartEvent, UserEndDetailEventTopicUserEndEvent,
// AcwDetailEventTopicAfterCallWorkEvent, CustomerEndDetailEventTopicCustomerEndEvent),
// with eventTime in epoch milliseconds and no event id, as Genesys sends them.
//
// Conversations are inbound voice calls through a queue, answered by an
// agent (customer.start, acd.start, acd.end, user.start, user.end,
// customer.end, acw) or abandoned in queue (customer.start, acd.start,
// acd.end with acdOutcome ABANDON, customer.end). A resend, as Genesys
// retrying a put, is a new EventBridge event (new id, later time) around the
// same detail bytes.
//
// Generator.Call also returns a call's ids and times (Call), for other views
// of the same conversation: the Genesys stand-in (integration/genesys)
// builds its queue snapshots and analytics details from them, with the
// calls going through its queues (Options.Queues).
//
// The Ledger holds the distinct (topicName, eventBody) pairs generated, the
// unit of exactly-once: a test counts what a read_committed reader found
// against it.
//
// Everything is derived from Options.Seed: the same seed gives the same bytes.
package eventbridge

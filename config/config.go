// Package config owns the bridge's settings: it reads them from environment
// variables (and only from there; for AWS_MSK_IAM, the region the AWS SDK
// resolves from its own variables and files), fills defaults, validates
// every one of them and reports all problems at once, naming the variable.
// Nothing here knows how a setting is used.
package config

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"reflect"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kelseyhightower/envconfig"
)

// StartNow is the START_SINCE value that starts a bridge without a checkpoint
// at the current time.
const StartNow = "now"

// TransactionalIDPrefix precedes BRIDGE_NAME in the transactional id (grant
// it with a prefixed ACL).
const TransactionalIDPrefix = "analytics-bridge.txn."

// StaleSince is ON_STALE_SINCE: what to do when the upstream can no longer
// serve the checkpoint's time.
type StaleSince string

// Values of ON_STALE_SINCE.
const (
	// StaleSinceFail stops the bridge when the upstream can no longer serve
	// the checkpoint's time: an operator decides what to do about the gap.
	StaleSinceFail StaleSince = "fail"
	// StaleSinceResumeNow accepts the gap, records a gap marker in the topic
	// and continues from the current time.
	StaleSinceResumeNow StaleSince = "resume-now"
)

// Compression is KAFKA_COMPRESSION, the record batch codec.
type Compression string

// Values of KAFKA_COMPRESSION.
const (
	CompressionNone   Compression = "none"
	CompressionGzip   Compression = "gzip"
	CompressionSnappy Compression = "snappy"
	CompressionLz4    Compression = "lz4"
	CompressionZstd   Compression = "zstd"
)

// LogFormat is LOG_FORMAT.
type LogFormat string

// Values of LOG_FORMAT.
const (
	LogJSON    LogFormat = "json"
	LogConsole LogFormat = "console"
)

// Env is the environment contract: one field per variable, every value a
// string so that a bad value is reported by Load with the variable's name
// (envconfig stops at the first parse error; we want them all).
type Env struct {
	Source             string `envconfig:"SOURCE" default:"websocket" group:"common" type:"enum" range:"websocket, sqs, notifications" applies:"all" desc:"the upstream: websocket (the analytics events WebSocket with its since replay), sqs (an Amazon SQS queue fed by EventBridge: Genesys Cloud's EventBridge integration) or notifications (Genesys Cloud's Notifications WebSocket, every gap back-filled from the analytics API)"`
	AnalyticsURL       string `envconfig:"ANALYTICS_URL" group:"common" type:"url" range:"ws://, wss://" applies:"websocket source" defaultdoc:"(required with SOURCE=websocket)" desc:"upstream WebSocket URL (ws:// or wss://), e.g. wss://api.example.com/api/v2/analytics/events"`
	AnalyticsToken     string `envconfig:"ANALYTICS_TOKEN" group:"common" type:"secret" applies:"websocket source, static token" desc:"static bearer token (secret; never logged)"`
	AnalyticsTokenFile string `envconfig:"ANALYTICS_TOKEN_FILE" group:"common" type:"file" applies:"websocket source, token file" desc:"file holding the bearer token, re-read before every connection attempt"`
	OAuthTokenURL      string `envconfig:"OAUTH_TOKEN_URL" group:"common" type:"url" range:"http://, https://" applies:"websocket source, OAuth2 token" desc:"OAuth2 client-credentials token endpoint (http:// or https://); not with SOURCE=notifications, whose endpoint is GENESYS_LOGIN_URL/oauth/token"`
	OAuthClientID      string `envconfig:"OAUTH_CLIENT_ID" group:"common" type:"string" applies:"websocket source, OAuth2 token; notifications source" desc:"OAuth2 client id"`
	OAuthClientSecret  string `envconfig:"OAUTH_CLIENT_SECRET" group:"common" type:"secret" applies:"websocket source, OAuth2 token; notifications source" desc:"OAuth2 client secret (secret; never logged)"`
	OAuthSecretFile    string `envconfig:"OAUTH_CLIENT_SECRET_FILE" group:"common" type:"file" applies:"websocket source, OAuth2 token; notifications source" desc:"file holding the OAuth2 client secret instead of OAUTH_CLIENT_SECRET (a mounted Secret), re-read before each new token"`
	OAuthScopes        string `envconfig:"OAUTH_SCOPES" group:"advanced" type:"list" applies:"websocket source, OAuth2 token" desc:"comma-separated OAuth2 scopes (optional)"`

	KafkaBrokers         string `envconfig:"KAFKA_BROKERS" group:"common" type:"host:port list" applies:"all" defaultdoc:"(required)" desc:"comma-separated host:port list of Kafka bootstrap brokers"`
	KafkaTopic           string `envconfig:"KAFKA_TOPIC" default:"analytics.events" group:"common" type:"topic" applies:"all" desc:"topic receiving one record per event"`
	KafkaDLQTopic        string `envconfig:"KAFKA_DLQ_TOPIC" group:"common" type:"topic" applies:"all" defaultdoc:"<KAFKA_TOPIC>.dlq" desc:"dead-letter topic for frames and events that cannot be delivered as events (default <KAFKA_TOPIC>.dlq)"`
	CheckpointTopic      string `envconfig:"CHECKPOINT_TOPIC" default:"analytics-bridge.checkpoints" group:"common" type:"topic" applies:"all" desc:"compacted topic holding one resume position per BRIDGE_NAME"`
	BridgeName           string `envconfig:"BRIDGE_NAME" default:"analytics-bridge" group:"common" type:"string" applies:"all" desc:"this bridge's identity: checkpoint key, lease name, transactional id and bridge-name header"`
	BridgeInstanceID     string `envconfig:"BRIDGE_INSTANCE_ID" group:"common" type:"string" applies:"all" defaultdoc:"the host name" desc:"this instance among those sharing BRIDGE_NAME (default: the host name); a restart with the same id takes over at once, another instance waits LEASE_SESSION_TIMEOUT"`
	KafkaCreateTopics    string `envconfig:"KAFKA_CREATE_TOPICS" default:"true" group:"common" type:"bool" range:"true, false" applies:"all" desc:"create missing topics at start"`
	KafkaTopicPartitions string `envconfig:"KAFKA_TOPIC_PARTITIONS" default:"3" group:"common" type:"int" range:"1..100000" applies:"KAFKA_CREATE_TOPICS=true" desc:"partitions of the event and dead-letter topics when the bridge creates them"`
	KafkaReplication     string `envconfig:"KAFKA_REPLICATION_FACTOR" default:"-1" group:"common" type:"int" range:"-1, 1..32767" applies:"KAFKA_CREATE_TOPICS=true" desc:"replication factor of topics the bridge creates (-1: the broker's default.replication.factor)"`
	KafkaCompression     string `envconfig:"KAFKA_COMPRESSION" default:"lz4" group:"advanced" type:"enum" range:"none, gzip, snappy, lz4, zstd" applies:"all" desc:"record batch compression: none, gzip, snappy, lz4 or zstd"`
	KafkaBatchSize       string `envconfig:"KAFKA_BATCH_SIZE" default:"1000" group:"advanced" type:"int" range:"1..1000000" applies:"all" desc:"most records in one produce request per partition"`
	KafkaBatchBytes      string `envconfig:"KAFKA_BATCH_BYTES" default:"1048576" group:"advanced" type:"bytes" range:"1024..1073741824" applies:"all" desc:"most value bytes in one produce request per partition"`
	KafkaLinger          string `envconfig:"KAFKA_LINGER" default:"5ms" group:"advanced" type:"duration" range:">= 0s" applies:"all" desc:"how long, from its first record's arrival, a partial batch waits for more while records pile up behind a request in flight (a backlog); a partition with no request in flight sends at once"`
	KafkaMaxInFlight     string `envconfig:"KAFKA_MAX_IN_FLIGHT" default:"20000" group:"advanced" type:"int" range:"1..10000000" applies:"all" desc:"most events read from the upstream but not yet acknowledged by Kafka; reading pauses at this bound"`
	KafkaMaxInFlightB    string `envconfig:"KAFKA_MAX_IN_FLIGHT_BYTES" default:"16777216" group:"advanced" type:"bytes" range:"65536..17179869184" applies:"all" desc:"most bytes (keys, values, headers) of records read but not yet acknowledged; reading pauses at this bound, so memory is about this much plus a constant"`
	GoMemLimit           string `envconfig:"GOMEMLIMIT" group:"advanced" type:"bytes with unit" applies:"all" defaultdoc:"2 × KAFKA_MAX_IN_FLIGHT_BYTES + 16 MiB (+ 22.3 B × DEDUP_MAX_KEYS with SOURCE=sqs)" desc:"the Go runtime's soft memory limit, read by the runtime itself (e.g. 100MiB); unset: 2 x KAFKA_MAX_IN_FLIGHT_BYTES + 16 MiB, plus the dedup window's table with SOURCE=sqs (22.3 bytes x DEDUP_MAX_KEYS)"`
	KafkaWriteTimeout    string `envconfig:"KAFKA_WRITE_TIMEOUT" default:"10s" group:"advanced" type:"duration" range:">= 1ms" applies:"all" desc:"how long a batch without a definite answer is resent (same bytes, same sequence) before the epoch ends; also bounds transaction control requests"`
	KafkaClientID        string `envconfig:"KAFKA_CLIENT_ID" default:"analytics-bridge" group:"advanced" type:"string" applies:"all" desc:"client id sent to the brokers"`
	KafkaTransactions    string `envconfig:"KAFKA_TRANSACTIONS" default:"true" group:"common" type:"bool" range:"true, false" applies:"all" desc:"write each commit interval's records and checkpoint in one Kafka transaction (transactional id analytics-bridge.txn.<BRIDGE_NAME>); false: idempotent writes and dedup keys only, for clusters that allow no transactional ids"`
	KafkaCommitInterval  string `envconfig:"KAFKA_COMMIT_INTERVAL" default:"100ms" group:"advanced" type:"duration" range:">= 1ms; shorter than KAFKA_TRANSACTION_TIMEOUT" applies:"KAFKA_TRANSACTIONS=true" desc:"how often a transaction commits; a read_committed consumer sees a record at most this much (plus the commit) after it was written"`
	KafkaTxnTimeout      string `envconfig:"KAFKA_TRANSACTION_TIMEOUT" default:"60s" group:"advanced" type:"duration" range:">= 1s" applies:"KAFKA_TRANSACTIONS=true" desc:"transaction timeout sent to the coordinator; must not exceed the broker's transaction.max.timeout.ms (default 15m)"`

	KafkaTLSEnabled         string `envconfig:"KAFKA_TLS_ENABLED" default:"false" group:"common" type:"bool" range:"true, false" applies:"all" desc:"connect to Kafka over TLS (system roots unless KAFKA_TLS_CA_FILE)"`
	KafkaTLSCAFile          string `envconfig:"KAFKA_TLS_CA_FILE" group:"common" type:"file" applies:"KAFKA_TLS_ENABLED=true" desc:"PEM file of the CA certificates that sign the brokers' certificates"`
	KafkaTLSCertFile        string `envconfig:"KAFKA_TLS_CERT_FILE" group:"common" type:"file" applies:"KAFKA_TLS_ENABLED=true" desc:"PEM client certificate (chain) for mTLS; re-read when it changes"`
	KafkaTLSKeyFile         string `envconfig:"KAFKA_TLS_KEY_FILE" group:"common" type:"file" applies:"KAFKA_TLS_ENABLED=true" desc:"PEM private key of KAFKA_TLS_CERT_FILE; re-read when it changes"`
	KafkaTLSServerName      string `envconfig:"KAFKA_TLS_SERVER_NAME" group:"advanced" type:"string" applies:"KAFKA_TLS_ENABLED=true" desc:"name the brokers' certificates are checked against (default: the host of each broker address)"`
	KafkaTLSInsecure        string `envconfig:"KAFKA_TLS_INSECURE_SKIP_VERIFY" default:"false" group:"advanced" type:"bool" range:"true, false" applies:"KAFKA_TLS_ENABLED=true" desc:"accept any broker certificate (testing only; logs a warning at start)"`
	KafkaSASLMechanism      string `envconfig:"KAFKA_SASL_MECHANISM" group:"common" type:"enum" range:"PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER, AWS_MSK_IAM" applies:"all" defaultdoc:"(none)" desc:"SASL mechanism: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER or AWS_MSK_IAM (empty: no SASL). AWS_MSK_IAM (Amazon MSK IAM access control) needs KAFKA_TLS_ENABLED=true and signs with the AWS SDK's default credential chain, for the SDK's region (AWS_REGION) or else the one in the MSK broker host names"`
	KafkaSASLUsername       string `envconfig:"KAFKA_SASL_USERNAME" group:"common" type:"string" applies:"KAFKA_SASL_MECHANISM=PLAIN or SCRAM-*" desc:"SASL user name (PLAIN, SCRAM)"`
	KafkaSASLPassword       string `envconfig:"KAFKA_SASL_PASSWORD" group:"common" type:"secret" applies:"KAFKA_SASL_MECHANISM=PLAIN or SCRAM-*" desc:"SASL password (secret; never logged)"`
	KafkaSASLPasswordFile   string `envconfig:"KAFKA_SASL_PASSWORD_FILE" group:"common" type:"file" applies:"KAFKA_SASL_MECHANISM=PLAIN or SCRAM-*" desc:"file holding the SASL password instead of KAFKA_SASL_PASSWORD, re-read at each new connection"`
	KafkaSASLAllowPlaintext string `envconfig:"KAFKA_SASL_ALLOW_PLAINTEXT" default:"false" group:"advanced" type:"bool" range:"true, false" applies:"KAFKA_SASL_MECHANISM=PLAIN" desc:"allow SASL PLAIN without TLS, which sends the password in clear text"`
	KafkaOAuthTokenURL      string `envconfig:"KAFKA_SASL_OAUTH_TOKEN_URL" group:"common" type:"url" range:"http://, https://" applies:"KAFKA_SASL_MECHANISM=OAUTHBEARER" desc:"OAUTHBEARER: OAuth2 client-credentials token endpoint"`
	KafkaOAuthClientID      string `envconfig:"KAFKA_SASL_OAUTH_CLIENT_ID" group:"common" type:"string" applies:"KAFKA_SASL_MECHANISM=OAUTHBEARER" desc:"OAUTHBEARER: client id"`
	KafkaOAuthClientSecret  string `envconfig:"KAFKA_SASL_OAUTH_CLIENT_SECRET" group:"common" type:"secret" applies:"KAFKA_SASL_MECHANISM=OAUTHBEARER" desc:"OAUTHBEARER: client secret (secret; never logged)"`
	KafkaOAuthSecretFile    string `envconfig:"KAFKA_SASL_OAUTH_CLIENT_SECRET_FILE" group:"common" type:"file" applies:"KAFKA_SASL_MECHANISM=OAUTHBEARER" desc:"OAUTHBEARER: file holding the client secret instead of KAFKA_SASL_OAUTH_CLIENT_SECRET"`
	KafkaOAuthScopes        string `envconfig:"KAFKA_SASL_OAUTH_SCOPES" group:"advanced" type:"list" applies:"KAFKA_SASL_MECHANISM=OAUTHBEARER" desc:"OAUTHBEARER: comma-separated scopes (optional)"`
	KafkaOAuthCAFile        string `envconfig:"KAFKA_SASL_OAUTH_CA_FILE" group:"advanced" type:"file" applies:"KAFKA_SASL_MECHANISM=OAUTHBEARER" desc:"OAUTHBEARER: PEM file of CA certificates trusted for an https:// KAFKA_SASL_OAUTH_TOKEN_URL, in addition to the system roots"`
	KafkaOAuthExtensions    string `envconfig:"KAFKA_SASL_OAUTH_EXTENSIONS" group:"advanced" type:"pairs" applies:"KAFKA_SASL_MECHANISM=OAUTHBEARER" desc:"OAUTHBEARER: SASL extensions as k=v,... (Confluent Cloud: logicalCluster=lkc-...,identityPoolId=pool-...)"`

	AnalyticsCAFile   string `envconfig:"ANALYTICS_CA_FILE" group:"advanced" type:"file" applies:"websocket source and its OAuth2 endpoint" desc:"PEM file of CA certificates trusted for the upstream (wss://) and the OAuth2 endpoint, in addition to the system roots"`
	AnalyticsCertFile string `envconfig:"ANALYTICS_TLS_CERT_FILE" group:"advanced" type:"file" applies:"websocket source and its OAuth2 endpoint" desc:"PEM client certificate (chain) presented to the upstream (mTLS); re-read when it changes"`
	AnalyticsKeyFile  string `envconfig:"ANALYTICS_TLS_KEY_FILE" group:"advanced" type:"file" applies:"websocket source and its OAuth2 endpoint" desc:"PEM private key of ANALYTICS_TLS_CERT_FILE"`
	AnalyticsHeaders  string `envconfig:"ANALYTICS_HEADERS" group:"advanced" type:"pairs" applies:"websocket source" desc:"extra upstream request headers as Name=value,... (values are never logged)"`
	HTTPSProxy        string `envconfig:"HTTPS_PROXY" group:"advanced" type:"url" range:"http://, https://, socks5://" applies:"websocket source and OAuth2 endpoints" desc:"proxy for https:// and wss:// connections (upstream and OAuth2 endpoints; lower-case https_proxy works too)"`
	HTTPProxy         string `envconfig:"HTTP_PROXY" group:"advanced" type:"url" range:"http://, https://, socks5://" applies:"websocket source and OAuth2 endpoints" desc:"proxy for http:// and ws:// connections (lower-case http_proxy works too)"`
	NoProxy           string `envconfig:"NO_PROXY" group:"advanced" type:"list" applies:"websocket source and OAuth2 endpoints" desc:"comma-separated hosts, domains and CIDRs reached without the proxy (lower-case no_proxy works too)"`

	StartSince     string `envconfig:"START_SINCE" default:"now" group:"common" type:"time" range:"now or RFC 3339" applies:"first start (no checkpoint)" desc:"where to start when no checkpoint exists: now, or an RFC 3339 time"`
	EventTimeField string `envconfig:"EVENT_TIME_FIELD" default:"timestamp" group:"common" type:"JSON path" applies:"websocket source" desc:"JSON path of the event time (RFC 3339 string or epoch milliseconds)"`
	EventIDField   string `envconfig:"EVENT_ID_FIELD" default:"id" group:"common" type:"JSON path" applies:"websocket source" desc:"JSON path of the event's unique id; events without one get a content hash as dedup key"`
	PartitionKey   string `envconfig:"PARTITION_KEY_FIELD" group:"common" type:"JSON path" applies:"all" defaultdoc:"websocket: the dedup key; sqs: eventBody.conversationId" desc:"JSON path (dotted, e.g. eventBody.conversationId) of the record key; websocket source: within the event, default the dedup key; sqs source: within the EventBridge detail, default eventBody.conversationId (the dedup key where an event has none)"`
	EventLateness  string `envconfig:"EVENT_LATENESS" default:"2s" group:"common" type:"duration" range:">= 0s" applies:"websocket source" desc:"how late (by event time) an event may arrive; resume replays this much before the checkpoint"`
	OnStaleSince   string `envconfig:"ON_STALE_SINCE" default:"fail" group:"common" type:"enum" range:"fail, resume-now" applies:"websocket source" desc:"when the upstream cannot replay from the checkpoint (older than its retention): fail, or resume-now (records a gap marker)"`

	SQSQueueURL    string `envconfig:"SQS_QUEUE_URL" group:"common" type:"url" range:"https://, http://" applies:"sqs source" defaultdoc:"(required with SOURCE=sqs)" desc:"URL of the SQS queue the EventBridge rule targets, e.g. https://sqs.eu-west-1.amazonaws.com/123456789012/genesys-events"`
	AWSRegion      string `envconfig:"AWS_REGION" group:"common" type:"string" applies:"sqs source, AWS_MSK_IAM" defaultdoc:"the region in SQS_QUEUE_URL" desc:"AWS region (also read by the AWS SDK); credentials come from the SDK's default chain: environment, shared profiles, web identity (EKS IRSA, Pod Identity), ECS and EC2 roles"`
	SQSEndpointURL string `envconfig:"SQS_ENDPOINT_URL" group:"advanced" type:"url" range:"https://, http://" applies:"sqs source" defaultdoc:"the SDK's endpoint for AWS_REGION" desc:"SQS endpoint to call instead of the regional one: a VPC interface endpoint, FIPS, or a local SQS for testing"`
	SQSWaitTime    string `envconfig:"SQS_WAIT_TIME" default:"20s" group:"advanced" type:"duration" range:"0s..20s" applies:"sqs source" desc:"long-poll wait of each ReceiveMessage call, in whole seconds"`
	SQSMaxMessages string `envconfig:"SQS_MAX_MESSAGES" default:"10" group:"advanced" type:"int" range:"1..10" applies:"sqs source" desc:"most messages one ReceiveMessage call returns"`
	SQSReceivers   string `envconfig:"SQS_RECEIVERS" default:"4" group:"common" type:"int" range:"1..64" applies:"sqs source" desc:"parallel receive loops; each long poll returns at most SQS_MAX_MESSAGES, so raise this for thousands of messages/s"`
	SQSValue       string `envconfig:"SQS_VALUE" default:"detail" group:"common" type:"enum" range:"detail, body" applies:"sqs source" desc:"record value: detail (the Genesys notification {topicName, version, eventBody, metadata}, its bytes as received) or body (the whole EventBridge envelope)"`
	DedupWindow    string `envconfig:"DEDUP_WINDOW" default:"1h" group:"common" type:"duration" range:">= 1m" applies:"sqs source" desc:"how long, from when it was read, a message's dedup key is kept: a redelivery or Genesys resend within it is dropped; must exceed the queue's visibility timeout"`
	DedupMaxKeys   string `envconfig:"DEDUP_MAX_KEYS" default:"3600000" group:"advanced" type:"int" range:"1000..1000000000" applies:"sqs source" desc:"dedup keys held at most (22.3 bytes each, taken at start: the default 3.6M, one hour at 1,000 events/s, is 80 MB); when full, the oldest keys are forgotten early (analytics_bridge_dedup_window_evicted_total)"`

	GenesysRegion             string `envconfig:"GENESYS_REGION" group:"common" type:"domain" applies:"notifications source" defaultdoc:"(required with SOURCE=notifications, unless GENESYS_API_URL and GENESYS_LOGIN_URL)" desc:"the Genesys Cloud region's domain, one of mypurecloud.com, usw2.pure.cloud, use2.us-gov-pure.cloud, cac1.pure.cloud, mxc1.pure.cloud, sae1.pure.cloud, mypurecloud.ie, euw2.pure.cloud, mypurecloud.de, euc2.pure.cloud, mec1.pure.cloud, aps1.pure.cloud, mypurecloud.jp, apne2.pure.cloud, apne3.pure.cloud, mypurecloud.com.au, apse1.pure.cloud; the bridge calls https://api.<region> and takes tokens from https://login.<region>"`
	GenesysAPIURL             string `envconfig:"GENESYS_API_URL" group:"advanced" type:"origin" range:"https://, http://" applies:"notifications source" defaultdoc:"https://api.<GENESYS_REGION>" desc:"the Platform API host (scheme://host[:port], no path) instead of GENESYS_REGION's, for another environment or a stand-in; set with GENESYS_LOGIN_URL"`
	GenesysLoginURL           string `envconfig:"GENESYS_LOGIN_URL" group:"advanced" type:"origin" range:"https://, http://" applies:"notifications source" defaultdoc:"https://login.<GENESYS_REGION>" desc:"the login host (scheme://host[:port], no path; tokens from <GENESYS_LOGIN_URL>/oauth/token) instead of GENESYS_REGION's; set with GENESYS_API_URL"`
	GenesysTopics             string `envconfig:"GENESYS_TOPICS" default:"v2.routing.queues.{id}.conversations" group:"common" type:"list" applies:"notifications source" desc:"comma-separated topic templates subscribed for every queue of GENESYS_QUEUE_IDS ({id}: the queue's id; a template without {id} is subscribed once); each starts with v2. and holds at most one {id}, and no ?, & or white space"`
	GenesysQueueIDs           string `envconfig:"GENESYS_QUEUE_IDS" group:"common" type:"list" applies:"notifications source" defaultdoc:"(required when a template of GENESYS_TOPICS holds {id})" desc:"comma-separated queue ids (UUIDs) whose topics are subscribed, or all: every queue of the org, listed again every GENESYS_QUEUE_REFRESH"`
	GenesysDetailEvents       string `envconfig:"GENESYS_DETAIL_EVENTS" default:"customer.start,customer.end,acd.start,acd.end,user.start,user.end,acw" group:"common" type:"list" applies:"notifications source" desc:"comma-separated detail event types subscribed for every conversation seen on the queue topics (v2.detail.events.conversation.{id}.<type>), from acd.start, acd.end, acw, attributes, contact, customer.start, customer.end, flow.start, flow.end, flow.outcome, outbound, user.start, user.end, voicemail.start, voicemail.end, wrapup; none: follow no conversation"`
	GenesysMaxChannels        string `envconfig:"GENESYS_MAX_CHANNELS" default:"20" group:"advanced" type:"int" range:"1..20" applies:"notifications source" desc:"most notification channels used at once, 1,000 topics each (the platform allows 20 per OAuth client, shared with its other users)"`
	GenesysQueueRefresh       string `envconfig:"GENESYS_QUEUE_REFRESH" default:"5m" group:"advanced" type:"duration" range:">= 1m" applies:"GENESYS_QUEUE_IDS=all" desc:"how often the org's queues are listed again, to subscribe new ones and drop deleted ones"`
	GenesysConversationLinger string `envconfig:"GENESYS_CONVERSATION_LINGER" default:"5m" group:"advanced" type:"duration" range:">= 0s" applies:"notifications source, detail events" desc:"how long a conversation's detail event topics stay subscribed after its end, for the events that trail it (after-call work, wrap-up)"`
	GenesysMaxFollowed        string `envconfig:"GENESYS_MAX_FOLLOWED" default:"2500" group:"advanced" type:"int" range:"1..20000" applies:"notifications source, detail events" desc:"most conversations whose detail events are subscribed at once; with one topic per detail event type and the queue topics, they must fit GENESYS_MAX_CHANNELS x 1000 topics"`
	GenesysBackfillPoll       string `envconfig:"GENESYS_BACKFILL_POLL" default:"1m" group:"advanced" type:"duration" range:">= 1s" applies:"notifications source" desc:"how often back-filled conversations still awaiting their end are fetched again from the analytics API"`
	GenesysBackfillMaxWait    string `envconfig:"GENESYS_BACKFILL_MAX_WAIT" default:"24h" group:"advanced" type:"duration" range:">= 1m; at least GENESYS_BACKFILL_POLL" applies:"notifications source" desc:"how long a back-filled conversation may stay unended before it is written as it stands"`
	GenesysEventLatency       string `envconfig:"GENESYS_EVENT_LATENCY" default:"30s" group:"advanced" type:"duration" range:">= 0s" applies:"notifications source" desc:"how much later than their event time notifications may be published: every back-filled interval is widened by it on both sides"`

	ReconnectMinBackoff string `envconfig:"RECONNECT_MIN_BACKOFF" default:"100ms" group:"advanced" type:"duration" range:">= 1ms" applies:"all" desc:"first delay before reconnecting to the upstream, or retrying Kafka after a failed epoch (doubles per failure, with jitter; an upstream Retry-After is honoured)"`
	ReconnectMaxBackoff string `envconfig:"RECONNECT_MAX_BACKOFF" default:"30s" group:"advanced" type:"duration" range:">= 1ms; at least RECONNECT_MIN_BACKOFF" applies:"all" desc:"longest of those delays"`
	IdleTimeout         string `envconfig:"IDLE_TIMEOUT" default:"75s" group:"advanced" type:"duration" range:">= 1ms" applies:"websocket source" desc:"reconnect when no frame (event, heartbeat or pong) arrives for this long"`
	PingInterval        string `envconfig:"PING_INTERVAL" default:"20s" group:"advanced" type:"duration" range:">= 1ms; shorter than IDLE_TIMEOUT" applies:"websocket source" desc:"how often to send {\"message\":\"ping\"} to the upstream"`
	MaxFrameBytes       string `envconfig:"MAX_FRAME_BYTES" default:"8388608" group:"advanced" type:"bytes" range:"1024..1073741824" applies:"websocket source" desc:"largest upstream frame accepted"`
	CheckpointInterval  string `envconfig:"CHECKPOINT_INTERVAL" default:"1s" group:"advanced" type:"duration" range:">= 1ms" applies:"KAFKA_TRANSACTIONS=false" desc:"how often the acknowledged position is written to CHECKPOINT_TOPIC"`
	LeaseSessionTimeout string `envconfig:"LEASE_SESSION_TIMEOUT" default:"10s" group:"advanced" type:"duration" range:">= 100ms" applies:"all" desc:"how long a silent bridge keeps its BRIDGE_NAME before a standby takes over (transactions: no checkpoint for this long; otherwise: the consumer-group lease's session)"`
	ShutdownTimeout     string `envconfig:"SHUTDOWN_TIMEOUT" default:"15s" group:"advanced" type:"duration" range:">= 1ms" applies:"all" desc:"bound on flushing and the final checkpoint after SIGINT/SIGTERM"`

	HTTPAddr  string `envconfig:"HTTP_ADDR" default:":8080" group:"common" type:"host:port" applies:"all" desc:"address serving /healthz and /metrics (empty: disabled)"`
	Pprof     string `envconfig:"PPROF_ENABLED" default:"false" group:"advanced" type:"bool" range:"true, false" applies:"HTTP_ADDR set" desc:"also serve Go's profiles (net/http/pprof) under /debug/pprof/ on HTTP_ADDR; they reveal internals, so keep that address private"`
	LogLevel  string `envconfig:"LOG_LEVEL" default:"info" group:"common" type:"enum" range:"debug, info, warn, error" applies:"all" desc:"debug, info, warn or error"`
	LogFormat string `envconfig:"LOG_FORMAT" default:"json" group:"common" type:"enum" range:"json, console" applies:"all" desc:"json, or console for humans"`
}

// Config is the validated, typed configuration.
type Config struct {
	// Source is SOURCE; only its own settings are validated and set.
	Source       SourceKind
	AnalyticsURL string
	Token        TokenConfig
	SQS          SQS
	// Notifications is set with SourceNotifications.
	Notifications Notifications
	// DedupWindow is DEDUP_WINDOW; DedupMaxKeys is DEDUP_MAX_KEYS with a
	// source whose window is bounded by it (sqs), else 0 (unbounded).
	DedupWindow  time.Duration
	DedupMaxKeys int

	KafkaBrokers      []string
	KafkaTopic        string
	KafkaDLQTopic     string
	CheckpointTopic   string
	BridgeName        string
	CreateTopics      bool
	TopicPartitions   int
	ReplicationFactor int
	Compression       Compression
	BatchSize         int
	BatchBytes        int
	Linger            time.Duration
	MaxInFlight       int
	MaxInFlightBytes  int
	// MemoryLimit is the soft memory limit to set, derived from
	// MaxInFlightBytes; 0 when GOMEMLIMIT is set (the runtime applied it).
	MemoryLimit   int64
	WriteTimeout  time.Duration
	KafkaClientID string
	// Transactions is KAFKA_TRANSACTIONS; TransactionalID is derived from
	// BRIDGE_NAME when it is on.
	Transactions       bool
	TransactionalID    string
	CommitInterval     time.Duration
	TransactionTimeout time.Duration
	// InstanceID is BRIDGE_INSTANCE_ID, or the host name.
	InstanceID string
	// KafkaSecurity is TLS and SASL for every Kafka connection.
	KafkaSecurity KafkaSecurity
	// Upstream is TLS, extra headers and the proxy for the upstream and its
	// OAuth2 endpoint.
	Upstream Upstream

	// StartSince is the zero time when START_SINCE is "now".
	StartSince     time.Time
	EventTimeField string
	EventIDField   string
	PartitionKey   string
	EventLateness  time.Duration
	OnStaleSince   StaleSince

	ReconnectMinBackoff time.Duration
	ReconnectMaxBackoff time.Duration
	IdleTimeout         time.Duration
	PingInterval        time.Duration
	MaxFrameBytes       int64
	CheckpointInterval  time.Duration
	LeaseSessionTimeout time.Duration
	ShutdownTimeout     time.Duration

	HTTPAddr string
	// Pprof serves net/http/pprof on HTTPAddr.
	Pprof     bool
	LogLevel  string
	LogFormat LogFormat
}

// TokenConfig says where bearer tokens come from; exactly one source is set.
type TokenConfig struct {
	Static       string
	File         string
	OAuthURL     string
	ClientID     string
	ClientSecret string
	// ClientSecretFile holds the secret instead of ClientSecret.
	ClientSecretFile string
	Scopes           []string
}

// Kind names the configured token source for logs (never the secret).
func (t TokenConfig) Kind() string {
	switch {
	case t.Static != "":
		return "static"
	case t.File != "":
		return "file"
	default:
		return "oauth2-client-credentials"
	}
}

// ErrInvalid is wrapped by every validation failure, so callers can tell a
// configuration problem (exit status 2) from a runtime one.
var ErrInvalid = errors.New("invalid configuration")

// Problems lists every invalid setting found by Load.
type Problems []string

func (p Problems) Error() string {
	return "invalid configuration:\n  " + strings.Join(p, "\n  ")
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (p Problems) Unwrap() error { return ErrInvalid }

// Load reads the environment and validates it.
func Load() (Config, error) {
	var env Env
	if err := envconfig.Process("", &env); err != nil {
		// Only string fields: this is unreachable short of a programming error.
		return Config{}, fmt.Errorf("reading environment: %w", err)
	}
	env.proxyFromLowerCase(os.Getenv)
	return env.Validate()
}

// Defaults returns the environment with every variable at its declared
// default (the struct tags are the one place defaults are written); tests
// and the demo override only what differs.
func Defaults() Env {
	var e Env
	v := reflect.ValueOf(&e).Elem()
	for i := 0; i < v.NumField(); i++ {
		if def, ok := v.Type().Field(i).Tag.Lookup("default"); ok {
			v.Field(i).SetString(def)
		}
	}
	return e
}

// Environ returns e as NAME=value pairs, for a child process that must read
// exactly this environment.
func (e Env) Environ() []string {
	v := reflect.ValueOf(e)
	out := make([]string, 0, v.NumField())
	for i := 0; i < v.NumField(); i++ {
		out = append(out, v.Type().Field(i).Tag.Get("envconfig")+"="+v.Field(i).String())
	}
	return out
}

// Validate converts the raw values and reports every problem at once.
func (e Env) Validate() (Config, error) {
	v := validator{}
	c := Config{
		KafkaTopic:      v.required("KAFKA_TOPIC", e.KafkaTopic),
		CheckpointTopic: v.required("CHECKPOINT_TOPIC", e.CheckpointTopic),
		BridgeName:      v.required("BRIDGE_NAME", e.BridgeName),
		KafkaClientID:   e.KafkaClientID,
		EventTimeField:  v.required("EVENT_TIME_FIELD", e.EventTimeField),
		EventIDField:    e.EventIDField,
		PartitionKey:    e.PartitionKey,
		HTTPAddr:        e.HTTPAddr,
	}

	v.sourceSettings(e, &c)
	c.Upstream = v.upstream(e)
	c.KafkaSecurity = v.kafkaSecurity(e)

	for _, b := range strings.Split(e.KafkaBrokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			c.KafkaBrokers = append(c.KafkaBrokers, b)
		}
	}
	if len(c.KafkaBrokers) == 0 {
		v.add("KAFKA_BROKERS", "is required (comma-separated host:port list)")
	}
	for _, b := range c.KafkaBrokers {
		if _, port, ok := strings.Cut(b, ":"); !ok || port == "" {
			v.add("KAFKA_BROKERS", fmt.Sprintf("%q is not host:port", b))
		}
	}
	c.KafkaDLQTopic = e.KafkaDLQTopic
	if c.KafkaDLQTopic == "" {
		c.KafkaDLQTopic = c.KafkaTopic + ".dlq"
	}
	if c.KafkaDLQTopic == c.KafkaTopic || c.CheckpointTopic == c.KafkaTopic || c.CheckpointTopic == c.KafkaDLQTopic {
		v.add("KAFKA_TOPIC", "KAFKA_TOPIC, KAFKA_DLQ_TOPIC and CHECKPOINT_TOPIC must be three different topics")
	}

	c.CreateTopics = v.boolean("KAFKA_CREATE_TOPICS", e.KafkaCreateTopics)
	c.TopicPartitions = v.intRange("KAFKA_TOPIC_PARTITIONS", e.KafkaTopicPartitions, 1, 100000)
	c.ReplicationFactor = v.intRange("KAFKA_REPLICATION_FACTOR", e.KafkaReplication, -1, 32767)
	if c.ReplicationFactor == 0 {
		v.add("KAFKA_REPLICATION_FACTOR", "must be -1 (broker default) or at least 1")
	}
	c.Compression = oneOf(&v, "KAFKA_COMPRESSION", e.KafkaCompression, CompressionNone, CompressionGzip, CompressionSnappy, CompressionLz4, CompressionZstd)
	c.BatchSize = v.intRange("KAFKA_BATCH_SIZE", e.KafkaBatchSize, 1, 1_000_000)
	c.BatchBytes = v.intRange("KAFKA_BATCH_BYTES", e.KafkaBatchBytes, 1024, 1<<30)
	c.Linger = v.duration("KAFKA_LINGER", e.KafkaLinger, 0)
	c.MaxInFlight = v.intRange("KAFKA_MAX_IN_FLIGHT", e.KafkaMaxInFlight, 1, 10_000_000)
	c.MaxInFlightBytes = v.intRange("KAFKA_MAX_IN_FLIGHT_BYTES", e.KafkaMaxInFlightB, 64<<10, 1<<34)
	if strings.TrimSpace(e.GoMemLimit) == "" {
		// The live heap is about the in-flight bytes (twice while a batch
		// holds its encoded copy) plus a constant; without a limit the
		// collector lets the heap double before it runs.
		c.MemoryLimit = 2*int64(c.MaxInFlightBytes) + 16<<20
	}
	c.WriteTimeout = v.duration("KAFKA_WRITE_TIMEOUT", e.KafkaWriteTimeout, time.Millisecond)
	c.Transactions = v.boolean("KAFKA_TRANSACTIONS", e.KafkaTransactions)
	if c.Transactions {
		c.TransactionalID = TransactionalIDPrefix + c.BridgeName
	}
	c.CommitInterval = v.duration("KAFKA_COMMIT_INTERVAL", e.KafkaCommitInterval, time.Millisecond)
	c.TransactionTimeout = v.duration("KAFKA_TRANSACTION_TIMEOUT", e.KafkaTxnTimeout, time.Second)
	if c.TransactionTimeout > 0 && c.CommitInterval >= c.TransactionTimeout {
		v.add("KAFKA_COMMIT_INTERVAL", "must be shorter than KAFKA_TRANSACTION_TIMEOUT")
	}
	c.InstanceID = strings.TrimSpace(e.BridgeInstanceID)
	if c.InstanceID == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			v.add("BRIDGE_INSTANCE_ID", "is required: the host name is unknown")
		}
		c.InstanceID = host
	}

	switch s := strings.TrimSpace(e.StartSince); s {
	case StartNow:
	default:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			v.add("START_SINCE", fmt.Sprintf("%q is neither %q nor an RFC 3339 time", s, StartNow))
		}
		c.StartSince = t.UTC()
	}
	c.EventLateness = v.duration("EVENT_LATENESS", e.EventLateness, 0)
	c.OnStaleSince = oneOf(&v, "ON_STALE_SINCE", e.OnStaleSince, StaleSinceFail, StaleSinceResumeNow)

	c.ReconnectMinBackoff = v.duration("RECONNECT_MIN_BACKOFF", e.ReconnectMinBackoff, time.Millisecond)
	c.ReconnectMaxBackoff = v.duration("RECONNECT_MAX_BACKOFF", e.ReconnectMaxBackoff, time.Millisecond)
	if c.ReconnectMaxBackoff > 0 && c.ReconnectMinBackoff > c.ReconnectMaxBackoff {
		v.add("RECONNECT_MAX_BACKOFF", "must not be less than RECONNECT_MIN_BACKOFF")
	}
	c.IdleTimeout = v.duration("IDLE_TIMEOUT", e.IdleTimeout, time.Millisecond)
	c.PingInterval = v.duration("PING_INTERVAL", e.PingInterval, time.Millisecond)
	if c.IdleTimeout > 0 && c.PingInterval >= c.IdleTimeout {
		v.add("PING_INTERVAL", "must be shorter than IDLE_TIMEOUT, or a quiet but healthy link looks dead")
	}
	c.MaxFrameBytes = int64(v.intRange("MAX_FRAME_BYTES", e.MaxFrameBytes, 1024, 1<<30))
	c.CheckpointInterval = v.duration("CHECKPOINT_INTERVAL", e.CheckpointInterval, time.Millisecond)
	c.LeaseSessionTimeout = v.duration("LEASE_SESSION_TIMEOUT", e.LeaseSessionTimeout, 100*time.Millisecond)
	c.ShutdownTimeout = v.duration("SHUTDOWN_TIMEOUT", e.ShutdownTimeout, time.Millisecond)

	c.Pprof = v.boolean("PPROF_ENABLED", e.Pprof)
	if c.Pprof && c.HTTPAddr == "" {
		v.add("PPROF_ENABLED", "needs HTTP_ADDR to serve the profiles on")
	}
	c.LogLevel = oneOf(&v, "LOG_LEVEL", e.LogLevel, "debug", "info", "warn", "error")
	c.LogFormat = oneOf(&v, "LOG_FORMAT", e.LogFormat, LogJSON, LogConsole)

	if len(v.problems) > 0 {
		return Config{}, v.problems
	}
	return c, nil
}

// Usage writes every variable with its default and meaning.
func Usage(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	const format = "VARIABLE\tDEFAULT\tMEANING\n" +
		"{{range .}}{{usage_key .}}\t{{usage_default .}}\t{{usage_description .}}\n{{end}}"
	if err := envconfig.Usagef("", &Env{}, tw, format); err != nil {
		return fmt.Errorf("printing usage: %w", err)
	}
	return tw.Flush()
}

type validator struct{ problems Problems }

func (v *validator) add(name, problem string) {
	v.problems = append(v.problems, name+": "+problem)
}

func (v *validator) required(name, value string) string {
	value = strings.TrimSpace(value)
	if value == "" {
		v.add(name, "is required")
	}
	return value
}

func (v *validator) url(name, value string, schemes ...string) string {
	value = strings.TrimSpace(value)
	if value == "" {
		v.add(name, "is required")
		return ""
	}
	u, err := url.Parse(value)
	if err != nil || u.Host == "" {
		v.add(name, fmt.Sprintf("%q is not an absolute URL", redactURL(value)))
		return value
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return value
		}
	}
	v.add(name, fmt.Sprintf("scheme %q is not one of %s", u.Scheme, strings.Join(schemes, ", ")))
	return value
}

func (v *validator) token(e Env) TokenConfig {
	t := TokenConfig{
		Static:           strings.TrimSpace(e.AnalyticsToken),
		File:             strings.TrimSpace(e.AnalyticsTokenFile),
		OAuthURL:         strings.TrimSpace(e.OAuthTokenURL),
		ClientID:         strings.TrimSpace(e.OAuthClientID),
		ClientSecret:     e.OAuthClientSecret,
		ClientSecretFile: strings.TrimSpace(e.OAuthSecretFile),
	}
	t.Scopes = SplitList(e.OAuthScopes)
	oauth := t.OAuthURL != "" || t.ClientID != "" || t.ClientSecret != "" || t.ClientSecretFile != ""
	sources := 0
	for _, set := range []bool{t.Static != "", t.File != "", oauth} {
		if set {
			sources++
		}
	}
	switch {
	case sources == 0:
		v.add("ANALYTICS_TOKEN", "one token source is required: ANALYTICS_TOKEN, ANALYTICS_TOKEN_FILE, or OAUTH_TOKEN_URL with OAUTH_CLIENT_ID and OAUTH_CLIENT_SECRET")
	case sources > 1:
		v.add("ANALYTICS_TOKEN", "set only one token source: ANALYTICS_TOKEN, ANALYTICS_TOKEN_FILE, or the OAUTH_* variables")
	case oauth:
		t.OAuthURL = v.url("OAUTH_TOKEN_URL", t.OAuthURL, "http", "https")
		if t.ClientID == "" {
			v.add("OAUTH_CLIENT_ID", "is required with OAUTH_TOKEN_URL")
		}
		v.secretOrFile("OAUTH_CLIENT_SECRET", "OAUTH_CLIENT_SECRET_FILE", t.ClientSecret, t.ClientSecretFile, "with OAUTH_TOKEN_URL")
	}
	return t
}

func (v *validator) boolean(name, value string) bool {
	b, err := strconv.ParseBool(strings.TrimSpace(value))
	if err != nil {
		v.add(name, fmt.Sprintf("%q is not true or false", value))
	}
	return b
}

func (v *validator) intRange(name, value string, lo, hi int) int {
	n, err := strconv.Atoi(strings.TrimSpace(value))
	if err != nil {
		v.add(name, fmt.Sprintf("%q is not a whole number", value))
		return 0
	}
	if n < lo || n > hi {
		v.add(name, fmt.Sprintf("%d is outside %d..%d", n, lo, hi))
	}
	return n
}

// duration parses a Go duration; min is the smallest value allowed.
func (v *validator) duration(name, value string, min time.Duration) time.Duration {
	d, err := time.ParseDuration(strings.TrimSpace(value))
	if err != nil {
		v.add(name, fmt.Sprintf("%q is not a duration (examples: 500ms, 2s, 1m)", value))
		return 0
	}
	if d < min {
		v.add(name, fmt.Sprintf("%s is less than %s", d, min))
	}
	return d
}

// oneOf parses value as one of the allowed values of an enum, once, here.
func oneOf[T ~string](v *validator, name, value string, allowed ...T) T {
	value = strings.ToLower(strings.TrimSpace(value))
	names := make([]string, len(allowed))
	for i, a := range allowed {
		if T(value) == a {
			return a
		}
		names[i] = string(a)
	}
	v.add(name, fmt.Sprintf("%q is not one of %s", value, strings.Join(names, ", ")))
	return T(value)
}

// redactURL drops user info and the query, where credentials hide.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable)"
	}
	u.User = nil
	u.RawQuery = ""
	return u.String()
}

package sqs

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/source"
)

// defaultCallTimeout bounds every SQS call (a long poll gets it on top of
// its wait): a half-open connection must not hang a loop for good.
const defaultCallTimeout = 30 * time.Second

// Name is the source's kind, as SOURCE and checkpoints name it.
const Name = string(config.SourceSQS)

// Options configure the source.
type Options struct {
	Config   config.Config
	Logger   zerolog.Logger
	Registry prometheus.Registerer // nil: metrics not exported
	// AWS replaces the SDK's default configuration (the credential chain
	// and region of the environment); tests set it. nil: the default.
	AWS *aws.Config
}

// Source reads one SQS queue.
type Source struct {
	settings
	client  *sqs.Client
	log     zerolog.Logger
	metrics *metrics
	seed    uint64
}

// settings are what the source's parts read of the configuration.
type settings struct {
	queueURL    string
	region      string
	queueRegion string // the region the queue URL names, if any
	endpoint    string
	waitTime    time.Duration
	maxMessages int
	receivers   int
	value       config.SQSValue
	keyPath     string
	window      time.Duration
	minBackoff  time.Duration
	maxBackoff  time.Duration
	callTimeout time.Duration
}

func (s settings) endpointName() string {
	if s.endpoint != "" {
		return "SQS_ENDPOINT_URL " + s.endpoint
	}
	return "the SQS endpoint of " + s.region
}

// New builds the source: the SDK's client, with credentials from its
// default chain (environment, shared profiles, web identity for EKS IRSA
// and Pod Identity, ECS and EC2 roles). It calls nothing on the network.
func New(opts Options) (*Source, error) {
	cfg := opts.Config
	set := settings{
		queueURL: cfg.SQS.QueueURL, region: cfg.SQS.Region, queueRegion: config.RegionOfQueueURL(cfg.SQS.QueueURL),
		endpoint: cfg.SQS.EndpointURL, waitTime: cfg.SQS.WaitTime, maxMessages: cfg.SQS.MaxMessages, receivers: cfg.SQS.Receivers,
		value: cfg.SQS.Value, keyPath: cfg.SQS.PartitionKey, window: cfg.DedupWindow,
		minBackoff: cfg.ReconnectMinBackoff, maxBackoff: cfg.ReconnectMaxBackoff, callTimeout: defaultCallTimeout,
	}
	awsCfg, err := loadAWS(opts.AWS, set)
	if err != nil {
		return nil, err
	}
	client := sqs.NewFromConfig(awsCfg, func(o *sqs.Options) {
		if set.endpoint != "" {
			o.BaseEndpoint = aws.String(set.endpoint)
		}
	})
	return &Source{settings: set, client: client, log: opts.Logger.With().Str("source", Name).Logger(),
		metrics: newMetrics(opts.Registry), seed: uint64(time.Now().UnixNano())}, nil
}

// loadAWS is the SDK configuration: given, or the default chain's. Its
// HTTP client keeps a connection per receive loop (a long poll holds one)
// plus the deletes' and extensions'.
func loadAWS(given *aws.Config, s settings) (aws.Config, error) {
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConnsPerHost = s.receivers + 4
	})
	if given != nil {
		c := given.Copy()
		c.Region = s.region
		c.HTTPClient = httpClient
		return c, nil
	}
	c, err := awsconfig.LoadDefaultConfig(context.Background(), awsconfig.WithRegion(s.region), awsconfig.WithHTTPClient(httpClient))
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading the AWS SDK configuration (AWS_PROFILE, AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE): %w", err)
	}
	return c, nil
}

// Name is "sqs".
func (s *Source) Name() string { return Name }

// Resume starts an epoch. The queue holds the position (what is not
// deleted comes back), so the checkpoint carries nothing of the source's
// own; the core's window, rebuilt over DEDUP_WINDOW, drops what was
// committed but not deleted.
func (s *Source) Resume(source.Checkpoint) (source.Stream, error) {
	return newStream(s), nil
}

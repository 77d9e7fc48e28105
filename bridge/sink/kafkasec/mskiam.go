package kafkasec

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	signer "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/aws_msk_iam_v2"

	"github.com/analytics-bridge/analytics-bridge/config"
)

// credentialsExpiryWindow renews AWS credentials this long before they
// expire, so that no connection is signed with credentials about to lapse:
// MSK ends a connection's session when its credentials expire.
const credentialsExpiryWindow = 5 * time.Minute

// errAWSCredentials wraps a failure to sign the AWS_MSK_IAM request, which
// is a failure to get credentials from the default chain.
var errAWSCredentials = errors.New("AWS_MSK_IAM credentials")

// mskIAM is kafka-go's AWS_MSK_IAM mechanism (aws_msk_iam_v2) with the
// AWS SDK's default credential chain, cached and renewed before expiry,
// and its errors marked as credential failures. Each connection signs
// anew, for the broker host it dials.
type mskIAM struct {
	m *aws_msk_iam_v2.Mechanism
}

// newMSKIAM loads the AWS SDK's default configuration (environment,
// shared files, web identity (EKS IRSA), container credentials (EKS Pod
// Identity, ECS), instance role) for the resolved region. Nothing is
// fetched yet: the first connection retrieves the credentials.
func newMSKIAM(a config.AWSIAM) (*mskIAM, error) {
	c, err := awsconfig.LoadDefaultConfig(context.Background(),
		awsconfig.WithRegion(a.Region),
		awsconfig.WithCredentialsCacheOptions(func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = credentialsExpiryWindow }))
	if err != nil {
		return nil, fmt.Errorf("KAFKA_SASL_MECHANISM=AWS_MSK_IAM: loading the AWS SDK's configuration: %w", err)
	}
	if c.Credentials == nil {
		return nil, errors.New("KAFKA_SASL_MECHANISM=AWS_MSK_IAM: the AWS SDK's configuration has no credentials provider")
	}
	return mskIAMWith(c.Credentials, a.Region), nil
}

// mskIAMWith signs for region with the credentials of p, cached unless p
// already is a cache (as the SDK's default chain is).
func mskIAMWith(p aws.CredentialsProvider, region string) *mskIAM {
	if !aws.IsCredentialsProvider(p, (*aws.CredentialsCache)(nil)) {
		p = aws.NewCredentialsCache(p, func(o *aws.CredentialsCacheOptions) { o.ExpiryWindow = credentialsExpiryWindow })
	}
	return &mskIAM{m: &aws_msk_iam_v2.Mechanism{Signer: signer.NewSigner(), Credentials: p, Region: region}}
}

func (k *mskIAM) Name() string { return k.m.Name() }

// Start retrieves the credentials (from the cache while they are fresh)
// and returns the signed JSON payload as the initial response; the broker
// answers success or SASL_AUTHENTICATION_FAILED.
func (k *mskIAM) Start(ctx context.Context) (sasl.StateMachine, []byte, error) {
	sm, ir, err := k.m.Start(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: signing the SASL request with the AWS SDK's default credential chain: %w", errAWSCredentials, err)
	}
	return sm, ir, nil
}

package kafkasec

import (
	"errors"
	"fmt"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/segmentio/kafka-go"
	"golang.org/x/oauth2"

	"github.com/analytics-bridge/analytics-bridge/bridge/sink/lease"
	"github.com/analytics-bridge/analytics-bridge/bridge/sink/tlsconf"
	"github.com/analytics-bridge/analytics-bridge/config"
)

// ErrDenied is wrapped by every error Explain returns: Kafka, or its TLS or
// token endpoint, refused the bridge for a reason only an operator can fix.
var ErrDenied = errors.New("kafka refused the bridge")

// errCredential wraps a SASL credential the bridge cannot use: a secret
// file it cannot read, or a user name or password SASLprep refuses.
var errCredential = errors.New("kafka SASL credential")

// errTokenFetch wraps a failure to fetch an OAUTHBEARER token.
var errTokenFetch = errors.New("OAUTHBEARER token")

// Explain returns nil when retrying err may succeed. Otherwise it returns
// one line, wrapping ErrDenied and err, that names the setting to correct or
// the ACL to grant.
func Explain(err error, cfg config.Config) error {
	if err == nil || errors.Is(err, ErrDenied) {
		return nil
	}
	if why := explain(err, cfg); why != "" {
		return fmt.Errorf("%w: %s (%w)", ErrDenied, why, err)
	}
	return nil
}

func explain(err error, cfg config.Config) string {
	sasl := cfg.KafkaSecurity.SASL
	var kerr kafka.Error
	if errors.As(err, &kerr) {
		switch kerr {
		case kafka.SASLAuthenticationFailed:
			if sasl.Mechanism == config.SASLAWSMSKIAM {
				return "the broker refused the AWS_MSK_IAM signature: " + iamCheck(sasl.AWS)
			}
			if sasl.Mechanism == config.SASLOAuthBearer {
				return fmt.Sprintf("the broker rejected the OAUTHBEARER token of KAFKA_SASL_OAUTH_CLIENT_ID=%s from KAFKA_SASL_OAUTH_TOKEN_URL: check the token's audience, scope (KAFKA_SASL_OAUTH_SCOPES) and KAFKA_SASL_OAUTH_EXTENSIONS against the broker's OAuth settings", sasl.OAuth.ClientID)
			}
			if sasl.Mechanism == config.SASLNone {
				return "SASL authentication failed although KAFKA_SASL_MECHANISM is empty: set KAFKA_SASL_MECHANISM and its credentials for this listener"
			}
			return fmt.Sprintf("the broker rejected KAFKA_SASL_USERNAME=%s with KAFKA_SASL_MECHANISM=%s: check KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE), and that the user exists for this mechanism", sasl.Username, sasl.Mechanism)
		case kafka.UnsupportedSASLMechanism:
			if sasl.Mechanism == config.SASLAWSMSKIAM {
				return "the listener at KAFKA_BROKERS does not offer KAFKA_SASL_MECHANISM=AWS_MSK_IAM: turn on IAM access control on the MSK cluster and use its IAM bootstrap brokers (port 9098, or 9198 for public access)"
			}
			return fmt.Sprintf("the broker does not enable KAFKA_SASL_MECHANISM=%s on the listener at KAFKA_BROKERS: use one of its sasl.enabled.mechanisms", sasl.Mechanism)
		case kafka.IllegalSASLState:
			return "the broker did not expect this SASL exchange: check that KAFKA_SASL_MECHANISM matches the listener's security protocol (SASL_SSL or SASL_PLAINTEXT)"
		case kafka.TopicAuthorizationFailed:
			if sasl.Mechanism == config.SASLAWSMSKIAM {
				create := ""
				if cfg.CreateTopics {
					create = "; with KAFKA_CREATE_TOPICS=true also kafka-cluster:CreateTopic on them (or create them and set KAFKA_CREATE_TOPICS=false)"
				}
				return fmt.Sprintf("missing IAM permission (TOPIC_AUTHORIZATION_FAILED): allow kafka-cluster:DescribeTopic, kafka-cluster:ReadData and kafka-cluster:WriteData on topics %s, %s and %s%s",
					cfg.KafkaTopic, cfg.KafkaDLQTopic, cfg.CheckpointTopic, create)
			}
			create := ""
			if cfg.CreateTopics {
				create = "; with KAFKA_CREATE_TOPICS=true also Create on them (or create them and set KAFKA_CREATE_TOPICS=false)"
			}
			return fmt.Sprintf("missing ACL (TOPIC_AUTHORIZATION_FAILED): grant Describe, Read and Write on topics %s, %s and %s%s",
				cfg.KafkaTopic, cfg.KafkaDLQTopic, cfg.CheckpointTopic, create)
		case kafka.TransactionalIDAuthorizationFailed:
			if sasl.Mechanism == config.SASLAWSMSKIAM {
				return fmt.Sprintf("missing IAM permission (TRANSACTIONAL_ID_AUTHORIZATION_FAILED): allow kafka-cluster:DescribeTransactionalId and kafka-cluster:AlterTransactionalId on transactional-id %s (%s* serves every bridge), or set KAFKA_TRANSACTIONS=false",
					cfg.TransactionalID, config.TransactionalIDPrefix)
			}
			return fmt.Sprintf("missing ACL (TRANSACTIONAL_ID_AUTHORIZATION_FAILED): grant Describe and Write on TransactionalId %s (a prefixed ACL on %s serves every bridge), or set KAFKA_TRANSACTIONS=false",
				cfg.TransactionalID, config.TransactionalIDPrefix)
		case kafka.GroupAuthorizationFailed:
			if sasl.Mechanism == config.SASLAWSMSKIAM {
				return fmt.Sprintf("missing IAM permission (GROUP_AUTHORIZATION_FAILED): allow kafka-cluster:DescribeGroup and kafka-cluster:AlterGroup on group %s", lease.Group(cfg.BridgeName))
			}
			return fmt.Sprintf("missing ACL (GROUP_AUTHORIZATION_FAILED): grant Describe and Read on Group %s", lease.Group(cfg.BridgeName))
		case kafka.ClusterAuthorizationFailed:
			if sasl.Mechanism == config.SASLAWSMSKIAM {
				return "missing IAM permission (CLUSTER_AUTHORIZATION_FAILED): allow kafka-cluster:WriteDataIdempotently on the cluster (idempotent writes with KAFKA_TRANSACTIONS=false)"
			}
			return "missing ACL (CLUSTER_AUTHORIZATION_FAILED): grant IdempotentWrite on the Cluster (brokers before Kafka 3.0 need it for idempotent writes), and Create on the Cluster when KAFKA_CREATE_TOPICS=true creates topics"
		}
	}

	tlsFiles := cfg.KafkaSecurity.TLS
	problem, host := tlsconf.Diagnose(err)
	if problem == tlsconf.UnknownAuthority && errors.Is(err, errTokenFetch) {
		if sasl.OAuth.CAFile != "" {
			return "the certificate of KAFKA_SASL_OAUTH_TOKEN_URL is not signed by a CA in KAFKA_SASL_OAUTH_CA_FILE or the system roots: set it to the CA that signs the token endpoint's certificate"
		}
		return "the certificate of KAFKA_SASL_OAUTH_TOKEN_URL is not signed by a CA the system trusts: set KAFKA_SASL_OAUTH_CA_FILE to the CA that signs it"
	}
	switch problem {
	case tlsconf.UnknownAuthority:
		if tlsFiles != nil && tlsFiles.CAFile != "" {
			return "the broker's certificate is not signed by a CA in KAFKA_TLS_CA_FILE: set it to the CA that signs the cluster's certificates"
		}
		return "the broker's certificate is not signed by a CA the system trusts: set KAFKA_TLS_CA_FILE to the cluster's CA"
	case tlsconf.WrongHost:
		return fmt.Sprintf("the broker's certificate is not valid for %q: set KAFKA_TLS_SERVER_NAME to a name it holds, or use that name in KAFKA_BROKERS", host)
	case tlsconf.InvalidCertificate:
		return "the broker's certificate is invalid (expired, not yet valid, or not for servers): renew it, or check the clock"
	case tlsconf.NotTLS:
		return "KAFKA_TLS_ENABLED=true but the listener at KAFKA_BROKERS does not speak TLS: use the broker's SSL or SASL_SSL port, or set KAFKA_TLS_ENABLED=false"
	case tlsconf.ClientCertRefused, tlsconf.ClientCAUnknown, tlsconf.ClientCertExpired:
		if tlsFiles == nil || tlsFiles.CertFile == "" {
			return "the broker requires a client certificate: set KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE"
		}
		return "the broker rejected the client certificate in KAFKA_TLS_CERT_FILE: it must be signed by a CA the broker trusts (ssl.truststore) and be valid now"
	}

	if errors.Is(err, errTokenFetch) {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode >= 400 && re.Response.StatusCode < 500 && re.Response.StatusCode != 429 {
			return fmt.Sprintf("KAFKA_SASL_OAUTH_TOKEN_URL refused the client credentials (HTTP %d %s): check KAFKA_SASL_OAUTH_CLIENT_ID=%s, KAFKA_SASL_OAUTH_CLIENT_SECRET and KAFKA_SASL_OAUTH_SCOPES",
				re.Response.StatusCode, re.ErrorCode, sasl.OAuth.ClientID)
		}
	}
	if errors.Is(err, errAWSCredentials) {
		// The SDK's providers answer a refusal (an unknown or unauthorized
		// role, a web identity token STS rejects, an instance without a
		// role) with a 4xx; anything else may pass.
		var re *awshttp.ResponseError
		if errors.As(err, &re) && re.HTTPStatusCode() >= 400 && re.HTTPStatusCode() < 500 && re.HTTPStatusCode() != 429 {
			return fmt.Sprintf("the AWS SDK's default credential chain was refused credentials for AWS_MSK_IAM (HTTP %d): check the identity the bridge runs as (AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE for EKS IRSA, the EKS Pod Identity association, AWS_PROFILE, the instance role)",
				re.HTTPStatusCode())
		}
	}
	if errors.Is(err, errCredential) {
		return "a Kafka SASL credential cannot be used"
	}
	return ""
}

// iamCheck says what to check when MSK refuses an AWS_MSK_IAM signature.
func iamCheck(a config.AWSIAM) string {
	from := "the AWS SDK's region (AWS_REGION)"
	if a.RegionSource == config.RegionFromBrokers {
		from = "taken from the MSK host names in KAFKA_BROKERS"
	}
	return fmt.Sprintf("check that the credentials of the AWS SDK's default chain belong to the intended identity (EKS IRSA, EKS Pod Identity, instance role, AWS_PROFILE), that its IAM policy allows kafka-cluster:Connect on the cluster, and that the cluster is in region %s, %s", a.Region, from)
}

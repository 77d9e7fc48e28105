package kafkasec

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/segmentio/kafka-go"

	"github.com/analytics-bridge/analytics-bridge/config"
)

func TestExplain(t *testing.T) {
	scram := config.Config{KafkaTopic: "events", KafkaDLQTopic: "events.dlq", CheckpointTopic: "cp", BridgeName: "orders",
		TransactionalID: config.TransactionalIDPrefix + "orders", CreateTopics: true,
		KafkaSecurity: config.KafkaSecurity{TLS: &config.TLSFiles{CAFile: "/ca.pem"},
			SASL: config.SASL{Mechanism: config.SASLScramSHA512, Username: "bridge", Password: "pw-SECRET"}}}
	mtls := scram
	mtls.KafkaSecurity = config.KafkaSecurity{TLS: &config.TLSFiles{CertFile: "/c.pem", KeyFile: "/k.pem"}}
	oauth := scram
	oauth.KafkaSecurity.SASL = config.SASL{Mechanism: config.SASLOAuthBearer, OAuth: config.OAuthClient{TokenURL: "https://idp/token", ClientID: "c"}}
	oauthCA := oauth
	oauthCA.KafkaSecurity.SASL.OAuth.CAFile = "/idp-ca.pem"
	iam := scram
	iam.KafkaSecurity.SASL = config.SASL{Mechanism: config.SASLAWSMSKIAM, AWS: config.AWSIAM{Region: "eu-west-1", RegionSource: config.RegionFromBrokers}}
	awsHTTP := func(status int) error {
		return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: errors.New("api error")}}
	}
	wrap := func(err error) error { return fmt.Errorf("reaching Kafka: kafka.(*Client).Metadata: %w", err) }
	remote := func(alert string) error {
		return &net.OpError{Op: "remote error", Err: errors.New("tls: " + alert)}
	}
	tests := []struct {
		name string
		cfg  config.Config
		err  error
		want string // "" means retry
	}{
		{"wrong password", scram, wrap(kafka.SASLAuthenticationFailed), "the broker rejected KAFKA_SASL_USERNAME=bridge with KAFKA_SASL_MECHANISM=SCRAM-SHA-512: check KAFKA_SASL_PASSWORD"},
		{"mechanism not enabled", scram, wrap(kafka.UnsupportedSASLMechanism), "the broker does not enable KAFKA_SASL_MECHANISM=SCRAM-SHA-512"},
		{"topic acl", scram, wrap(kafka.TopicAuthorizationFailed), "missing ACL (TOPIC_AUTHORIZATION_FAILED): grant Describe, Read and Write on topics events, events.dlq and cp; with KAFKA_CREATE_TOPICS=true also Create"},
		{"transactional id acl", scram, wrap(kafka.TransactionalIDAuthorizationFailed), "grant Describe and Write on TransactionalId analytics-bridge.txn.orders"},
		{"group acl", scram, wrap(kafka.GroupAuthorizationFailed), "grant Describe and Read on Group analytics-bridge.lease.orders"},
		{"cluster acl", scram, wrap(kafka.ClusterAuthorizationFailed), "missing ACL (CLUSTER_AUTHORIZATION_FAILED)"},
		{"unknown CA", scram, wrap(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), "not signed by a CA in KAFKA_TLS_CA_FILE"},
		{"unknown CA, system roots", mtls, wrap(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), "not signed by a CA the system trusts: set KAFKA_TLS_CA_FILE"},
		{"host name", scram, wrap(&tls.CertificateVerificationError{Err: x509.HostnameError{Certificate: &x509.Certificate{}, Host: "kafka-1"}}), `not valid for "kafka-1": set KAFKA_TLS_SERVER_NAME`},
		{"expired", scram, wrap(&tls.CertificateVerificationError{Err: x509.CertificateInvalidError{Reason: x509.Expired}}), "the broker's certificate is invalid"},
		{"not TLS", scram, wrap(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), "does not speak TLS"},
		{"client cert rejected", mtls, wrap(remote("bad certificate")), "the broker rejected the client certificate in KAFKA_TLS_CERT_FILE"},
		{"client cert missing", scram, wrap(remote("certificate required")), "the broker requires a client certificate"},
		{"token endpoint CA", oauth, fmt.Errorf("%w: %w", errTokenFetch, &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), "the certificate of KAFKA_SASL_OAUTH_TOKEN_URL is not signed by a CA the system trusts: set KAFKA_SASL_OAUTH_CA_FILE"},
		{"token endpoint CA file", oauthCA, fmt.Errorf("%w: %w", errTokenFetch, &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), "not signed by a CA in KAFKA_SASL_OAUTH_CA_FILE or the system roots"},
		{"credential file", scram, fmt.Errorf("%w: reading KAFKA_SASL_PASSWORD_FILE: %w", errCredential, io.ErrUnexpectedEOF), "a Kafka SASL credential cannot be used"},

		{"iam signature refused", iam, wrap(kafka.SASLAuthenticationFailed), "the broker refused the AWS_MSK_IAM signature: check that the credentials of the AWS SDK's default chain belong to the intended identity (EKS IRSA, EKS Pod Identity, instance role, AWS_PROFILE), that its IAM policy allows kafka-cluster:Connect on the cluster, and that the cluster is in region eu-west-1, taken from the MSK host names in KAFKA_BROKERS"},
		{"iam not offered", iam, wrap(kafka.UnsupportedSASLMechanism), "the listener at KAFKA_BROKERS does not offer KAFKA_SASL_MECHANISM=AWS_MSK_IAM: turn on IAM access control on the MSK cluster and use its IAM bootstrap brokers (port 9098, or 9198 for public access)"},
		{"iam topic permission", iam, wrap(kafka.TopicAuthorizationFailed), "missing IAM permission (TOPIC_AUTHORIZATION_FAILED): allow kafka-cluster:DescribeTopic, kafka-cluster:ReadData and kafka-cluster:WriteData on topics events, events.dlq and cp; with KAFKA_CREATE_TOPICS=true also kafka-cluster:CreateTopic on them"},
		{"iam transactional id permission", iam, wrap(kafka.TransactionalIDAuthorizationFailed), "allow kafka-cluster:DescribeTransactionalId and kafka-cluster:AlterTransactionalId on transactional-id analytics-bridge.txn.orders (analytics-bridge.txn.* serves every bridge), or set KAFKA_TRANSACTIONS=false"},
		{"iam group permission", iam, wrap(kafka.GroupAuthorizationFailed), "allow kafka-cluster:DescribeGroup and kafka-cluster:AlterGroup on group analytics-bridge.lease.orders"},
		{"iam cluster permission", iam, wrap(kafka.ClusterAuthorizationFailed), "allow kafka-cluster:WriteDataIdempotently on the cluster"},
		{"iam credentials refused", iam, fmt.Errorf("%w: %w", errAWSCredentials, fmt.Errorf("failed to refresh cached credentials, %w", awsHTTP(403))), "the AWS SDK's default credential chain was refused credentials for AWS_MSK_IAM (HTTP 403): check the identity the bridge runs as"},

		{"broker down", scram, wrap(io.ErrUnexpectedEOF), ""},
		{"iam credentials unreachable", iam, fmt.Errorf("%w: %w", errAWSCredentials, io.EOF), ""},
		{"iam credentials throttled", iam, fmt.Errorf("%w: %w", errAWSCredentials, awsHTTP(429)), ""},
		{"iam credentials server error", iam, fmt.Errorf("%w: %w", errAWSCredentials, awsHTTP(503)), ""},
		{"connection refused", scram, wrap(&net.OpError{Op: "dial", Err: errors.New("connect: connection refused")}), ""},
		{"leader moved", scram, wrap(kafka.NotLeaderForPartition), ""},
		{"canceled", scram, wrap(context.Canceled), ""},
		{"token endpoint down", scram, fmt.Errorf("%w: %w", errTokenFetch, io.EOF), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Explain(tt.err, tt.cfg)
			if tt.want == "" {
				if got != nil {
					t.Fatalf("Explain = %v, want nil (retry)", got)
				}
				return
			}
			if got == nil || !errors.Is(got, ErrDenied) || !errors.Is(got, tt.err) {
				t.Fatalf("Explain = %v, want an error wrapping ErrDenied and the cause", got)
			}
			if !strings.Contains(got.Error(), tt.want) || strings.Contains(got.Error(), "\n") || strings.Contains(got.Error(), "SECRET") {
				t.Fatalf("Explain = %q, want one line containing %q and no secret", got, tt.want)
			}
			if Explain(got, tt.cfg) != nil {
				t.Error("an explanation was explained again")
			}
		})
	}
}

package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/analytics-bridge/analytics-bridge/config"
)

// isolateAWS hides the machine's AWS settings from the SDK: no region or
// profile in the environment, shared files that do not exist, and no
// instance metadata service to ask.
func isolateAWS(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for name, value := range map[string]string{
		"AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_PROFILE": "", "AWS_DEFAULT_PROFILE": "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "no-config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "no-credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(name, value)
	}
}

const (
	mskBroker        = "b-1.orders.a1b2c3.c2.kafka.eu-west-1.amazonaws.com:9098"
	mskBroker2       = "b-2.orders.a1b2c3.c2.kafka.eu-west-1.amazonaws.com:9098"
	mskPublicBroker  = "b-1-public.orders.a1b2c3.c2.kafka.ap-southeast-2.amazonaws.com:9198"
	serverlessBroker = "boot-a1b2c3d4.c1.kafka-serverless.us-east-2.amazonaws.com:9098"
)

// iam is a valid environment with AWS_MSK_IAM over TLS to brokers.
func iam(brokers string) config.Env {
	e := valid()
	e.KafkaBrokers = brokers
	e.KafkaTLSEnabled = "true"
	e.KafkaSASLMechanism = "aws_msk_iam"
	return e
}

func TestAWSMSKIAMRegion(t *testing.T) {
	profile := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(profile, []byte("[default]\nregion = sa-east-1\n[profile bridge]\nregion = ca-central-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		brokers    string
		env        map[string]string
		wantRegion string
		wantSource string
	}{
		{"AWS_REGION", "kafka.internal:9098", map[string]string{"AWS_REGION": "eu-central-1"}, "eu-central-1", config.RegionFromSDK},
		{"AWS_REGION agreeing with the brokers", mskBroker + "," + mskBroker2, map[string]string{"AWS_REGION": "eu-west-1"}, "eu-west-1", config.RegionFromSDK},
		{"AWS_DEFAULT_REGION", "kafka.internal:9098", map[string]string{"AWS_DEFAULT_REGION": "us-west-2"}, "us-west-2", config.RegionFromSDK},
		{"the default profile", "kafka.internal:9098", map[string]string{"AWS_CONFIG_FILE": profile}, "sa-east-1", config.RegionFromSDK},
		{"AWS_PROFILE", "kafka.internal:9098", map[string]string{"AWS_CONFIG_FILE": profile, "AWS_PROFILE": "bridge"}, "ca-central-1", config.RegionFromSDK},
		{"provisioned broker names", mskBroker + "," + mskBroker2, nil, "eu-west-1", config.RegionFromBrokers},
		{"public access broker name", mskPublicBroker, nil, "ap-southeast-2", config.RegionFromBrokers},
		{"serverless bootstrap name", serverlessBroker, nil, "us-east-2", config.RegionFromBrokers},
		{"an MSK name among others", "kafka-alias.corp:9098," + mskBroker, nil, "eu-west-1", config.RegionFromBrokers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolateAWS(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			sasl := validated(t, iam(tt.brokers)).KafkaSecurity.SASL
			if sasl.Mechanism != config.SASLAWSMSKIAM || sasl.AWS.Region != tt.wantRegion || sasl.AWS.RegionSource != tt.wantSource {
				t.Errorf("SASL = %+v, want AWS_MSK_IAM in %s from %s", sasl, tt.wantRegion, tt.wantSource)
			}
		})
	}
}

func TestAWSMSKIAMProblems(t *testing.T) {
	tests := []struct {
		name   string
		env    config.Env
		aws    map[string]string
		want   []string
		reject []string // must not be reported
	}{
		{"without TLS", func() config.Env { e := iam(mskBroker); e.KafkaTLSEnabled = "false"; return e }(), nil,
			[]string{"KAFKA_SASL_MECHANISM: AWS_MSK_IAM needs TLS (MSK serves IAM authentication on TLS listeners only, ports 9098 and 9198): set KAFKA_TLS_ENABLED=true"},
			[]string{"KAFKA_SASL_ALLOW_PLAINTEXT"}},
		{"KAFKA_SASL_ALLOW_PLAINTEXT does not lift it", func() config.Env {
			e := iam(mskBroker)
			e.KafkaTLSEnabled, e.KafkaSASLAllowPlaintext = "false", "true"
			return e
		}(), nil, []string{"set KAFKA_TLS_ENABLED=true (KAFKA_SASL_ALLOW_PLAINTEXT applies to PLAIN only)"}, nil},
		{"no region anywhere", iam("kafka-1.internal:9098,10.0.0.7:9098"), nil,
			[]string{"AWS_REGION: is required with KAFKA_SASL_MECHANISM=AWS_MSK_IAM: the AWS SDK found no region (AWS_REGION, AWS_DEFAULT_REGION or the profile's region), and KAFKA_BROKERS holds no MSK host name"}, nil},
		{"AWS_REGION of another region than the brokers", iam(mskBroker), map[string]string{"AWS_REGION": "us-east-1"},
			[]string{"AWS_REGION: the AWS SDK's region us-east-1 (AWS_REGION, AWS_DEFAULT_REGION or the profile's) is not eu-west-1, the region in the MSK host names of KAFKA_BROKERS, and MSK refuses a signature for another region: set AWS_REGION=eu-west-1"}, nil},
		{"brokers of two regions", iam(mskBroker + "," + serverlessBroker), nil,
			[]string{"KAFKA_BROKERS: the MSK host names are in different regions (eu-west-1, us-east-2)", "AWS_REGION: is required"}, nil},
		{"a profile that does not exist", iam(mskBroker), map[string]string{"AWS_PROFILE": "nobody"},
			[]string{"KAFKA_SASL_MECHANISM: AWS_MSK_IAM cannot read the AWS SDK's configuration"}, nil},
		{"user name and password", func() config.Env {
			e := iam(mskBroker)
			e.KafkaSASLUsername, e.KafkaSASLPassword, e.KafkaSASLPasswordFile = "bridge", "pw-s3cr3t", "/run/pw"
			return e
		}(), nil, []string{
			"KAFKA_SASL_USERNAME: is not used by KAFKA_SASL_MECHANISM=AWS_MSK_IAM, which signs with the credentials of the AWS SDK's default chain: unset it",
			"KAFKA_SASL_PASSWORD: is not used by KAFKA_SASL_MECHANISM=AWS_MSK_IAM",
			"KAFKA_SASL_PASSWORD_FILE: is not used by KAFKA_SASL_MECHANISM=AWS_MSK_IAM"}, []string{"s3cr3t"}},
		{"OAuth variables", func() config.Env {
			e := iam(mskBroker)
			e.KafkaOAuthTokenURL, e.KafkaOAuthClientID, e.KafkaOAuthClientSecret = "https://idp/token", "client", "cs-s3cr3t"
			e.KafkaOAuthSecretFile, e.KafkaOAuthScopes, e.KafkaOAuthCAFile, e.KafkaOAuthExtensions = "/run/cs", "kafka", "/ca.pem", "a=b"
			return e
		}(), nil, []string{
			"KAFKA_SASL_OAUTH_TOKEN_URL: is not used by KAFKA_SASL_MECHANISM=AWS_MSK_IAM",
			"KAFKA_SASL_OAUTH_CLIENT_ID: is not used",
			"KAFKA_SASL_OAUTH_CLIENT_SECRET: is not used",
			"KAFKA_SASL_OAUTH_CLIENT_SECRET_FILE: is not used",
			"KAFKA_SASL_OAUTH_SCOPES: is not used",
			"KAFKA_SASL_OAUTH_CA_FILE: is not used",
			"KAFKA_SASL_OAUTH_EXTENSIONS: is not used"}, []string{"s3cr3t"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			isolateAWS(t)
			for k, v := range tt.aws {
				t.Setenv(k, v)
			}
			requireProblems(t, func(e *config.Env) { *e = tt.env }, tt.want)
			_, err := tt.env.Validate()
			for _, r := range tt.reject {
				if strings.Contains(err.Error(), r) {
					t.Errorf("error has %q:\n%v", r, err)
				}
			}
		})
	}
}

func TestMSKHostRegion(t *testing.T) {
	for host, want := range map[string]string{
		"b-1.orders.a1b2c3.c2.kafka.eu-west-1.amazonaws.com":             "eu-west-1",
		"B-3.Orders.A1B2C3.C14.Kafka.US-EAST-1.AmazonAWS.com.":           "us-east-1",
		"b-2-public.orders.a1b2c3.c2.kafka.ap-southeast-2.amazonaws.com": "ap-southeast-2",
		"boot-a1b2c3d4.c1.kafka-serverless.us-east-2.amazonaws.com":      "us-east-2",
		"b-1.orders.a1b2c3.c2.kafka.cn-north-1.amazonaws.com.cn":         "cn-north-1",
		"b-1.orders.a1b2c3.c4.kafka.us-gov-west-1.amazonaws.com":         "us-gov-west-1",
		"kafka.eu-west-1.amazonaws.com.evil.example":                     "",
		"b-1.kafka.internal":                             "",
		"kafka.us-east-1.amazonaws.com":                  "",
		"b-1.orders.c2.kafka.not_a_region.amazonaws.com": "",
		"10.0.0.7": "",
		"":         "",
	} {
		got, ok := config.MSKHostRegion(host)
		if got != want || ok != (want != "") {
			t.Errorf("MSKHostRegion(%q) = %q, %v; want %q", host, got, ok, want)
		}
	}
}

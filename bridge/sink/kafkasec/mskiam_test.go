package kafkasec

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	signer "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/segmentio/kafka-go/sasl"

	"github.com/analytics-bridge/analytics-bridge/config"
)

// Example credentials of the AWS documentation; the secret must never
// appear in what the bridge sends.
const (
	testAccessKey = "AKIAIOSFODNN7EXAMPLE"
	testSecretKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	testToken     = "session-token-of-the-role"
	mskHost       = "b-1.orders.a1b2c3.c2.kafka.eu-west-1.amazonaws.com"
)

// mskServer is what an MSK broker knows when it checks an AWS_MSK_IAM
// payload: its own host and region, the clock, and the secret behind each
// access key (which AWS, not the broker, knows; a test stands in for both).
type mskServer struct {
	host    string
	region  string
	now     time.Time
	secrets map[string]string
}

// verify checks an AWS_MSK_IAM payload as the broker would: the fields of
// aws-msk-iam-auth's protocol (version 2020_10_22), a credential scoped to
// the broker's region and the kafka-cluster service, a signing time within
// the expiry, and a SigV4 query signature the AWS SDK's signer reproduces
// with the secret of the access key. It returns the decoded payload.
func (s mskServer) verify(payload []byte) (map[string]string, error) {
	var p map[string]string
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, fmt.Errorf("payload is not a JSON object of strings: %w", err)
	}
	for key, want := range map[string]string{
		"version":             "2020_10_22",
		"host":                s.host,
		"action":              "kafka-cluster:Connect",
		"x-amz-algorithm":     "AWS4-HMAC-SHA256",
		"x-amz-signedheaders": "host",
	} {
		if p[key] != want {
			return p, fmt.Errorf("%s = %q, want %q", key, p[key], want)
		}
	}
	if p["user-agent"] == "" {
		return p, errors.New("no user-agent")
	}
	signed, err := time.Parse("20060102T150405Z", p["x-amz-date"])
	if err != nil {
		return p, fmt.Errorf("x-amz-date %q: %w", p["x-amz-date"], err)
	}
	expires, err := time.ParseDuration(p["x-amz-expires"] + "s")
	if err != nil || expires <= 0 {
		return p, fmt.Errorf("x-amz-expires %q", p["x-amz-expires"])
	}
	if s.now.Before(signed.Add(-5*time.Minute)) || s.now.After(signed.Add(expires)) {
		return p, fmt.Errorf("signed at %s for %s, now is %s", signed, expires, s.now)
	}
	scope := strings.Split(p["x-amz-credential"], "/")
	if len(scope) != 5 || scope[1] != signed.Format("20060102") || scope[2] != s.region || scope[3] != "kafka-cluster" || scope[4] != "aws4_request" {
		return p, fmt.Errorf("x-amz-credential %q is not <key>/%s/%s/kafka-cluster/aws4_request", p["x-amz-credential"], signed.Format("20060102"), s.region)
	}
	secret, ok := s.secrets[scope[0]]
	if !ok {
		return p, fmt.Errorf("unknown access key %s", scope[0])
	}
	for k, v := range p {
		if strings.Contains(v, secret) {
			return p, fmt.Errorf("the secret access key is in %s", k)
		}
	}
	// Sign the same request with the secret; the signatures must agree.
	query := url.Values{"Action": {"kafka-cluster:Connect"}, "X-Amz-Expires": {p["x-amz-expires"]}}
	req, err := http.NewRequest(http.MethodGet, (&url.URL{Scheme: "kafka", Host: s.host, Path: "/", RawQuery: query.Encode()}).String(), nil)
	if err != nil {
		return p, err
	}
	empty := sha256.Sum256(nil)
	uri, _, err := signer.NewSigner().PresignHTTP(context.Background(),
		aws.Credentials{AccessKeyID: scope[0], SecretAccessKey: secret, SessionToken: p["x-amz-security-token"]},
		req, hex.EncodeToString(empty[:]), "kafka-cluster", s.region, signed)
	if err != nil {
		return p, err
	}
	u, err := url.Parse(uri)
	if err != nil {
		return p, err
	}
	want := u.Query().Get("X-Amz-Signature")
	if got := p["x-amz-signature"]; len(got) != 64 || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return p, fmt.Errorf("x-amz-signature %q does not match the request signed with the key's secret", got)
	}
	return p, nil
}

// TestMSKIAMPayload decodes the initial response of the AWS_MSK_IAM
// mechanism signed with static credentials at a fixed time and checks it
// field by field, then as a broker of the cluster's region would.
func TestMSKIAMPayload(t *testing.T) {
	signedAt := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	m := mskIAMWith(credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, testToken), "eu-west-1")
	m.m.SignTime = signedAt
	if m.Name() != "AWS_MSK_IAM" {
		t.Fatalf("Name() = %q", m.Name())
	}
	ctx := sasl.WithMetadata(context.Background(), &sasl.Metadata{Host: mskHost, Port: 9098})
	sm, ir, err := m.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(ir), testSecretKey) {
		t.Fatal("the payload carries the secret access key")
	}
	var p map[string]string
	if err := json.Unmarshal(ir, &p); err != nil {
		t.Fatalf("payload %s: %v", ir, err)
	}
	for key, want := range map[string]string{
		"version":              "2020_10_22",
		"host":                 mskHost,
		"action":               "kafka-cluster:Connect",
		"x-amz-algorithm":      "AWS4-HMAC-SHA256",
		"x-amz-credential":     testAccessKey + "/20260304/eu-west-1/kafka-cluster/aws4_request",
		"x-amz-date":           "20260304T050607Z",
		"x-amz-expires":        "300",
		"x-amz-signedheaders":  "host",
		"x-amz-security-token": testToken,
	} {
		if p[key] != want {
			t.Errorf("%s = %q, want %q", key, p[key], want)
		}
	}
	if !strings.HasPrefix(p["user-agent"], "kafka-go/sasl/aws_msk_iam_v2/") {
		t.Errorf("user-agent = %q", p["user-agent"])
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(p["x-amz-signature"]) {
		t.Errorf("x-amz-signature = %q, want 64 hex digits", p["x-amz-signature"])
	}
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if got := strings.Join(keys, " "); got != "action host user-agent version x-amz-algorithm x-amz-credential x-amz-date x-amz-expires x-amz-security-token x-amz-signature x-amz-signedheaders" {
		t.Errorf("payload keys: %s", got)
	}

	broker := mskServer{host: mskHost, region: "eu-west-1", now: signedAt.Add(time.Minute), secrets: map[string]string{testAccessKey: testSecretKey}}
	if _, err := broker.verify(ir); err != nil {
		t.Errorf("the cluster's broker refuses the payload: %v", err)
	}
	for name, other := range map[string]mskServer{
		"a broker of another region": {host: mskHost, region: "us-east-1", now: broker.now, secrets: broker.secrets},
		"another broker host":        {host: "b-2.orders.a1b2c3.c2.kafka.eu-west-1.amazonaws.com", region: "eu-west-1", now: broker.now, secrets: broker.secrets},
		"another secret":             {host: mskHost, region: "eu-west-1", now: broker.now, secrets: map[string]string{testAccessKey: "not-the-secret"}},
		"after the expiry":           {host: mskHost, region: "eu-west-1", now: signedAt.Add(6 * time.Minute), secrets: broker.secrets},
	} {
		if _, err := other.verify(ir); err == nil {
			t.Errorf("%s accepts the payload", name)
		}
	}

	// The broker's answer ends the exchange.
	done, resp, err := sm.Next(ctx, []byte(`{"version":"2020_10_22","request-id":"r-1"}`))
	if !done || resp != nil || err != nil {
		t.Errorf("Next = %v, %q, %v; want done", done, resp, err)
	}
}

// countingProvider hands out new credentials at each retrieval, valid for
// lifetime.
type countingProvider struct {
	n        atomic.Int32
	lifetime time.Duration
}

func (c *countingProvider) Retrieve(context.Context) (aws.Credentials, error) {
	n := c.n.Add(1)
	return aws.Credentials{AccessKeyID: fmt.Sprintf("AKIAKEY%d", n), SecretAccessKey: "secret", CanExpire: true, Expires: time.Now().Add(c.lifetime)}, nil
}

// TestMSKIAMRenewsCredentials: credentials are reused while they are fresh
// and renewed once they come within credentialsExpiryWindow of expiry.
func TestMSKIAMRenewsCredentials(t *testing.T) {
	ctx := sasl.WithMetadata(context.Background(), &sasl.Metadata{Host: mskHost, Port: 9098})
	keyOf := func(m *mskIAM) string {
		t.Helper()
		_, ir, err := m.Start(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var p map[string]string
		if err := json.Unmarshal(ir, &p); err != nil {
			t.Fatal(err)
		}
		return strings.SplitN(p["x-amz-credential"], "/", 2)[0]
	}
	fresh := &countingProvider{lifetime: time.Hour}
	m := mskIAMWith(fresh, "eu-west-1")
	if a, b := keyOf(m), keyOf(m); a != "AKIAKEY1" || b != "AKIAKEY1" || fresh.n.Load() != 1 {
		t.Errorf("fresh credentials: signed with %s then %s after %d retrievals, want AKIAKEY1 twice from one", a, b, fresh.n.Load())
	}
	lapsing := &countingProvider{lifetime: credentialsExpiryWindow - time.Minute}
	m = mskIAMWith(lapsing, "eu-west-1")
	if a, b := keyOf(m), keyOf(m); a != "AKIAKEY1" || b != "AKIAKEY2" {
		t.Errorf("credentials about to expire: signed with %s then %s, want AKIAKEY1 then AKIAKEY2", a, b)
	}
}

// isolateAWS hides the machine's AWS settings from the SDK and turns off
// the instance metadata service, so that nothing is asked over the network.
func isolateAWS(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for name, value := range map[string]string{
		"AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_PROFILE": "", "AWS_DEFAULT_PROFILE": "",
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "",
		"AWS_ROLE_ARN": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "no-config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "no-credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(name, value)
	}
}

// TestMSKIAMDefaultChain: New takes the credentials from the AWS SDK's
// default chain (here its first link, the environment) and signs for the
// region the configuration resolved.
func TestMSKIAMDefaultChain(t *testing.T) {
	isolateAWS(t)
	t.Setenv("AWS_ACCESS_KEY_ID", testAccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", testSecretKey)
	t.Setenv("AWS_SESSION_TOKEN", testToken)
	t.Setenv("AWS_REGION", "us-east-1") // the configuration's region wins
	d, err := New(config.Config{KafkaSecurity: config.KafkaSecurity{TLS: &config.TLSFiles{},
		SASL: config.SASL{Mechanism: config.SASLAWSMSKIAM, AWS: config.AWSIAM{Region: "eu-west-1", RegionSource: config.RegionFromBrokers}}}})
	if err != nil {
		t.Fatal(err)
	}
	if d.TLS == nil || d.SASL.Name() != "AWS_MSK_IAM" {
		t.Fatalf("dial = %+v", d)
	}
	_, ir, err := d.SASL.Start(sasl.WithMetadata(context.Background(), &sasl.Metadata{Host: mskHost, Port: 9098}))
	if err != nil {
		t.Fatal(err)
	}
	broker := mskServer{host: mskHost, region: "eu-west-1", now: time.Now(), secrets: map[string]string{testAccessKey: testSecretKey}}
	p, err := broker.verify(ir)
	if err != nil {
		t.Fatalf("payload %s: %v", ir, err)
	}
	if p["x-amz-security-token"] != testToken {
		t.Errorf("session token %q", p["x-amz-security-token"])
	}

	// Without credentials the chain ends at the instance metadata
	// service, turned off here: the failure is a credential failure.
	isolateAWS(t)
	d, err = New(config.Config{KafkaSecurity: config.KafkaSecurity{TLS: &config.TLSFiles{},
		SASL: config.SASL{Mechanism: config.SASLAWSMSKIAM, AWS: config.AWSIAM{Region: "eu-west-1"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.SASL.Start(sasl.WithMetadata(context.Background(), &sasl.Metadata{Host: mskHost, Port: 9098})); !errors.Is(err, errAWSCredentials) {
		t.Errorf("no credentials: %v, want errAWSCredentials", err)
	}
}

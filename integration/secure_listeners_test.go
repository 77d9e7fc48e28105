package integration

// Tests of the real broker's secured listeners (integration/kafka/kafka.sh
// with KAFKA_SECURE=1), with franz-go's client alone: they check that the
// listeners, users, certificates and authorization are what the bridge's
// own TLS/SASL tests rely on. They run only when the KAFKA_TEST_* variables
// of `kafka.sh secure-env` are set:
//
//	KAFKA_PORT=9292 KAFKA_SECURE=1 integration/kafka/kafka.sh start
//	eval "$(KAFKA_PORT=9292 integration/kafka/kafka.sh secure-env)"
//	KAFKA_BROKERS=127.0.0.1:9292 go test -count=1 -run Secure -v ./integration
//
// The file is in package integration (not integration_test) so that its
// helpers cannot collide with those of the bridge's tests.

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/testpki"
)

// secureTimeout bounds each test's broker calls.
const secureTimeout = 60 * time.Second

// secureEnv is what `kafka.sh secure-env` exports.
type secureEnv struct {
	saslBrokers, mtlsBrokers []string
	caFile, otherCAFile      string
	certFile, keyFile        string
	rogueCert, rogueKey      string
	user, password           string
	noaclUser, noaclPassword string
	oauthSubject             string
}

// loadSecureEnv skips the test unless the secured broker's variables are
// set; once KAFKA_TEST_SASL_SSL_BROKERS is, every other one must be too.
func loadSecureEnv(t *testing.T) *secureEnv {
	t.Helper()
	if strings.TrimSpace(os.Getenv("KAFKA_TEST_SASL_SSL_BROKERS")) == "" {
		t.Skip(`KAFKA_TEST_SASL_SSL_BROKERS is not set: start the broker with KAFKA_SECURE=1 and eval "$(integration/kafka/kafka.sh secure-env)"`)
	}
	get := func(name string) string {
		v := strings.TrimSpace(os.Getenv(name))
		if v == "" {
			t.Fatalf("%s is not set (KAFKA_TEST_SASL_SSL_BROKERS is): eval the whole of kafka.sh secure-env", name)
		}
		return v
	}
	return &secureEnv{
		saslBrokers:   strings.Split(get("KAFKA_TEST_SASL_SSL_BROKERS"), ","),
		mtlsBrokers:   strings.Split(get("KAFKA_TEST_MTLS_BROKERS"), ","),
		caFile:        get("KAFKA_TEST_CA_FILE"),
		otherCAFile:   get("KAFKA_TEST_OTHER_CA_FILE"),
		certFile:      get("KAFKA_TEST_CLIENT_CERT_FILE"),
		keyFile:       get("KAFKA_TEST_CLIENT_KEY_FILE"),
		rogueCert:     get("KAFKA_TEST_ROGUE_CERT_FILE"),
		rogueKey:      get("KAFKA_TEST_ROGUE_KEY_FILE"),
		user:          get("KAFKA_TEST_SASL_USERNAME"),
		password:      get("KAFKA_TEST_SASL_PASSWORD"),
		noaclUser:     get("KAFKA_TEST_NOACL_USERNAME"),
		noaclPassword: get("KAFKA_TEST_NOACL_PASSWORD"),
		oauthSubject:  get("KAFKA_TEST_OAUTH_SUBJECT"),
	}
}

// tlsConfig trusts the CA in caFile and, with certFile, presents that
// client certificate.
func tlsConfig(t *testing.T, caFile, certFile, keyFile string) *tls.Config {
	t.Helper()
	roots, err := testpki.CertPool(caFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg
}

// unsecuredJWT is a token for Kafka's unsecured OAUTHBEARER validator:
// header {"alg":"none"}, the claims, and an empty signature.
func unsecuredJWT(t *testing.T, sub string, iat, exp time.Time) string {
	t.Helper()
	claims, err := json.Marshal(map[string]any{"sub": sub, "iat": iat.Unix(), "exp": exp.Unix()})
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"none"}`)) + "." + enc.EncodeToString(claims) + "."
}

func (e *secureEnv) scram512(user, password string) sasl.Mechanism {
	return scram.Auth{User: user, Pass: password}.AsSha512Mechanism()
}

func (e *secureEnv) oauth(t *testing.T, sub string) sasl.Mechanism {
	now := time.Now()
	return oauth.Auth{Token: unsecuredJWT(t, sub, now, now.Add(time.Hour))}.AsMechanism()
}

// saslClient is a client of the SASL_SSL listener.
func (e *secureEnv) saslClient(t *testing.T, mech sasl.Mechanism, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	return secureClient(t, e.saslBrokers, append([]kgo.Opt{
		kgo.DialTLSConfig(tlsConfig(t, e.caFile, "", "")),
		kgo.SASL(mech),
	}, opts...)...)
}

// mtlsClient is a client of the SSL listener with the given certificate.
func (e *secureEnv) mtlsClient(t *testing.T, caFile, certFile, keyFile string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	return secureClient(t, e.mtlsBrokers, append([]kgo.Opt{
		kgo.DialTLSConfig(tlsConfig(t, caFile, certFile, keyFile)),
	}, opts...)...)
}

func secureClient(t *testing.T, brokers []string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	return kafkatest.NewClient(t, brokers, append([]kgo.Opt{
		kgo.ClientID("secure-listeners-test"),
		kgo.FetchMaxWait(200 * time.Millisecond),
		kgo.RetryTimeout(15 * time.Second),
	}, opts...)...)
}

var unsafeTopicChars = regexp.MustCompile(`[^a-zA-Z0-9.-]+`)

// secureTopic is a topic name of its own for t.
func secureTopic(t *testing.T) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	name := unsafeTopicChars.ReplaceAllString(t.Name(), "-")
	if len(name) > 80 {
		name = name[:80]
	}
	return "secure-" + name + "-" + hex.EncodeToString(b[:])
}

func secureCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), secureTimeout)
	t.Cleanup(cancel)
	return ctx
}

func createSecureTopic(ctx context.Context, t *testing.T, cl *kgo.Client, topic string) {
	t.Helper()
	if err := tryCreateTopic(ctx, cl, topic); err != nil {
		t.Fatalf("creating %s: %v", topic, err)
	}
}

func tryCreateTopic(ctx context.Context, cl *kgo.Client, topic string) error {
	req := kmsg.NewPtrCreateTopicsRequest()
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = topic, 1, 1
	req.Topics = append(req.Topics, rt)
	req.TimeoutMillis = 30000
	res, err := req.RequestWith(ctx, cl)
	if err != nil {
		return err
	}
	return kerr.ErrorForCode(res.Topics[0].ErrorCode)
}

// roundTrip creates a topic with cl, produces records to it with cl and
// reads them back with a second client built from newClient, as a client
// of the listener under test would.
func roundTrip(t *testing.T, cl *kgo.Client, newClient func(...kgo.Opt) *kgo.Client) {
	t.Helper()
	ctx := secureCtx(t)
	topic := secureTopic(t)
	createSecureTopic(ctx, t, cl, topic)
	const n = 3
	var recs []*kgo.Record
	for i := range n {
		recs = append(recs, &kgo.Record{Topic: topic, Key: []byte("k"), Value: fmt.Appendf(nil, "v%d", i)})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("producing to %s: %v", topic, err)
	}
	consumer := newClient(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{
		topic: {0: kgo.NewOffset().AtStart()},
	}))
	var got []string
	for len(got) < n {
		fs := consumer.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consuming %s: got %q, then %v", topic, got, err)
		}
		fs.EachError(func(_ string, _ int32, err error) { t.Fatalf("consuming %s: %v", topic, err) })
		fs.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	}
	if want := []string{"v0", "v1", "v2"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("consumed %q, want %q", got, want)
	}
}

// TestSecureSASLSSL: user bridge produces and consumes over SASL_SSL with
// each password mechanism, and so does an unsecured JWT with its subject.
func TestSecureSASLSSL(t *testing.T) {
	e := loadSecureEnv(t)
	mechs := map[string]func() sasl.Mechanism{
		"SCRAM-SHA-512": func() sasl.Mechanism { return e.scram512(e.user, e.password) },
		"SCRAM-SHA-256": func() sasl.Mechanism { return scram.Auth{User: e.user, Pass: e.password}.AsSha256Mechanism() },
		"PLAIN":         func() sasl.Mechanism { return plain.Auth{User: e.user, Pass: e.password}.AsMechanism() },
		"OAUTHBEARER":   func() sasl.Mechanism { return e.oauth(t, e.oauthSubject) },
	}
	for _, name := range []string{"SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN", "OAUTHBEARER"} {
		t.Run(name, func(t *testing.T) {
			newClient := func(opts ...kgo.Opt) *kgo.Client { return e.saslClient(t, mechs[name](), opts...) }
			roundTrip(t, newClient(), newClient)
		})
	}
}

// TestSecureMTLS: the client certificate CN=bridge produces and consumes
// over the SSL listener (it is a super user: the principal is User:bridge).
func TestSecureMTLS(t *testing.T) {
	e := loadSecureEnv(t)
	newClient := func(opts ...kgo.Opt) *kgo.Client {
		return e.mtlsClient(t, e.caFile, e.certFile, e.keyFile, opts...)
	}
	roundTrip(t, newClient(), newClient)
}

// TestSecureSASLRejectsBadCredentials: a wrong password (SCRAM and PLAIN),
// an unknown user, an expired JWT and a JWT that is not unsecured fail
// authentication.
func TestSecureSASLRejectsBadCredentials(t *testing.T) {
	e := loadSecureEnv(t)
	now := time.Now()
	cases := []struct {
		name string
		mech sasl.Mechanism
	}{
		{"scram-512 wrong password", e.scram512(e.user, e.password+"-wrong")},
		{"scram-256 wrong password", scram.Auth{User: e.user, Pass: "wrong"}.AsSha256Mechanism()},
		{"plain wrong password", plain.Auth{User: e.user, Pass: "wrong"}.AsMechanism()},
		{"scram-512 unknown user", e.scram512("nobody", e.password)},
		{"oauth expired token", oauth.Auth{Token: unsecuredJWT(t, e.oauthSubject, now.Add(-2*time.Hour), now.Add(-time.Hour))}.AsMechanism()},
		{"oauth signed token", oauth.Auth{Token: strings.Replace(unsecuredJWT(t, e.oauthSubject, now, now.Add(time.Hour)),
			base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)),
			base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)), 1) + "c2lnbmF0dXJl"}.AsMechanism()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := e.saslClient(t, c.mech).Ping(secureCtx(t))
			requireDenied(t, err, kerr.SaslAuthenticationFailed)
			t.Logf("rejected as expected: %v", err)
		})
	}
}

// TestSecureTLSRejectsOtherCA: a client that trusts only the other CA does
// not accept the broker's certificate, on either listener.
func TestSecureTLSRejectsOtherCA(t *testing.T) {
	e := loadSecureEnv(t)
	clients := map[string]*kgo.Client{
		"SASL_SSL": secureClient(t, e.saslBrokers,
			kgo.DialTLSConfig(tlsConfig(t, e.otherCAFile, "", "")), kgo.SASL(e.scram512(e.user, e.password))),
		"SSL": e.mtlsClient(t, e.otherCAFile, e.certFile, e.keyFile),
	}
	for name, cl := range clients {
		t.Run(name, func(t *testing.T) {
			err := cl.Ping(secureCtx(t))
			if _, ok := errors.AsType[x509.UnknownAuthorityError](err); !ok {
				t.Fatalf("got %v, want an x509.UnknownAuthorityError", err)
			}
			t.Logf("rejected as expected: %v", err)
		})
	}
}

// TestSecureMTLSRejectsClientCertificates: the broker ends the handshake
// with a TLS alert for a certificate of the other CA (even with CN=bridge),
// and for none at all.
func TestSecureMTLSRejectsClientCertificates(t *testing.T) {
	e := loadSecureEnv(t)
	clients := map[string]*kgo.Client{
		"rogue certificate": e.mtlsClient(t, e.caFile, e.rogueCert, e.rogueKey),
		"no certificate":    e.mtlsClient(t, e.caFile, "", ""),
	}
	for name, cl := range clients {
		t.Run(name, func(t *testing.T) {
			err := cl.Ping(secureCtx(t))
			// crypto/tls reports a peer's alert as a *net.OpError "remote
			// error" around its (unexported) alert type.
			op, ok := errors.AsType[*net.OpError](err)
			if !ok || op.Op != "remote error" || !strings.HasPrefix(op.Err.Error(), "tls: ") {
				t.Fatalf("got %v (%T), want a TLS alert from the broker", err, err)
			}
			t.Logf("rejected as expected: %v", err)
		})
	}
}

// TestSecureNoACLUserIsDenied: user noacl authenticates but is authorized
// for nothing, and so is a JWT subject other than the bridge's.
func TestSecureNoACLUserIsDenied(t *testing.T) {
	e := loadSecureEnv(t)
	ctx := secureCtx(t)
	topic := secureTopic(t)
	createSecureTopic(ctx, t, e.saslClient(t, e.scram512(e.user, e.password)), topic)
	rec := func() *kgo.Record { return &kgo.Record{Topic: topic, Value: []byte("denied")} }

	noacl := func(opts ...kgo.Opt) *kgo.Client {
		return e.saslClient(t, e.scram512(e.noaclUser, e.noaclPassword), opts...)
	}
	t.Run("authenticates", func(t *testing.T) {
		if err := noacl().Ping(ctx); err != nil {
			t.Fatalf("noacl must authenticate: %v", err)
		}
	})
	// request sends req as the user without ACLs: the answer, not the
	// exchange, must carry the refusal.
	request := func(t *testing.T, req kmsg.Request) kmsg.Response {
		t.Helper()
		res, err := noacl().Request(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	t.Run("metadata", func(t *testing.T) {
		req := kmsg.NewPtrMetadataRequest()
		rt := kmsg.NewMetadataRequestTopic()
		rt.Topic = kmsg.StringPtr(topic)
		req.Topics = append(req.Topics, rt)
		res := request(t, req).(*kmsg.MetadataResponse)
		requireDenied(t, kerr.ErrorForCode(res.Topics[0].ErrorCode), kerr.TopicAuthorizationFailed)
	})
	t.Run("produce", func(t *testing.T) {
		err := noacl(kgo.DisableIdempotentWrite()).ProduceSync(ctx, rec()).FirstErr()
		requireDenied(t, err, kerr.TopicAuthorizationFailed)
	})
	t.Run("idempotent produce", func(t *testing.T) {
		// The client looks the topic up before it asks for a producer ID.
		requireDenied(t, noacl().ProduceSync(ctx, rec()).FirstErr(), kerr.TopicAuthorizationFailed)
	})
	t.Run("init producer id", func(t *testing.T) {
		// Without a transactional ID it needs IDEMPOTENT_WRITE on the
		// cluster (or WRITE on some topic).
		req := kmsg.NewPtrInitProducerIDRequest()
		req.TransactionTimeoutMillis = -1
		res := request(t, req).(*kmsg.InitProducerIDResponse)
		requireDenied(t, kerr.ErrorForCode(res.ErrorCode), kerr.ClusterAuthorizationFailed)
	})
	t.Run("transactional produce", func(t *testing.T) {
		cl := noacl(kgo.TransactionalID(topic + "-txn"))
		err := cl.BeginTransaction()
		if err == nil {
			err = cl.ProduceSync(ctx, rec()).FirstErr()
		}
		requireDenied(t, err, kerr.TransactionalIDAuthorizationFailed)
	})
	t.Run("create topic", func(t *testing.T) {
		requireDenied(t, tryCreateTopic(ctx, noacl(), topic+"-noacl"), kerr.TopicAuthorizationFailed)
	})
	t.Run("describe acls", func(t *testing.T) {
		req := kmsg.NewPtrDescribeACLsRequest()
		req.ResourceType = kmsg.ACLResourceTypeAny
		req.ResourcePatternType = kmsg.ACLResourcePatternTypeAny
		req.Operation = kmsg.ACLOperationAny
		req.PermissionType = kmsg.ACLPermissionTypeAny
		res := request(t, req).(*kmsg.DescribeACLsResponse)
		requireDenied(t, kerr.ErrorForCode(res.ErrorCode), kerr.ClusterAuthorizationFailed)
	})
	t.Run("find group coordinator", func(t *testing.T) {
		req := kmsg.NewPtrFindCoordinatorRequest()
		req.CoordinatorKeys = []string{topic + "-group"}
		res := request(t, req).(*kmsg.FindCoordinatorResponse)
		if len(res.Coordinators) != 1 {
			t.Fatalf("%d coordinators in the answer", len(res.Coordinators))
		}
		requireDenied(t, kerr.ErrorForCode(res.Coordinators[0].ErrorCode), kerr.GroupAuthorizationFailed)
	})
	t.Run("other JWT subject", func(t *testing.T) {
		cl := e.saslClient(t, e.oauth(t, "not-"+e.oauthSubject), kgo.DisableIdempotentWrite())
		if err := cl.Ping(ctx); err != nil {
			t.Fatalf("any unsecured JWT must authenticate: %v", err)
		}
		requireDenied(t, cl.ProduceSync(ctx, rec()).FirstErr(), kerr.TopicAuthorizationFailed)
	})
}

// requireDenied fails the test unless err is the refusal want.
func requireDenied(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got %v, want %v", err, want)
	}
}

package integration_test

// The bridge over secured Kafka listeners: exactly once over SASL_SSL
// (SCRAM, OAUTHBEARER) and mTLS, and every refusal (wrong password, wrong
// CA, a rejected or missing client certificate, a missing ACL) ends the
// bridge with its one explaining line instead of a retry loop.
//
// With KAFKA_BROKERS and the KAFKA_TEST_* variables of
// `integration/kafka/kafka.sh secure-env` (a broker started with
// KAFKA_SECURE=1), the tests use the real broker's SASL_SSL and SSL
// listeners and read back through its plaintext listener. Without them,
// they use embedded brokers with TLS, SCRAM and ACLs (kfake has no
// OAUTHBEARER, so that case needs the real broker).

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/analytics-bridge/analytics-bridge/bridge/sink/kafkasec"
	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/bridgetest"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/proctest"
	"github.com/analytics-bridge/analytics-bridge/integration/sim"
	"github.com/analytics-bridge/analytics-bridge/integration/testpki"
)

// Credentials of the embedded secured brokers (the real one's come from
// kafka.sh secure-env).
const (
	embeddedUser          = "bridge"
	embeddedPassword      = "bridge-secret"
	embeddedNoACLUser     = "noacl"
	embeddedNoACLPassword = "noacl-secret"
	embeddedNoTxnUser     = "notxn"
)

// securedKafka is one secured listener and how the bridge reaches it.
type securedKafka struct {
	// cluster reads the topic back: over the real broker's plaintext
	// listener, or with the embedded broker's TLS and SASL.
	cluster *kafkatest.Cluster
	brokers string // the secured listener, for KAFKA_BROKERS
	pki     pkiFiles
	user    string // SCRAM user with every right
	pass    string
	noACL   [2]string // SCRAM user without any ACL
	real    bool
	// mechanism is SCRAM-SHA-512 unless set (see wrongPasswordListener).
	mechanism string
}

type pkiFiles struct {
	ca, otherCA, cert, key, rogueCert, rogueKey string
}

// secure sets the environment to reach k over TLS (with the CA) and SASL
// SCRAM-SHA-512 as user.
func (k *securedKafka) secure(e *config.Env, user, pass string) {
	e.KafkaBrokers = k.brokers
	e.KafkaTLSEnabled, e.KafkaTLSCAFile = "true", k.pki.ca
	if user != "" {
		e.KafkaSASLMechanism, e.KafkaSASLUsername, e.KafkaSASLPassword = k.saslMechanism(), user, pass
	}
}

func (k *securedKafka) saslMechanism() string {
	if k.mechanism == "" {
		return "SCRAM-SHA-512"
	}
	return k.mechanism
}

// realSecureEnv returns the real broker's secured listeners, or nil.
func realSecureEnv(t *testing.T) map[string]string {
	t.Helper()
	if os.Getenv("KAFKA_BROKERS") == "" || os.Getenv("KAFKA_TEST_SASL_SSL_BROKERS") == "" {
		return nil
	}
	env := map[string]string{}
	for _, name := range []string{"KAFKA_TEST_SASL_SSL_BROKERS", "KAFKA_TEST_MTLS_BROKERS", "KAFKA_TEST_CA_FILE", "KAFKA_TEST_OTHER_CA_FILE",
		"KAFKA_TEST_CLIENT_CERT_FILE", "KAFKA_TEST_CLIENT_KEY_FILE", "KAFKA_TEST_ROGUE_CERT_FILE", "KAFKA_TEST_ROGUE_KEY_FILE",
		"KAFKA_TEST_SASL_USERNAME", "KAFKA_TEST_SASL_PASSWORD", "KAFKA_TEST_NOACL_USERNAME", "KAFKA_TEST_NOACL_PASSWORD", "KAFKA_TEST_OAUTH_SUBJECT"} {
		if env[name] = os.Getenv(name); env[name] == "" {
			t.Fatalf("%s is not set although KAFKA_TEST_SASL_SSL_BROKERS is: eval all of kafka.sh secure-env", name)
		}
	}
	return env
}

// saslListener returns a SASL_SSL listener: the real broker's, or an
// embedded broker with TLS, SCRAM-SHA-512 users and ACLs.
func saslListener(t *testing.T) *securedKafka {
	t.Helper()
	if env := realSecureEnv(t); env != nil {
		return &securedKafka{
			cluster: kafkatest.Start(t), brokers: env["KAFKA_TEST_SASL_SSL_BROKERS"], real: true,
			pki:  realPKI(env),
			user: env["KAFKA_TEST_SASL_USERNAME"], pass: env["KAFKA_TEST_SASL_PASSWORD"],
			noACL: [2]string{env["KAFKA_TEST_NOACL_USERNAME"], env["KAFKA_TEST_NOACL_PASSWORD"]},
		}
	}
	pki := newPKI(t)
	all := func(resource kmsg.ACLResourceType) kfake.ACL {
		return kfake.ACL{Resource: resource, Name: "", Pattern: kmsg.ACLResourcePatternTypePrefixed, Operation: kmsg.ACLOperationAll, Allow: true}
	}
	c := embeddedCluster(t,
		kfake.TLS(serverTLS(t, pki, tls.NoClientCert)),
		kfake.EnableSASL(),
		kfake.Superuser("SCRAM-SHA-512", embeddedUser, embeddedPassword),
		kfake.User("SCRAM-SHA-512", embeddedNoACLUser, embeddedNoACLPassword),
		// Every right but the transactional id's.
		kfake.User("SCRAM-SHA-512", embeddedNoTxnUser, embeddedNoACLPassword, all(kmsg.ACLResourceTypeTopic), all(kmsg.ACLResourceTypeGroup),
			kfake.ACL{Resource: kmsg.ACLResourceTypeCluster, Name: "kafka-cluster", Pattern: kmsg.ACLResourcePatternTypeLiteral, Operation: kmsg.ACLOperationAll, Allow: true}),
		kfake.EnableACLs(),
	)
	c.ReaderOpts = []kgo.Opt{readerTLS(t, pki, false), kgo.SASL(scram.Auth{User: embeddedUser, Pass: embeddedPassword}.AsSha512Mechanism())}
	return &securedKafka{cluster: c, brokers: strings.Join(c.Brokers, ","), pki: pki,
		user: embeddedUser, pass: embeddedPassword, noACL: [2]string{embeddedNoACLUser, embeddedNoACLPassword}}
}

// wrongPasswordListener is saslListener for the wrong-password tests. The
// embedded broker differs from Kafka there: after a failed exchange kfake
// closes the connection, which kafka-go reports as an unexpected EOF (as it
// would a network failure), where Kafka answers SASL_AUTHENTICATION_FAILED.
// So the embedded broker gets a PLAIN user and a control function that
// answers a wrong PLAIN password the way Kafka does; kafka-go's own SASL
// code reads that answer. The real broker needs no help.
func wrongPasswordListener(t *testing.T) *securedKafka {
	t.Helper()
	k := saslListener(t)
	if k.real {
		return k
	}
	pki := k.pki
	c := embeddedCluster(t, kfake.TLS(serverTLS(t, pki, tls.NoClientCert)), kfake.EnableSASL(), kfake.Superuser("PLAIN", embeddedUser, embeddedPassword))
	c.ReaderOpts = []kgo.Opt{readerTLS(t, pki, false), kgo.SASL(plain.Auth{User: embeddedUser, Pass: embeddedPassword}.AsMechanism())}
	fake := c.Fake
	fake.ControlKey(int16(kmsg.SASLAuthenticate), func(req kmsg.Request) (kmsg.Response, error, bool) {
		fake.KeepControl()
		r := req.(*kmsg.SASLAuthenticateRequest)
		// PLAIN: authzid NUL user NUL password.
		parts := bytes.Split(r.SASLAuthBytes, []byte{0})
		if len(parts) != 3 || string(parts[2]) == embeddedPassword {
			return nil, nil, false
		}
		resp := r.ResponseKind().(*kmsg.SASLAuthenticateResponse)
		resp.ErrorCode = kerr.SaslAuthenticationFailed.Code
		msg := "Authentication failed: Invalid username or password"
		resp.ErrorMessage = &msg
		return resp, nil, true
	})
	return &securedKafka{cluster: c, brokers: strings.Join(c.Brokers, ","), pki: pki, user: embeddedUser, pass: embeddedPassword, mechanism: "PLAIN"}
}

// mtlsListener returns an SSL listener that requires a client certificate.
func mtlsListener(t *testing.T) *securedKafka {
	t.Helper()
	if env := realSecureEnv(t); env != nil {
		return &securedKafka{cluster: kafkatest.Start(t), brokers: env["KAFKA_TEST_MTLS_BROKERS"], pki: realPKI(env), real: true}
	}
	pki := newPKI(t)
	c := embeddedCluster(t, kfake.TLS(serverTLS(t, pki, tls.RequireAndVerifyClientCert)))
	c.ReaderOpts = []kgo.Opt{readerTLS(t, pki, true)}
	return &securedKafka{cluster: c, brokers: strings.Join(c.Brokers, ","), pki: pki}
}

func realPKI(env map[string]string) pkiFiles {
	return pkiFiles{ca: env["KAFKA_TEST_CA_FILE"], otherCA: env["KAFKA_TEST_OTHER_CA_FILE"],
		cert: env["KAFKA_TEST_CLIENT_CERT_FILE"], key: env["KAFKA_TEST_CLIENT_KEY_FILE"],
		rogueCert: env["KAFKA_TEST_ROGUE_CERT_FILE"], rogueKey: env["KAFKA_TEST_ROGUE_KEY_FILE"]}
}

// newPKI generates a throwaway PKI for 127.0.0.1 into a temporary directory.
func newPKI(t *testing.T) pkiFiles {
	t.Helper()
	dir := t.TempDir()
	if err := testpki.Generate(dir, []string{"127.0.0.1", "localhost"}, time.Now(), 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	p := func(name string) string { return filepath.Join(dir, name) }
	return pkiFiles{ca: p(testpki.CAFile), otherCA: p(testpki.OtherCAFile), cert: p(testpki.ClientCertFile), key: p(testpki.ClientKeyFile),
		rogueCert: p(testpki.RogueCertFile), rogueKey: p(testpki.RogueKeyFile)}
}

func serverTLS(t *testing.T, pki pkiFiles, clientAuth tls.ClientAuthType) *tls.Config {
	t.Helper()
	dir := filepath.Dir(pki.ca)
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, testpki.ServerCertFile), filepath.Join(dir, testpki.ServerKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}, ClientAuth: clientAuth, ClientCAs: caPool(t, pki.ca), MinVersion: tls.VersionTLS12}
}

func readerTLS(t *testing.T, pki pkiFiles, withCert bool) kgo.Opt {
	t.Helper()
	c := &tls.Config{RootCAs: caPool(t, pki.ca), MinVersion: tls.VersionTLS12}
	if withCert {
		pair, err := tls.LoadX509KeyPair(pki.cert, pki.key)
		if err != nil {
			t.Fatal(err)
		}
		c.Certificates = []tls.Certificate{pair}
	}
	return kgo.DialTLSConfig(c)
}

func caPool(t *testing.T, file string) *x509.CertPool {
	t.Helper()
	pool, err := testpki.CertPool(file)
	if err != nil {
		t.Fatal(err)
	}
	return pool
}

// unsecuredJWTServer is an OAuth2 token endpoint issuing the unsigned JWTs
// that Kafka's default OAUTHBEARER validator accepts (for tests only).
func unsecuredJWTServer(t *testing.T, subject string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(unsecuredJWTHandler(subject))
	t.Cleanup(srv.Close)
	return srv
}

func unsecuredJWTHandler(subject string) http.Handler {
	enc := base64.RawURLEncoding
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, secret, _ := r.BasicAuth(); id != "bridge-client" || secret != "client-secret" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
			return
		}
		now := time.Now()
		claims, _ := json.Marshal(map[string]any{"sub": subject, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "scope": "kafka"})
		jwt := enc.EncodeToString([]byte(`{"alg":"none"}`)) + "." + enc.EncodeToString(claims) + "."
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": jwt, "token_type": "bearer", "expires_in": 3600})
	})
}

// streamExactlyOnce runs the bridge with tweak through a restart and
// requires every event exactly once.
func streamExactlyOnce(t *testing.T, k *securedKafka, tweak func(*config.Env)) {
	t.Helper()
	const events = 1500
	h := newHarnessOn(t, k.cluster, sim.Config{Rate: 1000, BatchSize: 20, MaxEvents: events, HeartbeatInterval: 200 * time.Millisecond}, tweak)
	first := h.start()
	_ = h.sim.WaitEmitted(t.Context(), events/3)
	if err := first.stop(t); err != nil {
		t.Fatalf("first run: %v", err)
	}
	h.start()
	requireExactlyOnce(t, h.waitDelivered())
}

func TestExactlyOnceOverSASLSSLWithSCRAM(t *testing.T) {
	k := saslListener(t)
	streamExactlyOnce(t, k, func(e *config.Env) { k.secure(e, k.user, k.pass) })
}

func TestExactlyOnceOverSASLSSLWithOAuthBearer(t *testing.T) {
	env := realSecureEnv(t)
	if env == nil {
		t.Skip("needs the real broker's OAUTHBEARER listener (kfake has no OAUTHBEARER): KAFKA_SECURE=1 kafka.sh start, then eval kafka.sh secure-env")
	}
	k := saslListener(t)
	tokens := unsecuredJWTServer(t, env["KAFKA_TEST_OAUTH_SUBJECT"])
	streamExactlyOnce(t, k, func(e *config.Env) {
		k.secure(e, "", "")
		e.KafkaSASLMechanism = "OAUTHBEARER"
		e.KafkaOAuthTokenURL, e.KafkaOAuthClientID, e.KafkaOAuthClientSecret = tokens.URL, "bridge-client", "client-secret"
		e.KafkaOAuthScopes = "kafka"
	})
}

func TestExactlyOnceOverMTLS(t *testing.T) {
	k := mtlsListener(t)
	streamExactlyOnce(t, k, func(e *config.Env) {
		k.secure(e, "", "")
		e.KafkaTLSCertFile, e.KafkaTLSKeyFile = k.pki.cert, k.pki.key
	})
}

// refusal runs the bridge with tweak and requires that it stops by itself
// (no retry loop) with an ErrDenied error containing want.
func refusal(t *testing.T, k *securedKafka, tweak func(*config.Env), want string) {
	t.Helper()
	h := newHarnessOn(t, k.cluster, sim.Config{Rate: 100, BatchSize: 10, HeartbeatInterval: 200 * time.Millisecond}, tweak)
	b := bridgetest.New(t, h.config(), zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel), nil)
	ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
	defer cancel()
	err := b.Run(ctx)
	if ctx.Err() != nil {
		t.Fatalf("the bridge was still retrying after %s (last state %s); want it to stop with %q", waitLimit, b.State(), want)
	}
	if !errors.Is(err, kafkasec.ErrDenied) {
		t.Fatalf("Run returned %v, want an error wrapping kafkasec.ErrDenied", err)
	}
	if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("error line %q, want one line containing %q", err, want)
	}
	t.Logf("refused as expected: %v", err)
}

func TestKafkaRefusalsAreFinal(t *testing.T) {
	t.Run("wrong password", func(t *testing.T) {
		k := wrongPasswordListener(t)
		refusal(t, k, func(e *config.Env) { k.secure(e, k.user, "wrong-password") },
			"the broker rejected KAFKA_SASL_USERNAME="+k.user+" with KAFKA_SASL_MECHANISM="+k.saslMechanism()+": check KAFKA_SASL_PASSWORD")
	})
	t.Run("wrong CA", func(t *testing.T) {
		k := saslListener(t)
		refusal(t, k, func(e *config.Env) { k.secure(e, k.user, k.pass); e.KafkaTLSCAFile = k.pki.otherCA },
			"the broker's certificate is not signed by a CA in KAFKA_TLS_CA_FILE")
	})
	t.Run("client certificate from another CA", func(t *testing.T) {
		k := mtlsListener(t)
		refusal(t, k, func(e *config.Env) {
			k.secure(e, "", "")
			e.KafkaTLSCertFile, e.KafkaTLSKeyFile = k.pki.rogueCert, k.pki.rogueKey
		},
			"the broker rejected the client certificate in KAFKA_TLS_CERT_FILE")
	})
	t.Run("no client certificate", func(t *testing.T) {
		k := mtlsListener(t)
		refusal(t, k, func(e *config.Env) { k.secure(e, "", "") },
			"the broker requires a client certificate: set KAFKA_TLS_CERT_FILE and KAFKA_TLS_KEY_FILE")
	})
	t.Run("mechanism the listener does not enable", func(t *testing.T) {
		// The embedded broker enables SCRAM only. Every mechanism is
		// enabled on the real broker's SASL_SSL listener, so there SASL
		// goes to its SSL listener, which has none: Kafka answers
		// ILLEGAL_SASL_STATE rather than UNSUPPORTED_SASL_MECHANISM.
		if realSecureEnv(t) != nil {
			k := mtlsListener(t)
			refusal(t, k, func(e *config.Env) {
				k.secure(e, "bridge", "bridge-secret")
				e.KafkaTLSCertFile, e.KafkaTLSKeyFile = k.pki.cert, k.pki.key
			}, "the broker did not expect this SASL exchange: check that KAFKA_SASL_MECHANISM matches the listener's security protocol")
			return
		}
		k := saslListener(t)
		tokens := unsecuredJWTServer(t, "bridge")
		refusal(t, k, func(e *config.Env) {
			k.secure(e, "", "")
			e.KafkaSASLMechanism = "OAUTHBEARER"
			e.KafkaOAuthTokenURL, e.KafkaOAuthClientID, e.KafkaOAuthClientSecret = tokens.URL, "bridge-client", "client-secret"
		}, "the broker does not enable KAFKA_SASL_MECHANISM=OAUTHBEARER")
	})
	t.Run("missing topic ACL", func(t *testing.T) {
		k := saslListener(t)
		refusal(t, k, func(e *config.Env) { k.secure(e, k.noACL[0], k.noACL[1]) },
			"missing ACL (TOPIC_AUTHORIZATION_FAILED): grant Describe, Read and Write on topics")
	})
	t.Run("missing transactional id ACL", func(t *testing.T) {
		k := saslListener(t)
		user, pass := embeddedNoTxnUser, embeddedNoACLPassword
		if k.real {
			user, pass = k.noACL[0], k.noACL[1]
			grantAllButTransactions(t, k.cluster, user)
		}
		refusal(t, k, func(e *config.Env) { k.secure(e, user, pass) },
			"missing ACL (TRANSACTIONAL_ID_AUTHORIZATION_FAILED): grant Describe and Write on TransactionalId "+config.TransactionalIDPrefix)
	})
}

// grantAllButTransactions gives user every right on this test's topics and
// groups through the real broker's plaintext listener (whose
// anonymous principal is a super user), but none on transactional ids.
func grantAllButTransactions(t *testing.T, c *kafkatest.Cluster, user string) {
	t.Helper()
	var acls []kafka.ACLEntry
	for _, rt := range []kafka.ResourceType{kafka.ResourceTypeTopic, kafka.ResourceTypeGroup} {
		acls = append(acls, kafka.ACLEntry{ResourceType: rt, ResourceName: c.Prefix, ResourcePatternType: kafka.PatternTypePrefixed,
			Principal: "User:" + user, Host: "*", Operation: kafka.ACLOperationTypeAll, PermissionType: kafka.ACLPermissionTypeAllow})
	}
	waitForErr(t, "ACLs for "+user, func() (bool, error) {
		res, err := c.Client().CreateACLs(t.Context(), &kafka.CreateACLsRequest{ACLs: acls})
		if err != nil {
			return false, err // e.g. the client's first metadata request timed out
		}
		for _, e := range res.Errors {
			if e != nil {
				t.Fatalf("creating ACLs: %v", e)
			}
		}
		return true, nil
	})
	t.Cleanup(func() {
		var filters []kafka.DeleteACLsFilter
		for _, a := range acls {
			filters = append(filters, kafka.DeleteACLsFilter{ResourceTypeFilter: a.ResourceType, ResourceNameFilter: a.ResourceName,
				ResourcePatternTypeFilter: a.ResourcePatternType, PrincipalFilter: a.Principal, HostFilter: a.Host, Operation: a.Operation, PermissionType: a.PermissionType})
		}
		_, _ = c.Client().DeleteACLs(context.Background(), &kafka.DeleteACLsRequest{Filters: filters})
	})
}

// TestWrongPasswordEndsTheProcess runs the binary with a wrong password:
// it must exit with status 1 after exactly one error line naming the
// setting, not retry.
func TestWrongPasswordEndsTheProcess(t *testing.T) {
	bin := proctest.Build(t)
	k := wrongPasswordListener(t)
	h := newHarnessOn(t, k.cluster, sim.Config{Rate: 100, BatchSize: 10, HeartbeatInterval: 200 * time.Millisecond}, func(e *config.Env) {
		k.secure(e, k.user, "wrong-password")
	})
	logFile := proctest.NewLog(t, "bridge.log")
	c := proctest.Start(t, bin, h.env, logFile)
	select {
	case <-c.Exited():
	case <-time.After(waitLimit):
		t.Fatalf("the bridge still runs %s after start with a wrong password", waitLimit)
	}
	if code := c.ExitCode(); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	log, err := os.ReadFile(logFile.Path)
	if err != nil {
		t.Fatal(err)
	}
	var errorLines []string
	for _, line := range strings.Split(string(log), "\n") {
		if strings.Contains(line, `"level":"error"`) {
			errorLines = append(errorLines, line)
		}
	}
	want := "kafka refused the bridge: the broker rejected KAFKA_SASL_USERNAME=" + k.user + " with KAFKA_SASL_MECHANISM=" + k.saslMechanism() + ": check KAFKA_SASL_PASSWORD"
	if len(errorLines) != 1 || !strings.Contains(errorLines[0], want) {
		t.Fatalf("error lines %q, want exactly one containing %q", errorLines, want)
	}
	if strings.Contains(string(log), "wrong-password") {
		t.Error("the log holds the password")
	}
	t.Logf("the operator reads: %s", errorLines[0])
}

// checkWrongPassword runs `check --connect` against k as its user with the
// password "wrong-password", and gives the harness (to run it again with
// other settings), the output and the exit code.
func checkWrongPassword(t *testing.T, bin string, k *securedKafka) (h *harness, out string, code int) {
	t.Helper()
	h = newHarnessOn(t, k.cluster, sim.Config{Rate: 100, BatchSize: 10, HeartbeatInterval: 200 * time.Millisecond}, func(e *config.Env) {
		k.secure(e, k.user, "wrong-password")
	})
	out, code = proctest.Run(t, bin, h.env, "check", "--connect")
	return h, out, code
}

// TestCheckConnectReportsAWrongPassword: `check --connect` names the
// setting behind a refused login, and exits 1.
func TestCheckConnectReportsAWrongPassword(t *testing.T) {
	bin := proctest.Build(t)
	k := wrongPasswordListener(t)
	h, out, code := checkWrongPassword(t, bin, k)
	want := "failed  kafka: kafka refused the bridge: the broker rejected KAFKA_SASL_USERNAME=" + k.user + " with KAFKA_SASL_MECHANISM=" + k.saslMechanism() + ": check KAFKA_SASL_PASSWORD"
	if code != 1 || !strings.Contains(out, want) {
		t.Fatalf("check --connect with a wrong password: exit %d\n%s\nwant a line with %q", code, out, want)
	}
	if strings.Contains(out, "wrong-password") {
		t.Error("check prints the password")
	}
	h.env.KafkaSASLPassword = k.pass
	if out, code := proctest.Run(t, bin, h.env, "check", "--connect"); !strings.Contains(out, "ok      kafka:") {
		t.Errorf("check --connect with the right password: exit %d\n%s", code, out)
	}
}

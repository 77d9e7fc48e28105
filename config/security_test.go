package config_test

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/testpki"
)

// writePair writes a certificate and its key as PEM files: the client pair
// of a fresh test PKI.
func writePair(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	dir := t.TempDir()
	if err := testpki.Generate(dir, []string{"localhost"}, time.Now(), time.Hour); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, testpki.ClientCertFile), filepath.Join(dir, testpki.ClientKeyFile)
}

func TestKafkaSecuritySettings(t *testing.T) {
	cert, key := writePair(t)
	env := valid()
	env.KafkaTLSEnabled = "true"
	env.KafkaTLSCAFile, env.KafkaTLSCertFile, env.KafkaTLSKeyFile = cert, cert, key
	env.KafkaTLSServerName = "kafka.internal"
	env.KafkaSASLMechanism = "scram-sha-512"
	env.KafkaSASLUsername, env.KafkaSASLPassword = "bridge", "pw"
	sec := validated(t, env).KafkaSecurity
	want := config.TLSFiles{CAFile: cert, CertFile: cert, KeyFile: key, ServerName: "kafka.internal"}
	if sec.TLS == nil || *sec.TLS != want {
		t.Errorf("TLS = %+v, want %+v", sec.TLS, want)
	}
	if sec.SASL.Mechanism != config.SASLScramSHA512 || sec.SASL.Username != "bridge" || sec.SASL.Password != "pw" {
		t.Errorf("SASL = %+v", sec.SASL)
	}

	env = valid()
	env.KafkaSASLMechanism = "OAUTHBEARER"
	env.KafkaOAuthTokenURL, env.KafkaOAuthClientID, env.KafkaOAuthClientSecret = "https://idp/token", "client", "cs"
	env.KafkaOAuthScopes = "kafka, read"
	env.KafkaOAuthExtensions = "logicalCluster=lkc-1,identityPoolId=pool-2"
	env.KafkaOAuthCAFile = cert
	cfg := validated(t, env)
	o := cfg.KafkaSecurity.SASL.OAuth
	if o.TokenURL != "https://idp/token" || o.ClientID != "client" || strings.Join(o.Scopes, " ") != "kafka read" ||
		o.Extensions["logicalCluster"] != "lkc-1" || o.Extensions["identityPoolId"] != "pool-2" || o.CAFile != cert || cfg.KafkaSecurity.TLS != nil {
		t.Errorf("OAuth = %+v", o)
	}

	// Plaintext without SASL is the zero value.
	cfg, err := valid().Validate()
	if err != nil || cfg.KafkaSecurity.TLS != nil || cfg.KafkaSecurity.SASL.Mechanism != config.SASLNone {
		t.Errorf("defaults: %+v, %v", cfg.KafkaSecurity, err)
	}
}

func TestKafkaSecurityProblems(t *testing.T) {
	cert, key := writePair(t)
	garbage := filepath.Join(t.TempDir(), "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mutate func(*config.Env)
		want   []string
	}{
		{"unknown mechanism", func(e *config.Env) { e.KafkaSASLMechanism = "GSSAPI" }, []string{`KAFKA_SASL_MECHANISM: "GSSAPI" is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER, AWS_MSK_IAM`}},
		{"scram without credentials", func(e *config.Env) { e.KafkaSASLMechanism = "SCRAM-SHA-256" }, []string{
			"KAFKA_SASL_USERNAME: is required with KAFKA_SASL_MECHANISM=SCRAM-SHA-256",
			"KAFKA_SASL_PASSWORD: is required with KAFKA_SASL_MECHANISM=SCRAM-SHA-256"}},
		{"password twice", func(e *config.Env) {
			e.KafkaSASLMechanism, e.KafkaSASLUsername, e.KafkaSASLPassword, e.KafkaSASLPasswordFile = "SCRAM-SHA-512", "u", "p", "/nonexistent"
		}, []string{"KAFKA_SASL_PASSWORD_FILE: set KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, not both"}},
		{"password file missing", func(e *config.Env) {
			e.KafkaSASLMechanism, e.KafkaSASLUsername, e.KafkaSASLPasswordFile = "SCRAM-SHA-512", "u", "/nonexistent/pw"
		}, []string{"KAFKA_SASL_PASSWORD_FILE: cannot be read"}},
		{"plain without tls", func(e *config.Env) {
			e.KafkaSASLMechanism, e.KafkaSASLUsername, e.KafkaSASLPassword = "PLAIN", "u", "p"
		}, []string{"KAFKA_SASL_MECHANISM: PLAIN without TLS sends the password in clear text"}},
		{"credentials without mechanism", func(e *config.Env) { e.KafkaSASLUsername = "u" }, []string{"KAFKA_SASL_MECHANISM: is required with KAFKA_SASL_USERNAME"}},
		{"oauth incomplete", func(e *config.Env) { e.KafkaSASLMechanism = "OAUTHBEARER" }, []string{
			"KAFKA_SASL_OAUTH_TOKEN_URL: is required", "KAFKA_SASL_OAUTH_CLIENT_ID: is required", "KAFKA_SASL_OAUTH_CLIENT_SECRET: is required"}},
		{"oauth bad extensions", func(e *config.Env) {
			e.KafkaSASLMechanism, e.KafkaOAuthTokenURL, e.KafkaOAuthClientID, e.KafkaOAuthClientSecret = "OAUTHBEARER", "https://idp/t", "c", "s"
			e.KafkaOAuthExtensions = "auth=x,logical-cluster=y,novalue"
		}, []string{`KAFKA_SASL_OAUTH_EXTENSIONS: "auth" is not a valid extension name`, `"logical-cluster" is not a valid extension name`, "item 3 is not name=value"}},
		{"oauth variables with scram", func(e *config.Env) {
			e.KafkaSASLMechanism, e.KafkaSASLUsername, e.KafkaSASLPassword, e.KafkaOAuthTokenURL = "SCRAM-SHA-512", "u", "p", "https://idp/t"
		}, []string{"the KAFKA_SASL_OAUTH_* variables need KAFKA_SASL_MECHANISM=OAUTHBEARER"}},
		{"oauth CA file", func(e *config.Env) {
			e.KafkaSASLMechanism, e.KafkaOAuthTokenURL, e.KafkaOAuthClientID, e.KafkaOAuthClientSecret = "OAUTHBEARER", "http://idp/t", "c", "s"
			e.KafkaOAuthCAFile = garbage
		}, []string{"KAFKA_SASL_OAUTH_CA_FILE: " + garbage + " holds no PEM certificate", "KAFKA_SASL_OAUTH_CA_FILE: has no effect with an http:// KAFKA_SASL_OAUTH_TOKEN_URL"}},
		{"oauth CA file without OAUTHBEARER", func(e *config.Env) { e.KafkaOAuthCAFile = cert }, []string{"KAFKA_SASL_MECHANISM: must be OAUTHBEARER with the KAFKA_SASL_OAUTH_* variables"}},
		{"tls files without tls", func(e *config.Env) { e.KafkaTLSCAFile = cert }, []string{"KAFKA_TLS_CA_FILE: has no effect without KAFKA_TLS_ENABLED=true"}},
		{"tls files", func(e *config.Env) {
			e.KafkaTLSEnabled, e.KafkaTLSCAFile, e.KafkaTLSCertFile = "yes", garbage, cert
		}, []string{`KAFKA_TLS_ENABLED: "yes" is not true or false`, "KAFKA_TLS_CA_FILE: " + garbage + " holds no PEM certificate", "KAFKA_TLS_KEY_FILE: is required with KAFKA_TLS_CERT_FILE"}},
		{"key does not match", func(e *config.Env) {
			other, _ := writePair(t)
			e.KafkaTLSEnabled, e.KafkaTLSCertFile, e.KafkaTLSKeyFile = "true", other, key
		}, []string{"KAFKA_TLS_CERT_FILE: with KAFKA_TLS_KEY_FILE: tls: private key does not match public key"}},
		{"upstream tls and headers", func(e *config.Env) {
			e.AnalyticsCAFile, e.AnalyticsKeyFile = "/nonexistent/ca.pem", key
			e.AnalyticsHeaders = "X-Tenant=acme,Authorization=Bearer x,Bad"
		}, []string{"ANALYTICS_CA_FILE: cannot be read", "ANALYTICS_TLS_CERT_FILE: is required with ANALYTICS_TLS_KEY_FILE",
			`ANALYTICS_HEADERS: header "Authorization" is set by the bridge`, "ANALYTICS_HEADERS: item 3 is not name=value"}},
		{"proxy", func(e *config.Env) { e.HTTPSProxy = "ftp://proxy:21" }, []string{`HTTPS_PROXY: scheme "ftp"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { requireProblems(t, tt.mutate, tt.want) })
	}
}

func TestUpstreamSettings(t *testing.T) {
	cert, key := writePair(t)
	env := valid()
	env.AnalyticsCAFile, env.AnalyticsCertFile, env.AnalyticsKeyFile = cert, cert, key
	env.AnalyticsHeaders = "x-tenant=acme, X-Trace = on=1"
	env.HTTPSProxy, env.NoProxy = "proxy.internal:3128", "kafka.internal,.corp"
	up := validated(t, env).Upstream
	if up.TLS != (config.TLSFiles{CAFile: cert, CertFile: cert, KeyFile: key}) {
		t.Errorf("TLS = %+v", up.TLS)
	}
	if got := up.Headers; got.Get("X-Tenant") != "acme" || got.Get("X-Trace") != "on=1" || len(got) != 2 {
		t.Errorf("headers = %v", got)
	}
	proxy := up.Proxy.ProxyFunc()
	for target, want := range map[string]string{
		"https://api.example.com/x": "http://proxy.internal:3128",
		"https://api.corp/x":        "",
		"https://kafka.internal/":   "",
	} {
		u, _ := url.Parse(target)
		got, err := proxy(u)
		if err != nil {
			t.Fatal(err)
		}
		if (got == nil && want != "") || (got != nil && got.String() != want) {
			t.Errorf("proxy for %s = %v, want %q", target, got, want)
		}
	}
}

func TestProxyLowerCase(t *testing.T) {
	t.Setenv("ANALYTICS_URL", "wss://api.example.com/x")
	t.Setenv("ANALYTICS_TOKEN", "t")
	t.Setenv("KAFKA_BROKERS", "127.0.0.1:9092")
	t.Setenv("HTTPS_PROXY", "")
	t.Setenv("https_proxy", "http://lower:8080")
	t.Setenv("no_proxy", "internal")
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Upstream.Proxy.HTTPSProxy != "http://lower:8080" || cfg.Upstream.Proxy.NoProxy != "internal" {
		t.Errorf("proxy = %+v", cfg.Upstream.Proxy)
	}
}

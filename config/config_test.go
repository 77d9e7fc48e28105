package config_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/config"
)

// valid returns an environment that passes validation.
func valid() config.Env {
	e := config.Defaults()
	e.AnalyticsURL = "wss://api.example.com/api/v2/analytics/events"
	e.AnalyticsToken = "s3cr3t-token"
	e.KafkaBrokers = "k1:9092, k2:9092"
	return e
}

// validated is env's configuration; the test fails unless env is valid.
func validated(t *testing.T, env config.Env) config.Config {
	t.Helper()
	cfg, err := env.Validate()
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	return cfg
}

func TestValidDefaults(t *testing.T) {
	cfg := validated(t, valid())
	if got, want := cfg.KafkaBrokers, []string{"k1:9092", "k2:9092"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("brokers = %v, want %v", got, want)
	}
	if cfg.KafkaDLQTopic != "analytics.events.dlq" {
		t.Errorf("DLQ topic = %q, want analytics.events.dlq", cfg.KafkaDLQTopic)
	}
	if !cfg.StartSince.IsZero() {
		t.Errorf("START_SINCE=now gave %v, want zero time", cfg.StartSince)
	}
	if cfg.EventLateness != 2*time.Second || cfg.Token.Kind() != "static" {
		t.Errorf("lateness %v kind %q", cfg.EventLateness, cfg.Token.Kind())
	}
}

func TestEnvDefaultsMatchValid(t *testing.T) {
	// The defaults declared in the struct tags must themselves validate.
	t.Setenv("ANALYTICS_URL", "ws://127.0.0.1:1/x")
	t.Setenv("ANALYTICS_TOKEN", "t")
	t.Setenv("KAFKA_BROKERS", "127.0.0.1:9092")
	if _, err := config.Load(); err != nil {
		t.Fatalf("Load with only the required variables: %v", err)
	}
}

func TestProblemsNameEveryBadVariable(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*config.Env)
		want   []string // substrings, each must appear
	}{
		{"missing url and brokers", func(e *config.Env) { e.AnalyticsURL = ""; e.KafkaBrokers = "" }, []string{"ANALYTICS_URL: is required", "KAFKA_BROKERS: is required"}},
		{"http url", func(e *config.Env) { e.AnalyticsURL = "http://x/y" }, []string{`ANALYTICS_URL: scheme "http"`}},
		{"broker without port", func(e *config.Env) { e.KafkaBrokers = "kafka" }, []string{`KAFKA_BROKERS: "kafka" is not host:port`}},
		{"no token source", func(e *config.Env) { e.AnalyticsToken = "" }, []string{"ANALYTICS_TOKEN: one token source is required"}},
		{"two token sources", func(e *config.Env) { e.AnalyticsTokenFile = "/tok" }, []string{"set only one token source"}},
		{"oauth incomplete", func(e *config.Env) { e.AnalyticsToken = ""; e.OAuthTokenURL = "https://login/oauth/token" }, []string{"OAUTH_CLIENT_ID: is required", "OAUTH_CLIENT_SECRET: is required"}},
		{"bad durations and numbers", func(e *config.Env) {
			e.EventLateness = "soon"
			e.KafkaBatchSize = "many"
			e.IdleTimeout = "-1s"
		}, []string{`EVENT_LATENESS: "soon" is not a duration`, `KAFKA_BATCH_SIZE: "many" is not a whole number`, "IDLE_TIMEOUT: -1s is less than"}},
		{"enums", func(e *config.Env) { e.KafkaCompression = "brotli"; e.OnStaleSince = "skip"; e.LogFormat = "xml" }, []string{"KAFKA_COMPRESSION", "ON_STALE_SINCE", "LOG_FORMAT"}},
		{"start since", func(e *config.Env) { e.StartSince = "yesterday" }, []string{`START_SINCE: "yesterday" is neither`}},
		{"ping not below idle", func(e *config.Env) { e.PingInterval = "80s" }, []string{"PING_INTERVAL: must be shorter than IDLE_TIMEOUT"}},
		{"backoff order", func(e *config.Env) { e.ReconnectMinBackoff = "1m" }, []string{"RECONNECT_MAX_BACKOFF"}},
		{"same topics", func(e *config.Env) { e.CheckpointTopic = e.KafkaTopic }, []string{"three different topics"}},
		{"replication zero", func(e *config.Env) { e.KafkaReplication = "0" }, []string{"KAFKA_REPLICATION_FACTOR"}},
		{"oauth secret twice", func(e *config.Env) {
			e.AnalyticsToken = ""
			e.OAuthTokenURL, e.OAuthClientID, e.OAuthClientSecret, e.OAuthSecretFile = "https://login/oauth/token", "id", "s", "/run/secret"
		}, []string{"OAUTH_CLIENT_SECRET_FILE: set OAUTH_CLIENT_SECRET or OAUTH_CLIENT_SECRET_FILE, not both"}},
		{"transactions", func(e *config.Env) {
			e.KafkaTransactions = "maybe"
			e.KafkaCommitInterval = "2m"
			e.KafkaTxnTimeout = "1m"
		},
			[]string{`KAFKA_TRANSACTIONS: "maybe"`, "KAFKA_COMMIT_INTERVAL: must be shorter than KAFKA_TRANSACTION_TIMEOUT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { requireProblems(t, tt.mutate, tt.want) })
	}
}

// requireProblems validates valid() changed by mutate and requires an
// ErrInvalid error that contains every one of want.
func requireProblems(t *testing.T, mutate func(*config.Env), want []string) {
	t.Helper()
	env := valid()
	mutate(&env)
	_, err := env.Validate()
	if err == nil {
		t.Fatal("Validate accepted an invalid environment")
	}
	if !errors.Is(err, config.ErrInvalid) {
		t.Errorf("error %v does not wrap ErrInvalid", err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
}

func TestTypedSettings(t *testing.T) {
	env := valid()
	env.KafkaCompression, env.OnStaleSince, env.LogFormat = " ZSTD ", "resume-now", "console"
	env.BridgeName = "orders"
	cfg := validated(t, env)
	if cfg.Compression != config.CompressionZstd || cfg.OnStaleSince != config.StaleSinceResumeNow || cfg.LogFormat != config.LogConsole {
		t.Errorf("enums parsed as %q %q %q", cfg.Compression, cfg.OnStaleSince, cfg.LogFormat)
	}
	if !cfg.Transactions || cfg.TransactionalID != config.TransactionalIDPrefix+"orders" {
		t.Errorf("transactions %v with id %q, want on with %q", cfg.Transactions, cfg.TransactionalID, config.TransactionalIDPrefix+"orders")
	}
	if cfg.InstanceID == "" {
		t.Error("BRIDGE_INSTANCE_ID did not default to the host name")
	}
	env.KafkaTransactions = "false"
	if cfg, _ := env.Validate(); cfg.TransactionalID != "" {
		t.Errorf("transactional id %q with KAFKA_TRANSACTIONS=false", cfg.TransactionalID)
	}
}

func TestSecretsNeverInErrors(t *testing.T) {
	for name, mutate := range map[string]func(*config.Env){
		"upstream": func(env *config.Env) {
			env.AnalyticsToken = "tok-SECRET-123"
			env.AnalyticsTokenFile = "/run/token"
			env.OAuthClientSecret = "cs-SECRET-456"
			env.AnalyticsURL = "wss://user:pw-SECRET-789@host/x?token=q-SECRET"
			env.KafkaBrokers = ""
		},
		"kafka, headers, proxy": func(env *config.Env) {
			env.KafkaSASLMechanism = "PLAIN"
			env.KafkaSASLUsername, env.KafkaSASLPassword = "u", "pw-SECRET-1"
			env.KafkaOAuthClientSecret = "cs-SECRET-2"
			env.AnalyticsHeaders = "X-Api-Key: key-SECRET-3"
			env.HTTPSProxy = "ftp://user:px-SECRET-4@proxy"
		},
	} {
		t.Run(name, func(t *testing.T) {
			env := valid()
			mutate(&env)
			_, err := env.Validate()
			if err == nil {
				t.Fatal("expected an error")
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error leaks a secret: %v", err)
			}
		})
	}
}

func TestUsageListsEveryVariable(t *testing.T) {
	var b strings.Builder
	if err := config.Usage(&b); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ANALYTICS_URL", "ANALYTICS_TOKEN_FILE", "OAUTH_CLIENT_SECRET", "KAFKA_BROKERS", "KAFKA_TOPIC", "CHECKPOINT_TOPIC", "BRIDGE_NAME", "START_SINCE", "EVENT_TIME_FIELD", "EVENT_ID_FIELD", "PARTITION_KEY_FIELD", "EVENT_LATENESS", "ON_STALE_SINCE", "IDLE_TIMEOUT", "MAX_FRAME_BYTES", "LOG_LEVEL", "LOG_FORMAT", "analytics.events"} {
		if !strings.Contains(b.String(), name) {
			t.Errorf("usage lacks %s", name)
		}
	}
}

func TestMemoryLimitFollowsTheInFlightBound(t *testing.T) {
	env := valid()
	if cfg := validated(t, env); cfg.MemoryLimit != 48<<20 {
		t.Errorf("default memory limit %d, want 48 MiB (2 x 16 MiB + 16 MiB)", cfg.MemoryLimit)
	}
	env.KafkaMaxInFlightB, env.GoMemLimit = "1048576", ""
	if cfg, _ := env.Validate(); cfg.MemoryLimit != 18<<20 {
		t.Errorf("memory limit %d with a 1 MiB bound, want 18 MiB", cfg.MemoryLimit)
	}
	env.GoMemLimit = "200MiB"
	if cfg, _ := env.Validate(); cfg.MemoryLimit != 0 {
		t.Errorf("memory limit %d although GOMEMLIMIT is set, want 0 (the runtime's)", cfg.MemoryLimit)
	}
}

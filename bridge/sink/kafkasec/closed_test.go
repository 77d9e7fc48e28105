package kafkasec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/analytics-bridge/analytics-bridge/config"
)

// TestAuthCloses holds the refusal to a broker that closes the connection
// during SASL authentication (kfake does on a wrong SCRAM password) while
// EOFs from a broker that closes before authentication, or accepts the
// credentials, are retried however often they come.
func TestAuthCloses(t *testing.T) {
	fake, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-512", "bridge", "right-password"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	kfakeAddr := fake.ListenAddrs()[0]
	closer := closingListener(t)
	refused := refusedAddr(t)

	eof := fmt.Errorf("reaching Kafka: kafka.(*Client).Metadata: %w", io.ErrUnexpectedEOF)
	other := fmt.Errorf("reaching Kafka: %w", syscall.ECONNREFUSED)
	scram := func(addr, password string) config.Config {
		return config.Config{KafkaBrokers: []string{addr}, KafkaSecurity: config.KafkaSecurity{SASL: config.SASL{
			Mechanism: config.SASLScramSHA512, Username: "bridge", Password: password}}}
	}
	times := func(n int, err error) []error {
		out := make([]error, n)
		for i := range out {
			out[i] = err
		}
		return out
	}
	cat := func(parts ...[]error) (out []error) {
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		cfg      config.Config
		attempts []error
		refusal  string // "": never refused; else the last attempt is refused with this in its line
	}{
		{"wrong password: refused after the limit", scram(kfakeAddr, "wrong-SECRET"), times(AuthCloseLimit, eof),
			"the broker closed the connection during SASL authentication 5 times in a row, as some brokers answer wrong credentials: check KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE) of KAFKA_SASL_USERNAME=bridge, that the user exists for KAFKA_SASL_MECHANISM=SCRAM-SHA-512"},
		{"wrong password: one fewer is retried", scram(kfakeAddr, "wrong-SECRET"), times(AuthCloseLimit-1, eof), ""},
		{"another failure in between starts the count again", scram(kfakeAddr, "wrong-SECRET"),
			cat(times(AuthCloseLimit-1, eof), []error{other}, times(AuthCloseLimit-1, eof)), ""},
		{"and it counts again after it", scram(kfakeAddr, "wrong-SECRET"),
			cat(times(AuthCloseLimit-1, eof), []error{other}, times(AuthCloseLimit, eof)), "5 times in a row"},
		{"right password: an EOF is retried", scram(kfakeAddr, "right-password"), times(3*AuthCloseLimit, eof), ""},
		{"closed before authentication (a broker starting or stopping)", scram(closer, "wrong-SECRET"), times(3*AuthCloseLimit, eof), ""},
		{"connection refused", scram(refused, "wrong-SECRET"), times(3*AuthCloseLimit, eof), ""},
		{"no SASL", config.Config{KafkaBrokers: []string{kfakeAddr}}, times(3*AuthCloseLimit, eof), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := New(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			closes := NewAuthCloses(tc.cfg, &kafka.Transport{SASL: d.SASL, TLS: d.TLS})
			var got error
			for i, attempt := range tc.attempts {
				got = closes.Observe(context.Background(), attempt)
				if got != nil && i < len(tc.attempts)-1 {
					t.Fatalf("attempt %d of %d refused early: %v", i+1, len(tc.attempts), got)
				}
			}
			if tc.refusal == "" {
				if got != nil {
					t.Fatalf("refused: %v", got)
				}
				return
			}
			if got == nil {
				t.Fatalf("not refused after %d attempts", len(tc.attempts))
			}
			line := got.Error()
			if !errors.Is(got, ErrDenied) || !errors.Is(got, io.ErrUnexpectedEOF) || !strings.Contains(line, tc.refusal) || strings.Contains(line, "\n") || strings.Contains(line, "SECRET") {
				t.Fatalf("refusal %q: want one line wrapping ErrDenied and the EOF, containing %q and no secret", line, tc.refusal)
			}
			if Explain(got, tc.cfg) != nil {
				t.Error("the refusal was explained again")
			}
		})
	}
}

// closingListener accepts connections and closes them at once, as a
// broker on its way up or down may.
func closingListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

// refusedAddr is an address nothing listens on.
func refusedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// TestAuthClosesNamesIAM: the refusal after brokers keep closing the
// connection during AWS_MSK_IAM authentication says what to check for IAM.
func TestAuthClosesNamesIAM(t *testing.T) {
	cfg := config.Config{KafkaSecurity: config.KafkaSecurity{SASL: config.SASL{Mechanism: config.SASLAWSMSKIAM,
		AWS: config.AWSIAM{Region: "eu-west-1", RegionSource: config.RegionFromSDK}}}}
	why := (&AuthCloses{cfg: cfg}).why()
	if !strings.Contains(why, "for KAFKA_SASL_MECHANISM=AWS_MSK_IAM, check that the credentials of the AWS SDK's default chain") ||
		!strings.Contains(why, "region eu-west-1, the AWS SDK's region (AWS_REGION)") || strings.Contains(why, "KAFKA_SASL_PASSWORD") {
		t.Errorf("why = %q", why)
	}
}

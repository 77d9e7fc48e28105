package kafkasec

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/analytics-bridge/analytics-bridge/config"
)

func TestPasswordFileIsReadAtEachConnection(t *testing.T) {
	file := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(file, []byte("first\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := New(config.Config{KafkaSecurity: config.KafkaSecurity{SASL: config.SASL{
		Mechanism: config.SASLPlain, Username: "bridge", PasswordFile: file}}})
	if err != nil {
		t.Fatal(err)
	}
	if d.TLS != nil || d.SASL.Name() != "PLAIN" {
		t.Fatalf("dial = %+v", d)
	}
	initial := func() string {
		t.Helper()
		_, ir, err := d.SASL.Start(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return string(ir)
	}
	if got := initial(); got != "\x00bridge\x00first" {
		t.Errorf("PLAIN initial response %q", got)
	}
	if err := os.WriteFile(file, []byte("rotated\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := initial(); got != "\x00bridge\x00rotated" {
		t.Errorf("after rotation %q, want the new password", got)
	}
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.SASL.Start(context.Background()); !errors.Is(err, errCredential) {
		t.Errorf("missing password file gave %v, want errCredential", err)
	}
}

func TestScramMechanisms(t *testing.T) {
	for _, m := range []config.SASLMechanism{config.SASLScramSHA256, config.SASLScramSHA512} {
		d, err := New(config.Config{KafkaSecurity: config.KafkaSecurity{SASL: config.SASL{Mechanism: m, Username: "bridge", Password: "pw"}}})
		if err != nil {
			t.Fatal(err)
		}
		_, ir, err := d.SASL.Start(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		// RFC 5802 client-first-message: gs2 header, user, nonce.
		if d.SASL.Name() != string(m) || len(ir) < 10 || string(ir[:9]) != "n,,n=brid" {
			t.Errorf("%s: name %q, client-first %q", m, d.SASL.Name(), ir)
		}
	}
}

package api

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
)

// The secret file is read before each new token: a rotated secret is used
// from the next token on, and a wrong one is refused as credentials.
func TestSecretFileReadBeforeEachToken(t *testing.T) {
	s, err := genesys.New(genesys.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	file := filepath.Join(t.TempDir(), "secret")
	write := func(v string) {
		if err := os.WriteFile(file, []byte(v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("wrong")
	c, err := New(Options{LoginURL: s.LoginURL(), APIURL: s.APIURL(), ClientID: genesys.DefaultClientID, ClientSecretFile: file})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.tokens.token(ctx); !errors.Is(err, ErrCredentials) {
		t.Fatalf("with a wrong secret in the file: %v, want ErrCredentials", err)
	}
	write(genesys.DefaultClientSecret)
	if tok, err := c.tokens.token(ctx); err != nil || tok == "" {
		t.Fatalf("after the secret was rotated in the file: %q, %v", tok, err)
	}
}

package websocket

// Upstream TLS, mTLS, ANALYTICS_HEADERS and the proxy, at the level of the
// dialer that Run uses: newDialer(cfg, tokens).dial. The certificates are
// generated for each test (nothing private is committed); the servers are
// httptest servers on 127.0.0.1.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/net/http/httpproxy"

	"github.com/analytics-bridge/analytics-bridge/config"
)

// testHost is the upstream's host name in the proxy tests. Go's proxy
// selection never proxies localhost or a loopback IP, so those tests dial
// this name instead; .test is reserved (RFC 2606) and never resolves, so
// the test resolver (resolveTestHost) is the only way it reaches 127.0.0.1.
const testHost = "upstream.test"

// testPKI is a throwaway CA with a server certificate for 127.0.0.1 and
// testHost, whose PEM files live in a test's temporary directory.
type testPKI struct {
	t      *testing.T
	dir    string
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	caFile string
	server tls.Certificate
	serial int64
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	p := &testPKI{t: t, dir: t.TempDir()}
	p.caKey = newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "analytics-bridge test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &p.caKey.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	if p.ca, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	p.caFile = filepath.Join(p.dir, "ca.pem")
	writePEM(t, p.caFile, "CERTIFICATE", der)
	p.serial = 1
	certDER, key := p.issue("upstream", x509.ExtKeyUsageServerAuth, func(c *x509.Certificate) {
		c.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
		c.DNSNames = []string{testHost}
	})
	p.server = tls.Certificate{Certificate: [][]byte{certDER}, PrivateKey: key}
	return p
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// issue signs a new certificate with the CA, each with its own serial.
func (p *testPKI) issue(cn string, usage x509.ExtKeyUsage, edit func(*x509.Certificate)) ([]byte, *ecdsa.PrivateKey) {
	p.t.Helper()
	p.serial++
	key := newKey(p.t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(p.serial),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
	}
	if edit != nil {
		edit(tmpl)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		p.t.Fatal(err)
	}
	return der, key
}

// writeClient writes a client certificate for cn to certFile and keyFile
// (replacing what they held) and returns its serial.
func (p *testPKI) writeClient(cn, certFile, keyFile string) int64 {
	p.t.Helper()
	der, key := p.issue(cn, x509.ExtKeyUsageClientAuth, nil)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		p.t.Fatal(err)
	}
	writePEM(p.t, certFile, "CERTIFICATE", der)
	writePEM(p.t, keyFile, "PRIVATE KEY", keyDER)
	return p.serial
}

// clientFiles writes a client certificate into the PKI's directory.
func (p *testPKI) clientFiles(cn string) (certFile, keyFile string) {
	certFile, keyFile = filepath.Join(p.dir, "client.pem"), filepath.Join(p.dir, "client-key.pem")
	p.writeClient(cn, certFile, keyFile)
	return certFile, keyFile
}

// handshake is what the test upstream saw of one request.
type handshake struct {
	path   string
	proto  string
	header http.Header
	peer   *x509.Certificate // the client certificate, if any
}

// testUpstream is an HTTPS server with the PKI's server certificate: a
// WebSocket endpoint (/events) that sends one frame, and an OAuth2
// client-credentials token endpoint (/token).
type testUpstream struct {
	srv  *httptest.Server
	port string

	mu   sync.Mutex
	seen []handshake
}

const (
	testFrame      = `{"id":"e-1","timestamp":"2026-11-29T12:00:00Z"}`
	testOAuthToken = "oauth-token-1"
)

// newTestUpstream starts the server; mtls makes it require a client
// certificate signed by the CA.
func newTestUpstream(t *testing.T, p *testPKI, mtls bool) *testUpstream {
	t.Helper()
	u := &testUpstream{}
	mux := http.NewServeMux()
	mux.HandleFunc("/events", func(w http.ResponseWriter, r *http.Request) {
		u.record(r)
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		if c.Write(r.Context(), websocket.MessageText, []byte(testFrame)) == nil {
			_ = c.Close(websocket.StatusNormalClosure, "")
		}
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		u.record(r)
		if id, secret, ok := r.BasicAuth(); !ok || id != "bridge" || secret != "s3cret" || r.FormValue("grant_type") != "client_credentials" {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": testOAuthToken, "token_type": "bearer", "expires_in": 3600})
	})
	u.srv = httptest.NewUnstartedServer(mux)
	// HTTP/2 on, like a real endpoint: the token request may use it, the
	// WebSocket handshake must not (the transport keeps it on HTTP/1.1).
	u.srv.EnableHTTP2 = true
	u.srv.TLS = &tls.Config{Certificates: []tls.Certificate{p.server}}
	if mtls {
		pool := x509.NewCertPool()
		pool.AddCert(p.ca)
		u.srv.TLS.ClientAuth = tls.RequireAndVerifyClientCert
		u.srv.TLS.ClientCAs = pool
	}
	// The server's own log would report the refused handshakes of the
	// negative tests; they are expected.
	u.srv.Config.ErrorLog = discardLog()
	u.srv.StartTLS()
	t.Cleanup(u.srv.Close)
	_, u.port, _ = net.SplitHostPort(u.srv.Listener.Addr().String())
	return u
}

func (u *testUpstream) record(r *http.Request) {
	h := handshake{path: r.URL.Path, proto: r.Proto, header: r.Header.Clone()}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		h.peer = r.TLS.PeerCertificates[0]
	}
	u.mu.Lock()
	u.seen = append(u.seen, h)
	u.mu.Unlock()
}

func (u *testUpstream) handshakes() []handshake {
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.Clone(u.seen)
}

// url is the upstream's URL at host (127.0.0.1 or testHost).
func (u *testUpstream) url(scheme, host, path string) string {
	return scheme + "://" + net.JoinHostPort(host, u.port) + path
}

// upstreamConfig is the configuration the dialer reads.
func upstreamConfig(analyticsURL string, up config.Upstream) config.Config {
	return config.Config{AnalyticsURL: analyticsURL, MaxFrameBytes: 1 << 20, Upstream: up}
}

// receiveOne dials, reads the upstream's one frame and hangs up.
func receiveOne(t *testing.T, d *dialer) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn, err := d.dial(ctx, time.Time{})
	if err != nil {
		return err
	}
	defer conn.CloseNow()
	_, data, err := conn.Read(ctx)
	if err != nil {
		t.Fatalf("reading the frame: %v", err)
	}
	if string(data) != testFrame {
		t.Fatalf("frame %q, want %q", data, testFrame)
	}
	return nil
}

func TestUpstreamPrivateCA(t *testing.T) {
	p := newTestPKI(t)
	up := newTestUpstream(t, p, false)
	target := up.url("wss", "127.0.0.1", "/events")

	t.Run("trusted with ANALYTICS_CA_FILE", func(t *testing.T) {
		d := newDialer(upstreamConfig(target, config.Upstream{TLS: config.TLSFiles{CAFile: p.caFile}}), staticToken("tok"))
		if err := receiveOne(t, d); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("untrusted without", func(t *testing.T) {
		d := newDialer(upstreamConfig(target, config.Upstream{}), staticToken("tok"))
		err := receiveOne(t, d)
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) {
			t.Fatalf("dial: %v, want an x509 unknown authority error", err)
		}
		requireSays(t, err, "the upstream's TLS certificate is not trusted: set ANALYTICS_CA_FILE",
			"x509: certificate signed by unknown authority")
	})
}

func TestUpstreamMutualTLS(t *testing.T) {
	p := newTestPKI(t)
	up := newTestUpstream(t, p, true)
	target := up.url("wss", "127.0.0.1", "/events")
	certFile, keyFile := p.clientFiles("bridge-client")

	t.Run("client certificate presented", func(t *testing.T) {
		d := newDialer(upstreamConfig(target, config.Upstream{TLS: config.TLSFiles{CAFile: p.caFile, CertFile: certFile, KeyFile: keyFile}}), staticToken("tok"))
		if err := receiveOne(t, d); err != nil {
			t.Fatal(err)
		}
		seen := up.handshakes()
		if len(seen) != 1 || seen[0].peer == nil || seen[0].peer.Subject.CommonName != "bridge-client" {
			t.Fatalf("server saw %+v, want one handshake with client certificate CN=bridge-client", seen)
		}
	})
	t.Run("refused without a client certificate", func(t *testing.T) {
		d := newDialer(upstreamConfig(target, config.Upstream{TLS: config.TLSFiles{CAFile: p.caFile}}), staticToken("tok"))
		err := receiveOne(t, d)
		if err == nil {
			t.Fatal("dial succeeded without a client certificate")
		}
		requireSays(t, err, "the upstream requires a TLS client certificate: set ANALYTICS_TLS_CERT_FILE and ANALYTICS_TLS_KEY_FILE",
			"remote error: tls: certificate required")
	})
}

func TestUpstreamClientCertificateRotation(t *testing.T) {
	p := newTestPKI(t)
	up := newTestUpstream(t, p, true)
	certFile, keyFile := filepath.Join(p.dir, "tls.crt"), filepath.Join(p.dir, "tls.key")
	first := p.writeClient("bridge", certFile, keyFile)
	d := newDialer(upstreamConfig(up.url("wss", "127.0.0.1", "/events"),
		config.Upstream{TLS: config.TLSFiles{CAFile: p.caFile, CertFile: certFile, KeyFile: keyFile}}), staticToken("tok"))
	if err := receiveOne(t, d); err != nil {
		t.Fatal(err)
	}

	// The Secret is renewed: a new pair with another serial and CN. A later
	// modification time makes the change visible even where the file system
	// keeps coarse time stamps (a real renewal comes minutes or days later).
	second := p.writeClient("bridge-renewed", certFile, keyFile)
	later := time.Now().Add(time.Minute)
	for _, f := range []string{certFile, keyFile} {
		if err := os.Chtimes(f, later, later); err != nil {
			t.Fatal(err)
		}
	}
	if err := receiveOne(t, d); err != nil {
		t.Fatal(err)
	}

	seen := up.handshakes()
	if len(seen) != 2 {
		t.Fatalf("server saw %d handshakes, want 2", len(seen))
	}
	for i, want := range []struct {
		cn     string
		serial int64
	}{{"bridge", first}, {"bridge-renewed", second}} {
		peer := seen[i].peer
		if peer == nil || peer.Subject.CommonName != want.cn || peer.SerialNumber.Int64() != want.serial {
			t.Errorf("handshake %d presented %v, want CN=%s serial %d", i+1, peerName(peer), want.cn, want.serial)
		}
	}
}

// requireSays checks that err says each of wants, and logs it as an
// operator reads it.
func requireSays(t *testing.T, err error, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	t.Logf("an operator reads: %v", err)
}

func peerName(c *x509.Certificate) string {
	if c == nil {
		return "no certificate"
	}
	return c.Subject.String() + " serial " + c.SerialNumber.String()
}

func TestUpstreamOAuth2EndpointSharesTheTransport(t *testing.T) {
	p := newTestPKI(t)
	// Both endpoints require the client certificate: the token request can
	// only succeed through the transport that carries it and the CA.
	up := newTestUpstream(t, p, true)
	certFile, keyFile := p.clientFiles("bridge-client")
	tokens := newTokenSource(config.TokenConfig{OAuthURL: up.url("https", "127.0.0.1", "/token"), ClientID: "bridge", ClientSecret: "s3cret"})
	target := up.url("wss", "127.0.0.1", "/events")

	t.Run("token and handshake", func(t *testing.T) {
		d := newDialer(upstreamConfig(target, config.Upstream{TLS: config.TLSFiles{CAFile: p.caFile, CertFile: certFile, KeyFile: keyFile}}), tokens)
		if d.wsClient.Transport != d.transport || d.tokenClient.Transport != d.transport {
			t.Fatal("the handshake and the token endpoint do not share the upstream transport")
		}
		if err := receiveOne(t, d); err != nil {
			t.Fatal(err)
		}
		seen := up.handshakes()
		if len(seen) != 2 || seen[0].path != "/token" || seen[1].path != "/events" {
			t.Fatalf("server saw %+v, want /token then /events", seen)
		}
		if seen[0].proto != "HTTP/2.0" || seen[1].proto != "HTTP/1.1" {
			t.Errorf("token request over %s, handshake over %s; want HTTP/2.0 and HTTP/1.1", seen[0].proto, seen[1].proto)
		}
		for _, h := range seen {
			if h.peer == nil || h.peer.Subject.CommonName != "bridge-client" {
				t.Errorf("%s: client certificate %s, want CN=bridge-client", h.path, peerName(h.peer))
			}
		}
		if got := seen[1].header.Get("Authorization"); got != "Bearer "+testOAuthToken {
			t.Errorf("handshake Authorization %q, want the OAuth2 token", got)
		}
	})
	t.Run("untrusted token endpoint", func(t *testing.T) {
		d := newDialer(upstreamConfig(target, config.Upstream{TLS: config.TLSFiles{CertFile: certFile, KeyFile: keyFile}}), newTokenSource(config.TokenConfig{
			OAuthURL: up.url("https", "127.0.0.1", "/token"), ClientID: "bridge", ClientSecret: "s3cret"}))
		err := receiveOne(t, d)
		var unknown x509.UnknownAuthorityError
		if !errors.Is(err, errTokenFetch) || !errors.As(err, &unknown) {
			t.Fatalf("dial: %v, want a token failure for an unknown authority", err)
		}
		requireSays(t, err, "the OAuth2 endpoint's TLS certificate is not trusted: set ANALYTICS_CA_FILE")
	})
}

func TestUpstreamHeaders(t *testing.T) {
	p := newTestPKI(t)
	up := newTestUpstream(t, p, false)
	headers := http.Header{}
	headers.Add("X-Tenant", "acme")
	headers.Add("X-Api-Key", "k-123")
	headers.Add("X-Api-Key", "k-456")
	cfg := upstreamConfig(up.url("wss", "127.0.0.1", "/events"), config.Upstream{TLS: config.TLSFiles{CAFile: p.caFile}, Headers: headers})
	d := newDialer(cfg, staticToken("tok"))
	for range 2 { // every handshake, not only the first
		if err := receiveOne(t, d); err != nil {
			t.Fatal(err)
		}
	}
	seen := up.handshakes()
	if len(seen) != 2 {
		t.Fatalf("server saw %d handshakes, want 2", len(seen))
	}
	for i, h := range seen {
		if got := h.header.Values("X-Tenant"); !slices.Equal(got, []string{"acme"}) {
			t.Errorf("handshake %d: X-Tenant %q", i+1, got)
		}
		if got := h.header.Values("X-Api-Key"); !slices.Equal(got, []string{"k-123", "k-456"}) {
			t.Errorf("handshake %d: X-Api-Key %q", i+1, got)
		}
		if got := h.header.Values("Authorization"); !slices.Equal(got, []string{"Bearer tok"}) {
			t.Errorf("handshake %d: Authorization %q, want exactly the bearer token", i+1, got)
		}
	}
	if len(headers) != 2 || headers.Get("Authorization") != "" {
		t.Errorf("the configured headers were modified: %v", headers)
	}

	// Even a header map that (against config's validation) names
	// Authorization cannot replace the token.
	headers.Set("Authorization", "Basic c3B5")
	if err := receiveOne(t, newDialer(cfg, staticToken("tok"))); err != nil {
		t.Fatal(err)
	}
	if got := up.handshakes()[2].header.Values("Authorization"); !slices.Equal(got, []string{"Bearer tok"}) {
		t.Errorf("Authorization %q, want exactly the bearer token", got)
	}
}

// connectProxy is an HTTP proxy that serves CONNECT only, the way an HTTPS
// forward proxy does: it records each target, resolves testHost to
// 127.0.0.1 and pipes bytes both ways.
type connectProxy struct {
	srv *httptest.Server

	mu      sync.Mutex
	targets []string
	conns   []net.Conn
	wg      sync.WaitGroup
}

func newConnectProxy(t *testing.T) *connectProxy {
	t.Helper()
	p := &connectProxy{}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(func() {
		p.srv.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *connectProxy) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
		return
	}
	p.mu.Lock()
	p.targets = append(p.targets, r.Host)
	p.mu.Unlock()
	upstream, err := net.Dial("tcp", resolveTestHost(r.Host))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	client, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		upstream.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, client, upstream)
	p.mu.Unlock()
	if _, err := client.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n")); err != nil {
		client.Close()
		upstream.Close()
		return
	}
	p.wg.Add(2)
	go p.pipe(upstream, buf.Reader, client)
	go p.pipe(client, upstream, upstream)
}

// pipe copies until either side ends, then closes both ends.
func (p *connectProxy) pipe(dst net.Conn, src io.Reader, srcConn net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
	dst.Close()
	srcConn.Close()
}

func (p *connectProxy) seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.targets)
}

// resolveTestHost maps testHost to 127.0.0.1 in a host:port address.
func resolveTestHost(addr string) string {
	if host, port, err := net.SplitHostPort(addr); err == nil && host == testHost {
		return net.JoinHostPort("127.0.0.1", port)
	}
	return addr
}

// directDials installs the test resolver in d's transport and counts the
// connections d opens to testHost without a proxy.
func directDials(d *dialer) *[]string {
	var mu sync.Mutex
	direct := &[]string{}
	var nd net.Dialer
	d.transport.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if host, _, _ := net.SplitHostPort(addr); host == testHost {
			mu.Lock()
			*direct = append(*direct, addr)
			mu.Unlock()
		}
		return nd.DialContext(ctx, network, resolveTestHost(addr))
	}
	return direct
}

func TestUpstreamProxy(t *testing.T) {
	p := newTestPKI(t)
	up := newTestUpstream(t, p, false)
	target := up.url("wss", testHost, "/events")
	tokenURL := up.url("https", testHost, "/token")
	hostPort := net.JoinHostPort(testHost, up.port)

	// The premise: Go's proxy selection skips loopback targets, which is why
	// these tests dial testHost.
	loopback, _ := (&httpproxy.Config{HTTPSProxy: "http://proxy.invalid:3128"}).ProxyFunc()(&url.URL{Scheme: "https", Host: "127.0.0.1:443"})
	if loopback != nil {
		t.Fatalf("httpproxy proxies loopback now (%v): revisit the test host", loopback)
	}

	dialVia := func(t *testing.T, proxy config.Upstream) *[]string {
		t.Helper()
		proxy.TLS = config.TLSFiles{CAFile: p.caFile}
		d := newDialer(upstreamConfig(target, proxy), newTokenSource(config.TokenConfig{OAuthURL: tokenURL, ClientID: "bridge", ClientSecret: "s3cret"}))
		direct := directDials(d)
		// What the proxy selection is asked about: the token request, then
		// the wss:// handshake, which must arrive as https://.
		var asked []string
		selectProxy := d.transport.Proxy
		d.transport.Proxy = func(req *http.Request) (*url.URL, error) {
			asked = append(asked, req.URL.Scheme+"://"+req.URL.Host+req.URL.Path)
			return selectProxy(req)
		}
		if err := receiveOne(t, d); err != nil {
			t.Fatal(err)
		}
		if want := []string{"https://" + hostPort + "/token", "https://" + hostPort + "/events"}; !slices.Equal(asked, want) {
			t.Errorf("proxy selection asked about %q, want %q", asked, want)
		}
		return direct
	}

	t.Run("HTTPS_PROXY carries the handshake and the token request", func(t *testing.T) {
		proxy := newConnectProxy(t)
		direct := dialVia(t, config.Upstream{Proxy: httpproxy.Config{HTTPSProxy: proxy.srv.URL}})
		// One CONNECT each: the token request, then the wss:// handshake,
		// which the proxy selection sees as https:// (HTTP_PROXY is unset,
		// and a CONNECT is only ever sent for an https target).
		if got, want := proxy.seen(), []string{hostPort, hostPort}; !slices.Equal(got, want) {
			t.Errorf("proxy saw CONNECT %q, want %q", got, want)
		}
		if len(*direct) != 0 {
			t.Errorf("connected directly to %q despite HTTPS_PROXY", *direct)
		}
	})
	t.Run("NO_PROXY naming the host bypasses it", func(t *testing.T) {
		proxy := newConnectProxy(t)
		direct := dialVia(t, config.Upstream{Proxy: httpproxy.Config{HTTPSProxy: proxy.srv.URL, NoProxy: "example.com," + testHost}})
		if got := proxy.seen(); len(got) != 0 {
			t.Errorf("proxy saw CONNECT %q despite NO_PROXY", got)
		}
		if want := []string{hostPort, hostPort}; !slices.Equal(*direct, want) {
			t.Errorf("direct connections %q, want %q", *direct, want)
		}
	})
	t.Run("HTTP_PROXY is not used for wss", func(t *testing.T) {
		proxy := newConnectProxy(t)
		direct := dialVia(t, config.Upstream{Proxy: httpproxy.Config{HTTPProxy: proxy.srv.URL}})
		if got := proxy.seen(); len(got) != 0 {
			t.Errorf("HTTP_PROXY saw CONNECT %q for https and wss targets", got)
		}
		if len(*direct) != 2 {
			t.Errorf("direct connections %q, want 2", *direct)
		}
	})
}

func TestUpstreamTLSFileGoneAfterValidation(t *testing.T) {
	p := newTestPKI(t)
	certFile, keyFile := p.clientFiles("bridge")
	tests := []struct {
		name   string
		files  config.TLSFiles
		remove string
		want   string
	}{
		{"CA file", config.TLSFiles{CAFile: p.caFile, CertFile: certFile, KeyFile: keyFile}, p.caFile, "upstream TLS: ANALYTICS_CA_FILE: "},
		{"certificate", config.TLSFiles{CAFile: p.caFile, CertFile: certFile, KeyFile: keyFile}, certFile, "upstream TLS: ANALYTICS_TLS_CERT_FILE: "},
		{"key", config.TLSFiles{CertFile: certFile, KeyFile: keyFile}, keyFile, "upstream TLS: ANALYTICS_TLS_KEY_FILE: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			saved, err := os.ReadFile(tt.remove)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(tt.remove); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.WriteFile(tt.remove, saved, 0o600) })

			d := newDialer(upstreamConfig("wss://127.0.0.1:1/events", config.Upstream{TLS: tt.files}), staticToken("tok"))
			err = d.setupErr()
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) || !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("setupErr = %v, want %q… about the missing file", err, tt.want)
			}
			if _, derr := d.dial(t.Context(), time.Time{}); !errors.Is(derr, os.ErrNotExist) {
				t.Errorf("dial = %v, want the setup error", derr)
			}
			if _, terr := d.token(t.Context()); !errors.Is(terr, os.ErrNotExist) {
				t.Errorf("token = %v, want the setup error", terr)
			}
			t.Logf("an operator reads: %v", err)
		})
	}
}

// discardLog keeps the test servers' refused-handshake lines out of the
// test output.
func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }

func TestNewFailsOnUnreadableUpstreamTLSFile(t *testing.T) {
	cfg := config.Config{BridgeName: "b", AnalyticsURL: "wss://127.0.0.1:1/events",
		Upstream: config.Upstream{TLS: config.TLSFiles{CAFile: filepath.Join(t.TempDir(), "gone.pem")}}}
	b, err := New(Options{Config: cfg})
	if b != nil || err == nil || !strings.HasPrefix(err.Error(), "upstream TLS: ANALYTICS_CA_FILE: ") || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("New = (bridge: %v), %v; want the unreadable ANALYTICS_CA_FILE", b != nil, err)
	}
}

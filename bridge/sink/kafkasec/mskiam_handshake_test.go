package kafkasec

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/testpki"
)

// fakeMSK is just enough of an MSK broker with IAM access control to
// exercise kafka-go's own handshake code: TLS, ApiVersions, SaslHandshake
// v1 naming AWS_MSK_IAM, SaslAuthenticate with a payload the broker
// verifies (mskServer.verify), and Metadata, which it serves only on a
// connection so authenticated. A refused payload is answered with
// SASL_AUTHENTICATION_FAILED and the connection closed, as Kafka does.
// (kfake offers no custom SASL mechanism: its SASL stages are PLAIN and
// SCRAM only, and its control hooks cannot mark a connection
// authenticated.)
type fakeMSK struct {
	ln     net.Listener
	server mskServer
	port   int

	mu       sync.Mutex
	conns    map[net.Conn]bool   // open, closed at the end of the test
	accepted []map[string]string // payloads accepted, in order
	refused  []string            // why payloads were refused
	faults   []string            // protocol violations by the client
}

func newFakeMSK(t *testing.T, region string) (f *fakeMSK, caFile string) {
	t.Helper()
	dir := t.TempDir()
	if err := testpki.Generate(dir, []string{"localhost"}, time.Now(), time.Hour); err != nil {
		t.Fatal(err)
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, testpki.ServerCertFile), filepath.Join(dir, testpki.ServerKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	f = &fakeMSK{ln: ln, port: ln.Addr().(*net.TCPAddr).Port, conns: map[net.Conn]bool{},
		server: mskServer{host: "localhost", region: region, secrets: map[string]string{testAccessKey: testSecretKey}}}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.conns[c] = true
			f.mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); f.serve(c) }()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		f.mu.Lock()
		for c := range f.conns {
			_ = c.Close()
		}
		f.mu.Unlock()
		wg.Wait()
	})
	return f, filepath.Join(dir, testpki.CAFile)
}

func (f *fakeMSK) addr() string { return "localhost:" + strconv.Itoa(f.port) }

func (f *fakeMSK) fault(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, fmt.Sprintf(format, args...))
}

func (f *fakeMSK) results() (accepted []map[string]string, refused, faults []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]map[string]string(nil), f.accepted...), append([]string(nil), f.refused...), append([]string(nil), f.faults...)
}

// serve answers one connection until the client closes it or breaks the
// protocol.
func (f *fakeMSK) serve(c net.Conn) {
	defer func() {
		_ = c.Close()
		f.mu.Lock()
		delete(f.conns, c)
		f.mu.Unlock()
	}()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	handshaken, authenticated := false, false
	for {
		corr, req, err := readRequest(r)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				f.fault("reading a request: %v", err)
			}
			return
		}
		resp := req.ResponseKind()
		closeAfter := false
		switch req := req.(type) {
		case *kmsg.ApiVersionsRequest:
			resp := resp.(*kmsg.ApiVersionsResponse)
			for _, k := range []struct{ key, min, max int16 }{{18, 0, 3}, {17, 1, 1}, {36, 0, 1}, {3, 0, 8}} {
				resp.ApiKeys = append(resp.ApiKeys, kmsg.ApiVersionsResponseApiKey{ApiKey: k.key, MinVersion: k.min, MaxVersion: k.max})
			}
		case *kmsg.SASLHandshakeRequest:
			resp := resp.(*kmsg.SASLHandshakeResponse)
			resp.SupportedMechanisms = []string{"AWS_MSK_IAM"}
			switch {
			case handshaken || authenticated:
				resp.ErrorCode = kerr.IllegalSaslState.Code
			case req.Mechanism != "AWS_MSK_IAM":
				resp.ErrorCode = kerr.UnsupportedSaslMechanism.Code
			case req.Version != 1:
				f.fault("SaslHandshake v%d, want v1 (SaslAuthenticate framing)", req.Version)
				return
			default:
				handshaken = true
			}
		case *kmsg.SASLAuthenticateRequest:
			resp := resp.(*kmsg.SASLAuthenticateResponse)
			if !handshaken || authenticated {
				resp.ErrorCode = kerr.IllegalSaslState.Code
				break
			}
			handshaken = false
			srv := f.server
			srv.now = time.Now()
			p, err := srv.verify(req.SASLAuthBytes)
			f.mu.Lock()
			if err != nil {
				f.refused = append(f.refused, err.Error())
				msg := "[r-1]: Access denied"
				resp.ErrorCode, resp.ErrorMessage, closeAfter = kerr.SaslAuthenticationFailed.Code, &msg, true
			} else {
				f.accepted = append(f.accepted, p)
				authenticated = true
				resp.SASLAuthBytes = []byte(`{"version":"2020_10_22","request-id":"r-1"}`)
				resp.SessionLifetimeMillis = time.Hour.Milliseconds()
			}
			f.mu.Unlock()
		case *kmsg.MetadataRequest:
			if !authenticated {
				f.fault("Metadata before SASL authentication")
				return
			}
			resp := resp.(*kmsg.MetadataResponse)
			resp.Brokers = []kmsg.MetadataResponseBroker{{NodeID: 1, Host: "localhost", Port: int32(f.port)}}
			resp.ControllerID = 1
			for _, rt := range req.Topics {
				topic := kmsg.NewMetadataResponseTopic()
				topic.Topic = rt.Topic
				partition := kmsg.NewMetadataResponseTopicPartition()
				partition.Leader, partition.Replicas, partition.ISR = 1, []int32{1}, []int32{1}
				topic.Partitions = []kmsg.MetadataResponseTopicPartition{partition}
				resp.Topics = append(resp.Topics, topic)
			}
		default:
			f.fault("unexpected request %s", kmsg.NameForKey(req.Key()))
			return
		}
		if err := writeResponse(c, corr, resp); err != nil {
			f.fault("writing a response: %v", err)
			return
		}
		if closeAfter {
			return
		}
	}
}

// readRequest reads one request frame: size, header v1 or v2 (key,
// version, correlation id, client id, tags), body.
func readRequest(r io.Reader) (int32, kmsg.Request, error) {
	var size int32
	if err := binary.Read(r, binary.BigEndian, &size); err != nil {
		return 0, nil, err
	}
	if size < 10 || size > 1<<20 {
		return 0, nil, fmt.Errorf("frame of %d bytes", size)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		return 0, nil, err
	}
	key, version, corr := int16(binary.BigEndian.Uint16(b)), int16(binary.BigEndian.Uint16(b[2:])), int32(binary.BigEndian.Uint32(b[4:]))
	off := 10
	if n := int16(binary.BigEndian.Uint16(b[8:])); n > 0 {
		off += int(n)
	}
	req := kmsg.RequestForKey(key)
	if req == nil || off > len(b) {
		return corr, nil, fmt.Errorf("request key %d", key)
	}
	req.SetVersion(version)
	if req.IsFlexible() {
		n, err := skipTags(b[off:])
		if err != nil {
			return corr, nil, fmt.Errorf("%s v%d header: %w", kmsg.NameForKey(key), version, err)
		}
		off += n
	}
	if err := req.ReadFrom(b[off:]); err != nil {
		return corr, nil, fmt.Errorf("%s v%d: %w", kmsg.NameForKey(key), version, err)
	}
	return corr, req, nil
}

// skipTags returns the length of the tagged-field section at the start
// of b: a count, then each field's tag, size and bytes (uvarints).
func skipTags(b []byte) (int, error) {
	off := 0
	uvarint := func() (uint64, error) {
		v, n := binary.Uvarint(b[off:])
		if n <= 0 {
			return 0, errors.New("truncated tagged fields")
		}
		off += n
		return v, nil
	}
	count, err := uvarint()
	for i := uint64(0); err == nil && i < count; i++ {
		var size uint64
		if _, err = uvarint(); err == nil {
			if size, err = uvarint(); err == nil && size > uint64(len(b)-off) {
				err = errors.New("truncated tagged field")
			}
			off += int(size)
		}
	}
	return off, err
}

// writeResponse writes a response frame: size, correlation id, the
// header's tags for a flexible response (never for ApiVersions), body.
func writeResponse(w io.Writer, corr int32, resp kmsg.Response) error {
	b := binary.BigEndian.AppendUint32(make([]byte, 4, 64), uint32(corr))
	if resp.IsFlexible() && resp.Key() != int16(kmsg.ApiVersions) {
		b = append(b, 0)
	}
	b = resp.AppendTo(b)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	_, err := w.Write(b)
	return err
}

// TestMSKIAMHandshake runs kafka-go's own SASL code, the transport every
// bridge connection uses and the dialer of the refusal probe, against a
// broker that verifies the AWS_MSK_IAM payload, over TLS, with the
// credentials from the AWS SDK's default chain.
func TestMSKIAMHandshake(t *testing.T) {
	isolateAWS(t)
	t.Setenv("AWS_ACCESS_KEY_ID", testAccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", testSecretKey)
	t.Setenv("AWS_SESSION_TOKEN", testToken)

	iamConfig := func(addr, caFile, region string) config.Config {
		return config.Config{KafkaBrokers: []string{addr}, KafkaTopic: "events",
			KafkaSecurity: config.KafkaSecurity{TLS: &config.TLSFiles{CAFile: caFile},
				SASL: config.SASL{Mechanism: config.SASLAWSMSKIAM, AWS: config.AWSIAM{Region: region, RegionSource: config.RegionFromSDK}}}}
	}
	for _, tc := range []struct {
		name         string
		brokerRegion string
		signRegion   string
		secretKey    string
		refusal      string // "": accepted
	}{
		{"accepted", "eu-west-1", "eu-west-1", testSecretKey, ""},
		{"signed for another region", "eu-west-1", "us-east-1", testSecretKey, "x-amz-credential"},
		{"wrong secret key", "eu-west-1", "eu-west-1", "not-the-secret", "does not match"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("AWS_SECRET_ACCESS_KEY", tc.secretKey)
			f, caFile := newFakeMSK(t, tc.brokerRegion)
			cfg := iamConfig(f.addr(), caFile, tc.signRegion)
			d, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()

			// The transport of every bridge connection (sink.NewClient).
			transport := &kafka.Transport{ClientID: "analytics-bridge", TLS: d.TLS, SASL: d.SASL}
			defer transport.CloseIdleConnections()
			client := &kafka.Client{Addr: kafka.TCP(f.addr()), Transport: transport}
			md, mdErr := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{"events"}})
			// The dialer of the refusal probe (AuthCloses).
			conn, dialErr := (&kafka.Dialer{ClientID: "analytics-bridge", Timeout: 10 * time.Second, TLS: d.TLS, SASLMechanism: d.SASL}).DialContext(ctx, "tcp", f.addr())
			if conn != nil {
				_ = conn.Close()
			}

			accepted, refused, faults := f.results()
			if len(faults) > 0 {
				t.Errorf("protocol faults: %q", faults)
			}
			if tc.refusal == "" {
				if mdErr != nil || dialErr != nil {
					t.Fatalf("transport: %v; dialer: %v; broker refused: %q", mdErr, dialErr, refused)
				}
				if len(md.Topics) != 1 || md.Topics[0].Name != "events" {
					t.Errorf("metadata = %+v", md)
				}
				if len(accepted) < 2 || len(refused) > 0 {
					t.Fatalf("accepted %d payloads, refused %q: want one per connection, both paths", len(accepted), refused)
				}
				for _, p := range accepted {
					if p["host"] != "localhost" || !strings.HasPrefix(p["x-amz-credential"], testAccessKey+"/") || !strings.Contains(p["x-amz-credential"], "/eu-west-1/kafka-cluster/") {
						t.Errorf("accepted payload %v", p)
					}
				}
				return
			}
			if mdErr == nil || dialErr == nil {
				t.Fatalf("transport: %v; dialer: %v; want both refused", mdErr, dialErr)
			}
			if len(accepted) > 0 || len(refused) == 0 || !strings.Contains(refused[0], tc.refusal) {
				t.Fatalf("accepted %d, refused %q: want refusals for %q", len(accepted), refused, tc.refusal)
			}
			for _, err := range []error{mdErr, dialErr} {
				if !errors.Is(err, kafka.SASLAuthenticationFailed) {
					t.Errorf("%v: want SASL_AUTHENTICATION_FAILED", err)
					continue
				}
				line := Explain(err, cfg)
				if line == nil || !errors.Is(line, ErrDenied) || strings.Contains(line.Error(), tc.secretKey) || strings.Contains(line.Error(), "\n") ||
					!strings.Contains(line.Error(), "the broker refused the AWS_MSK_IAM signature: check that the credentials of the AWS SDK's default chain") ||
					!strings.Contains(line.Error(), "in region "+tc.signRegion+", the AWS SDK's region (AWS_REGION)") {
					t.Errorf("Explain = %v", line)
				}
			}
		})
	}
}

package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"strings"

	"golang.org/x/net/http/httpproxy"
)

// SASLMechanism is KAFKA_SASL_MECHANISM.
type SASLMechanism string

// Values of KAFKA_SASL_MECHANISM.
const (
	SASLNone        SASLMechanism = ""
	SASLPlain       SASLMechanism = "PLAIN"
	SASLScramSHA256 SASLMechanism = "SCRAM-SHA-256"
	SASLScramSHA512 SASLMechanism = "SCRAM-SHA-512"
	SASLOAuthBearer SASLMechanism = "OAUTHBEARER"
	// SASLAWSMSKIAM signs with AWS credentials (Amazon MSK's IAM access
	// control); it needs TLS and a region.
	SASLAWSMSKIAM SASLMechanism = "AWS_MSK_IAM"
)

// TLSFiles is a TLS client configuration read from PEM files. The zero value
// trusts the system roots and presents no certificate.
type TLSFiles struct {
	// CAFile adds trusted roots (Kafka: replaces the system roots).
	CAFile string
	// CertFile and KeyFile are a client certificate for mTLS; both or none.
	CertFile string
	KeyFile  string
	// ServerName overrides the name checked in the server's certificate.
	ServerName string
	// InsecureSkipVerify accepts any server certificate.
	InsecureSkipVerify bool
}

// KafkaSecurity is how the bridge authenticates to Kafka and protects the
// connection. The zero value is a plaintext connection without SASL.
type KafkaSecurity struct {
	// TLS is nil for plaintext connections.
	TLS  *TLSFiles
	SASL SASL
}

// SASL configures Kafka SASL authentication; Mechanism SASLNone turns it off.
type SASL struct {
	Mechanism SASLMechanism
	Username  string
	// Password, or PasswordFile which is re-read for each new connection.
	Password     string
	PasswordFile string
	// OAuth is the OAUTHBEARER token source.
	OAuth OAuthClient
	// AWS is where AWS_MSK_IAM signs for; its credentials come from the
	// AWS SDK's default chain when the bridge connects.
	AWS AWSIAM
}

// OAuthClient is an OAuth2 client-credentials token source.
type OAuthClient struct {
	TokenURL     string
	ClientID     string
	ClientSecret string
	// ClientSecretFile holds the secret instead of ClientSecret.
	ClientSecretFile string
	Scopes           []string
	// CAFile adds trusted roots for an https:// TokenURL.
	CAFile string
	// Extensions are OAUTHBEARER SASL extensions (KIP-342).
	Extensions map[string]string
}

// Upstream is how the bridge reaches the upstream and its OAuth2 endpoint
// beyond the URL and the token: TLS, extra headers and the proxy.
type Upstream struct {
	// TLS adds trusted roots and a client certificate; the zero value
	// trusts the system roots.
	TLS TLSFiles
	// Headers are sent with every upstream handshake.
	Headers http.Header
	// Proxy is HTTPS_PROXY, HTTP_PROXY and NO_PROXY (or their lower-case
	// forms).
	Proxy httpproxy.Config
}

// reservedHeaders are set by the bridge or the WebSocket handshake itself;
// ANALYTICS_HEADERS may not replace them.
var reservedHeaders = map[string]bool{
	"Authorization": true, "Host": true, "Connection": true, "Upgrade": true, "Content-Length": true,
	"Sec-Websocket-Key": true, "Sec-Websocket-Version": true, "Sec-Websocket-Extensions": true, "Sec-Websocket-Protocol": true,
}

// proxyFromLowerCase fills the proxy variables from their lower-case forms,
// which curl and Go's net/http honour too.
func (e *Env) proxyFromLowerCase(getenv func(string) string) {
	for _, v := range []struct {
		field *string
		name  string
	}{{&e.HTTPSProxy, "https_proxy"}, {&e.HTTPProxy, "http_proxy"}, {&e.NoProxy, "no_proxy"}} {
		if *v.field == "" {
			*v.field = getenv(v.name)
		}
	}
}

func (v *validator) upstream(e Env) Upstream {
	u := Upstream{
		TLS: v.tlsFiles("ANALYTICS_CA_FILE", "ANALYTICS_TLS_CERT_FILE", "ANALYTICS_TLS_KEY_FILE",
			e.AnalyticsCAFile, e.AnalyticsCertFile, e.AnalyticsKeyFile),
		Proxy: httpproxy.Config{
			HTTPSProxy: strings.TrimSpace(e.HTTPSProxy),
			HTTPProxy:  strings.TrimSpace(e.HTTPProxy),
			NoProxy:    strings.TrimSpace(e.NoProxy),
		},
	}
	for name, value := range map[string]string{"HTTPS_PROXY": u.Proxy.HTTPSProxy, "HTTP_PROXY": u.Proxy.HTTPProxy} {
		if value != "" && !strings.Contains(value, "://") {
			value = "http://" + value // as curl and net/http read host:port
		}
		if value != "" {
			v.url(name, value, "http", "https", "socks5")
		}
	}
	if pairs := v.pairs("ANALYTICS_HEADERS", e.AnalyticsHeaders); len(pairs) > 0 {
		u.Headers = http.Header{}
		for _, p := range pairs {
			name := http.CanonicalHeaderKey(p[0])
			if reservedHeaders[name] {
				v.add("ANALYTICS_HEADERS", fmt.Sprintf("header %q is set by the bridge and cannot be replaced", name))
				continue
			}
			if strings.ContainsAny(p[1], "\r\n") {
				v.add("ANALYTICS_HEADERS", fmt.Sprintf("the value of header %q contains a line break", name))
				continue
			}
			u.Headers.Add(name, p[1])
		}
	}
	return u
}

func (v *validator) kafkaSecurity(e Env) KafkaSecurity {
	var s KafkaSecurity
	tlsOn := v.boolean("KAFKA_TLS_ENABLED", e.KafkaTLSEnabled)
	files := v.tlsFiles("KAFKA_TLS_CA_FILE", "KAFKA_TLS_CERT_FILE", "KAFKA_TLS_KEY_FILE",
		e.KafkaTLSCAFile, e.KafkaTLSCertFile, e.KafkaTLSKeyFile)
	files.ServerName = strings.TrimSpace(e.KafkaTLSServerName)
	files.InsecureSkipVerify = v.boolean("KAFKA_TLS_INSECURE_SKIP_VERIFY", e.KafkaTLSInsecure)
	if tlsOn {
		s.TLS = &files
	} else {
		for _, f := range []struct {
			name string
			set  bool
		}{
			{"KAFKA_TLS_CA_FILE", files.CAFile != ""},
			{"KAFKA_TLS_CERT_FILE", files.CertFile != ""},
			{"KAFKA_TLS_SERVER_NAME", files.ServerName != ""},
			{"KAFKA_TLS_INSECURE_SKIP_VERIFY", files.InsecureSkipVerify},
		} {
			if f.set {
				v.add(f.name, "has no effect without KAFKA_TLS_ENABLED=true")
			}
		}
	}

	sasl := &s.SASL
	sasl.Mechanism = SASLMechanism(strings.ToUpper(strings.TrimSpace(e.KafkaSASLMechanism)))
	sasl.Username = strings.TrimSpace(e.KafkaSASLUsername)
	sasl.Password = e.KafkaSASLPassword
	sasl.PasswordFile = strings.TrimSpace(e.KafkaSASLPasswordFile)
	allowPlaintext := v.boolean("KAFKA_SASL_ALLOW_PLAINTEXT", e.KafkaSASLAllowPlaintext)
	oauthSet := e.KafkaOAuthTokenURL != "" || e.KafkaOAuthClientID != "" || e.KafkaOAuthClientSecret != "" || e.KafkaOAuthSecretFile != "" || e.KafkaOAuthCAFile != ""
	passwordSet := sasl.Username != "" || sasl.Password != "" || sasl.PasswordFile != ""

	switch sasl.Mechanism {
	case SASLNone:
		if passwordSet {
			v.add("KAFKA_SASL_MECHANISM", "is required with KAFKA_SASL_USERNAME or KAFKA_SASL_PASSWORD (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)")
		}
		if oauthSet {
			v.add("KAFKA_SASL_MECHANISM", "must be OAUTHBEARER with the KAFKA_SASL_OAUTH_* variables")
		}
	case SASLPlain, SASLScramSHA256, SASLScramSHA512:
		if sasl.Username == "" {
			v.add("KAFKA_SASL_USERNAME", fmt.Sprintf("is required with KAFKA_SASL_MECHANISM=%s", sasl.Mechanism))
		}
		v.secretOrFile("KAFKA_SASL_PASSWORD", "KAFKA_SASL_PASSWORD_FILE", sasl.Password, sasl.PasswordFile,
			fmt.Sprintf("with KAFKA_SASL_MECHANISM=%s", sasl.Mechanism))
		if oauthSet {
			v.add("KAFKA_SASL_OAUTH_TOKEN_URL", fmt.Sprintf("the KAFKA_SASL_OAUTH_* variables need KAFKA_SASL_MECHANISM=OAUTHBEARER, not %s", sasl.Mechanism))
		}
		if sasl.Mechanism == SASLPlain && s.TLS == nil && !allowPlaintext {
			v.add("KAFKA_SASL_MECHANISM", "PLAIN without TLS sends the password in clear text: set KAFKA_TLS_ENABLED=true, or KAFKA_SASL_ALLOW_PLAINTEXT=true to accept that")
		}
	case SASLOAuthBearer:
		if passwordSet {
			v.add("KAFKA_SASL_USERNAME", "KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are not used by OAUTHBEARER; set the KAFKA_SASL_OAUTH_* variables")
		}
		o := &sasl.OAuth
		o.TokenURL = v.url("KAFKA_SASL_OAUTH_TOKEN_URL", e.KafkaOAuthTokenURL, "http", "https")
		o.ClientID = strings.TrimSpace(e.KafkaOAuthClientID)
		o.ClientSecret = e.KafkaOAuthClientSecret
		o.ClientSecretFile = strings.TrimSpace(e.KafkaOAuthSecretFile)
		if o.ClientID == "" {
			v.add("KAFKA_SASL_OAUTH_CLIENT_ID", "is required with KAFKA_SASL_MECHANISM=OAUTHBEARER")
		}
		v.secretOrFile("KAFKA_SASL_OAUTH_CLIENT_SECRET", "KAFKA_SASL_OAUTH_CLIENT_SECRET_FILE", o.ClientSecret, o.ClientSecretFile,
			"with KAFKA_SASL_MECHANISM=OAUTHBEARER")
		o.Scopes = SplitList(e.KafkaOAuthScopes)
		o.CAFile = v.tlsFiles("KAFKA_SASL_OAUTH_CA_FILE", "", "", e.KafkaOAuthCAFile, "", "").CAFile
		if o.CAFile != "" && strings.HasPrefix(strings.ToLower(o.TokenURL), "http://") {
			v.add("KAFKA_SASL_OAUTH_CA_FILE", "has no effect with an http:// KAFKA_SASL_OAUTH_TOKEN_URL")
		}
		if pairs := v.pairs("KAFKA_SASL_OAUTH_EXTENSIONS", e.KafkaOAuthExtensions); len(pairs) > 0 {
			o.Extensions = map[string]string{}
			for _, p := range pairs {
				// RFC 7628: the key "auth" is reserved, keys are ALPHA only.
				if p[0] == "auth" || strings.Trim(p[0], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
					v.add("KAFKA_SASL_OAUTH_EXTENSIONS", fmt.Sprintf("%q is not a valid extension name (letters only, not auth)", p[0]))
					continue
				}
				if strings.ContainsAny(p[1], "\x01") {
					v.add("KAFKA_SASL_OAUTH_EXTENSIONS", fmt.Sprintf("the value of %q contains a control character", p[0]))
					continue
				}
				o.Extensions[p[0]] = p[1]
			}
		}
	case SASLAWSMSKIAM:
		// Quote no value: some are secrets.
		for _, f := range []struct{ name, value string }{
			{"KAFKA_SASL_USERNAME", e.KafkaSASLUsername},
			{"KAFKA_SASL_PASSWORD", e.KafkaSASLPassword},
			{"KAFKA_SASL_PASSWORD_FILE", e.KafkaSASLPasswordFile},
			{"KAFKA_SASL_OAUTH_TOKEN_URL", e.KafkaOAuthTokenURL},
			{"KAFKA_SASL_OAUTH_CLIENT_ID", e.KafkaOAuthClientID},
			{"KAFKA_SASL_OAUTH_CLIENT_SECRET", e.KafkaOAuthClientSecret},
			{"KAFKA_SASL_OAUTH_CLIENT_SECRET_FILE", e.KafkaOAuthSecretFile},
			{"KAFKA_SASL_OAUTH_SCOPES", e.KafkaOAuthScopes},
			{"KAFKA_SASL_OAUTH_CA_FILE", e.KafkaOAuthCAFile},
			{"KAFKA_SASL_OAUTH_EXTENSIONS", e.KafkaOAuthExtensions},
		} {
			if strings.TrimSpace(f.value) != "" {
				v.add(f.name, "is not used by KAFKA_SASL_MECHANISM=AWS_MSK_IAM, which signs with the credentials of the AWS SDK's default chain: unset it")
			}
		}
		if s.TLS == nil {
			why := "AWS_MSK_IAM needs TLS (MSK serves IAM authentication on TLS listeners only, ports 9098 and 9198): set KAFKA_TLS_ENABLED=true"
			if allowPlaintext {
				why += " (KAFKA_SASL_ALLOW_PLAINTEXT applies to PLAIN only)"
			}
			v.add("KAFKA_SASL_MECHANISM", why)
		}
		sasl.AWS = v.awsIAM(e.KafkaBrokers)
	default:
		v.add("KAFKA_SASL_MECHANISM", fmt.Sprintf("%q is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER, AWS_MSK_IAM", e.KafkaSASLMechanism))
	}
	if sasl.Mechanism == SASLNone || sasl.Mechanism == SASLOAuthBearer || sasl.Mechanism == SASLAWSMSKIAM {
		sasl.Username, sasl.Password, sasl.PasswordFile = "", "", ""
	}
	return s
}

// tlsFiles checks a CA file and a certificate/key pair are readable; a
// certificate needs its key and the other way round.
func (v *validator) tlsFiles(caName, certName, keyName, ca, cert, key string) TLSFiles {
	f := TLSFiles{CAFile: strings.TrimSpace(ca), CertFile: strings.TrimSpace(cert), KeyFile: strings.TrimSpace(key)}
	if f.CAFile != "" {
		if pem, err := os.ReadFile(f.CAFile); err != nil {
			v.add(caName, fmt.Sprintf("cannot be read: %v", err))
		} else if !x509.NewCertPool().AppendCertsFromPEM(pem) {
			v.add(caName, fmt.Sprintf("%s holds no PEM certificate", f.CAFile))
		}
	}
	switch {
	case f.CertFile != "" && f.KeyFile == "":
		v.add(keyName, "is required with "+certName)
	case f.CertFile == "" && f.KeyFile != "":
		v.add(certName, "is required with "+keyName)
	case f.CertFile != "":
		if _, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile); err != nil {
			v.add(certName, fmt.Sprintf("with %s: %v", keyName, err))
		}
	}
	return f
}

// secretOrFile checks that exactly one of a secret and the file holding it
// is set, and that the file can be read now; why says what needs it.
func (v *validator) secretOrFile(name, fileName, secret, file, why string) {
	switch {
	case secret == "" && file == "":
		v.add(name, fmt.Sprintf("is required %s (or %s)", why, fileName))
	case secret != "" && file != "":
		v.add(fileName, fmt.Sprintf("set %s or %s, not both", name, fileName))
	case file != "":
		v.readable(fileName, file)
	}
}

// readable reports a file that cannot be opened now; the bridge reads it
// later, but a typo should stop it at start, naming the variable.
func (v *validator) readable(name, path string) {
	f, err := os.Open(path)
	if err != nil {
		v.add(name, fmt.Sprintf("cannot be read: %v", err))
		return
	}
	f.Close()
}

// pairs parses "k=v,k2=v2" (a value may contain '=' but not ','),
// reporting the items that are not pairs and returning the others.
func (v *validator) pairs(name, value string) [][2]string {
	var out [][2]string
	for i, item := range strings.Split(value, ",") {
		if strings.TrimSpace(item) == "" {
			continue
		}
		k, val, found := strings.Cut(item, "=")
		k = strings.TrimSpace(k)
		if !found || k == "" {
			// Quote nothing: the item may hold a secret.
			v.add(name, fmt.Sprintf("item %d is not name=value", i+1))
			continue
		}
		out = append(out, [2]string{k, strings.TrimSpace(val)})
	}
	return out
}

// SplitList splits a comma-separated setting into its items, trimmed of
// white space, empty ones dropped. Exported for the tools that take lists
// the way the bridge's settings do.
func SplitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

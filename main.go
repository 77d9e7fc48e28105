// Command analytics-bridge streams an analytics events WebSocket into Kafka
// exactly once. main only wires: configuration from the environment, logs,
// metrics and health over HTTP, signals, and the bridge.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/analytics-bridge/analytics-bridge/bridge"
	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/source/sources"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitConfig  = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "-h", "-help", "--help", "help":
			usage(stdout)
			return exitOK
		case "healthcheck":
			return healthcheck(stderr)
		case "version", "-version", "--version":
			return printVersion(stdout)
		case "checkpoint":
			return checkpointCommand(args[1:], stdout, stderr)
		case "check":
			return checkCommand(args[1:], stdout, stderr)
		case "demo":
			return runDemo(args[1:], stdout, stderr)
		default:
			fmt.Fprintf(stderr, "unknown argument %q\n\n", args[0])
			usage(stderr)
			return exitConfig
		}
	}

	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintf(stderr, "analytics-bridge: %v\n\nRun 'analytics-bridge -h' for every variable.\n", err)
		return exitConfig
	}
	log := newLogger(cfg, stderr)
	ctx, stop := interruptible()
	defer stop()
	if err := serve(ctx, cfg, log); err != nil {
		log.Error().Err(err).Msg("analytics-bridge stopped")
		return exitFailure
	}
	return exitOK
}

// newRegistry holds the process's, the build's and (once bridge.New has
// registered them) the bridge's metrics.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), buildInfoMetric(buildInfo()))
	return reg
}

// endpoints are the HTTP paths served on HTTP_ADDR (the Kubernetes
// manifests' probes and ServiceMonitor name them; a test checks).
func endpoints(b *bridge.Bridge, reg *prometheus.Registry, withPprof bool) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("/healthz", b.HealthHandler())
	mux.Handle("/readyz", b.ReadyHandler())
	mux.Handle("/checkpoint", b.Admin().Handler())
	// Liveness: the process answers. A bridge that failed exits, and a
	// stalled one is not helped by a restart loop on a slow broker.
	mux.HandleFunc("/livez", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	if withPprof {
		// Registered on this mux only (importing net/http/pprof also
		// registers on http.DefaultServeMux, which nothing here serves).
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// interruptible returns a context that SIGINT or SIGTERM cancels: the bridge
// and every subcommand stop cleanly on either.
func interruptible() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// serve runs the bridge and its HTTP endpoint until ctx ends.
func serve(ctx context.Context, cfg config.Config, log zerolog.Logger) error {
	if cfg.MemoryLimit > 0 {
		debug.SetMemoryLimit(cfg.MemoryLimit + bridge.DedupWindowBytes(cfg.DedupMaxKeys))
	}
	reg := newRegistry()
	build := buildInfo()
	b, err := newBridge(cfg, log, reg)
	if err != nil {
		return err
	}

	log.Info().Str("version", build.version).Str("revision", build.revision).Str("bridge", cfg.BridgeName).Str("instance", cfg.InstanceID).Str("source", string(cfg.Source)).Str("upstream", cfg.UpstreamSummary()).
		Strs("brokers", cfg.KafkaBrokers).Bool("kafka_tls", cfg.KafkaSecurity.TLS != nil).Str("kafka_sasl", string(cfg.KafkaSecurity.SASL.Mechanism)).
		Str("topic", cfg.KafkaTopic).Int64("memory_limit", debug.SetMemoryLimit(-1)).Msg("starting")
	if tls := cfg.KafkaSecurity.TLS; tls != nil && tls.InsecureSkipVerify {
		log.Warn().Msg("KAFKA_TLS_INSECURE_SKIP_VERIFY=true: the brokers' certificates are not checked, so anyone on the network path can read and change the stream; use it only for testing")
	}
	if sasl := cfg.KafkaSecurity.SASL; sasl.Mechanism == config.SASLAWSMSKIAM {
		log.Info().Str("aws_region", sasl.AWS.Region).Str("aws_region_source", sasl.AWS.RegionSource).
			Msg("AWS_MSK_IAM: each connection is signed with credentials from the AWS SDK's default chain")
	}

	var httpErr chan error
	var srv *http.Server
	if cfg.HTTPAddr != "" {
		srv = &http.Server{Addr: cfg.HTTPAddr, Handler: endpoints(b, reg, cfg.Pprof), ReadHeaderTimeout: 5 * time.Second}
		httpErr = make(chan error, 1)
		go func() { httpErr <- srv.ListenAndServe() }()
	}

	err = b.Run(ctx)

	if srv != nil {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = srv.Shutdown(shutdownCtx)
		cancel()
		if herr := <-httpErr; herr != nil && !errors.Is(herr, http.ErrServerClosed) {
			log.Warn().Err(herr).Str("addr", cfg.HTTPAddr).Msg("HTTP endpoint failed")
		}
	}
	return err
}

func newLogger(cfg config.Config, w io.Writer) zerolog.Logger {
	if cfg.LogFormat == config.LogConsole {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
	}
	level, err := zerolog.ParseLevel(cfg.LogLevel)
	if err != nil {
		level = zerolog.InfoLevel
	}
	return zerolog.New(w).Level(level).With().Timestamp().Logger()
}

func usage(w io.Writer) {
	fmt.Fprint(w, `analytics-bridge streams an analytics events WebSocket into Kafka, exactly once.

Usage:
  analytics-bridge              run the bridge, configured by the environment below
  analytics-bridge demo [flags] run a self-contained demo (embedded Kafka and upstream simulator;
                                -source sqs: Genesys events in an embedded SQS stand-in;
                                -source notifications: an embedded Genesys Cloud stand-in, every
                                gap back-filled once a minute old, so it runs about 2.5 minutes)
  analytics-bridge healthcheck  exit 0 when the bridge on HTTP_ADDR reports healthy
  analytics-bridge version      print the version and VCS revision
  analytics-bridge check [--connect]  check the configuration (and, with --connect, Kafka,
                                the topics, the right to write, a token and the upstream)
  analytics-bridge checkpoint show | set --since T [--force] | reset [--force]
                                read or move the resume position of BRIDGE_NAME
  analytics-bridge -h           this help

Environment:
`)
	if err := config.Usage(w); err != nil {
		fmt.Fprintln(w, err)
	}
	fmt.Fprint(w, `
Exactly one token source: ANALYTICS_TOKEN, ANALYTICS_TOKEN_FILE, or OAUTH_TOKEN_URL + OAUTH_CLIENT_ID + OAUTH_CLIENT_SECRET.
Exit status: 0 after a clean stop (SIGINT/SIGTERM), 1 on a runtime failure, 2 on invalid configuration.
`)
}

// healthcheck asks the running bridge on HTTP_ADDR (a container's HEALTHCHECK
// has no curl in a distroless image).
func healthcheck(stderr io.Writer) int {
	addr := os.Getenv("HTTP_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		fmt.Fprintf(stderr, "healthcheck: HTTP_ADDR %q: %v\n", addr, err)
		return exitFailure
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	client := &http.Client{Timeout: 3 * time.Second}
	res, err := client.Get("http://" + net.JoinHostPort(host, port) + "/healthz")
	if err != nil {
		fmt.Fprintln(stderr, "healthcheck:", err)
		return exitFailure
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		fmt.Fprintln(stderr, "healthcheck: status", res.Status)
		return exitFailure
	}
	return exitOK
}

// newBridge wires the configured source to the core.
func newBridge(cfg config.Config, log zerolog.Logger, reg prometheus.Registerer) (*bridge.Bridge, error) {
	src, err := sources.New(cfg, log, reg)
	if err != nil {
		return nil, err
	}
	return bridge.New(bridge.Options{Config: cfg, Source: src, Logger: log, Registry: reg})
}

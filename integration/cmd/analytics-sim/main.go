// Command analytics-sim runs the upstream simulator (package
// integration/sim) as a standalone server, for the demo, docker-compose and
// users who want to watch the bridge survive faults.
//
// It prints the bridge environment to paste, then serves until SIGINT or
// SIGTERM. Faults are triggered over HTTP, for example:
//
//	curl -X POST 'http://127.0.0.1:8089/admin/faults/drop?after=100'
//	curl -X POST 'http://127.0.0.1:8089/admin/faults/refuse?count=3&status=429&retry_after=2s'
//	curl http://127.0.0.1:8089/admin/stats
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/analytics-bridge/analytics-bridge/integration/sim"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "analytics-sim:", err)
		os.Exit(1)
	}
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("analytics-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		cfg          sim.Config
		staticTokens stringList
		publicHost   string
		logLevel     string
	)
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8089", "listen address")
	fs.StringVar(&publicHost, "public-host", "", "host to print in URLs (e.g. simulator in docker-compose); default: the listen host, or 127.0.0.1 for an unspecified one")
	fs.Int64Var(&cfg.Seed, "seed", sim.DefaultSeed, "generator seed (same seed, same event contents)")
	fs.Float64Var(&cfg.Rate, "rate", sim.DefaultRate, "events per second")
	fs.IntVar(&cfg.BatchSize, "batch", sim.DefaultBatchSize, "max events per frame")
	fs.IntVar(&cfg.MaxEvents, "max-events", 0, "stop generating after this many events (0 = unlimited)")
	fs.DurationVar(&cfg.Retention, "retention", sim.DefaultRetention, "retained log window for ?since= replays")
	fs.DurationVar(&cfg.HeartbeatInterval, "heartbeat", sim.DefaultHeartbeatInterval, "heartbeat interval")
	fs.DurationVar(&cfg.Lateness, "lateness", 0, "max lateness of late events (0 = in order)")
	fs.Float64Var(&cfg.LateRatio, "late-ratio", sim.DefaultLateRatio, "fraction of events delivered late when -lateness > 0")
	fs.Float64Var(&cfg.SingleObjectRatio, "single-ratio", sim.DefaultSingleObjectRatio, "fraction of one-event frames sent as a bare object (negative = never)")
	fs.BoolVar(&cfg.IDLess, "idless", false, "feed without id, timed by eventTime (epoch ms); replays re-serialised")
	fs.DurationVar(&cfg.TokenLifetime, "token-lifetime", sim.DefaultTokenLifetime, "lifetime of OAuth-issued tokens")
	fs.StringVar(&cfg.ClientID, "client-id", sim.DefaultClientID, "OAuth client id")
	fs.StringVar(&cfg.ClientSecret, "client-secret", sim.DefaultClientSecret, "OAuth client secret")
	fs.Var(&staticTokens, "static-token", "token accepted without expiry (repeatable)")
	fs.Int64Var(&cfg.MaxClientFrame, "max-client-frame", sim.DefaultMaxClientFrame, "read limit for client frames, bytes")
	fs.IntVar(&cfg.SlowClientQueue, "slow-client-queue", sim.DefaultSlowClientQueue, "per-connection outbound frame queue")
	fs.IntVar(&cfg.LedgerLimit, "ledger-limit", 100000, "keep only the newest N ledger entries (0 = all)")
	fs.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	cfg.StaticTokens = staticTokens

	level, err := zerolog.ParseLevel(logLevel)
	if err != nil {
		return fmt.Errorf("bad -log-level: %w", err)
	}
	// Colour only on a terminal: docker logs and files get plain text.
	color := false
	if f, ok := stderr.(*os.File); ok {
		if fi, err := f.Stat(); err == nil {
			color = fi.Mode()&os.ModeCharDevice != 0
		}
	}
	cfg.Logger = zerolog.New(zerolog.ConsoleWriter{Out: stderr, TimeFormat: time.TimeOnly, NoColor: !color}).
		Level(level).With().Timestamp().Logger()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	srv, err := sim.New(cfg)
	if err != nil {
		return err
	}
	host := printableHost(srv.Addr(), publicHost)
	fmt.Fprint(stdout, banner(host, srv, cfg.ClientID, cfg.ClientSecret, staticTokens))

	select {
	case <-ctx.Done():
	case <-srv.Done():
		cfg.Logger.Info().Int("events", cfg.MaxEvents).Msg("max events generated; still serving replays until stopped")
		<-ctx.Done()
	}
	cfg.Logger.Info().Msg("shutting down")
	if err := srv.Close(); err != nil {
		return fmt.Errorf("failed to stop simulator: %w", err)
	}
	return nil
}

// printableHost is host:port as a client should dial it: the -public-host
// override, else the listen host, with an unspecified IP replaced by
// loopback.
func printableHost(addr net.Addr, publicHost string) string {
	port := ""
	host := "127.0.0.1"
	if ta, ok := addr.(*net.TCPAddr); ok {
		port = strconv.Itoa(ta.Port)
		if !ta.IP.IsUnspecified() {
			host = ta.IP.String()
		}
	}
	if publicHost != "" {
		host = publicHost
	}
	return net.JoinHostPort(host, port)
}

func banner(hostPort string, srv *sim.Server, clientID, clientSecret string, static []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "analytics-sim listening on %s\n", srv.Addr())
	fmt.Fprintf(&b, "  events:  ws://%s%s\n", hostPort, sim.EventsPath)
	fmt.Fprintf(&b, "  tokens:  http://%s%s\n", hostPort, sim.TokenPath)
	fmt.Fprintf(&b, "  admin:   http://%s%s (POST faults/{close,reset,stall,drop,refuse,expire-tokens,socket-closing}, pause, resume; GET stats, ledger)\n", hostPort, sim.AdminPath)
	fmt.Fprintf(&b, "\n# bridge environment\n")
	fmt.Fprintf(&b, "ANALYTICS_URL=ws://%s%s\n", hostPort, sim.EventsPath)
	fmt.Fprintf(&b, "OAUTH_TOKEN_URL=http://%s%s\n", hostPort, sim.TokenPath)
	fmt.Fprintf(&b, "OAUTH_CLIENT_ID=%s\n", clientID)
	fmt.Fprintf(&b, "OAUTH_CLIENT_SECRET=%s\n", clientSecret)
	for _, t := range static {
		fmt.Fprintf(&b, "# static token accepted: %s\n", t)
	}
	b.WriteString("\n")
	return b.String()
}

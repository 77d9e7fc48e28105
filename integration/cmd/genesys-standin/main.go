// Command genesys-standin runs the in-repo Genesys Cloud stand-in
// (integration/genesys) as a standalone server: three hosts (login, api,
// streaming) over one generated org whose calls are published on
// notification channels and found by the analytics details APIs.
//
//	go run ./integration/cmd/genesys-standin -every 2s
//
// It prints the bridge's settings for it as shell exports (SOURCE,
// GENESYS_API_URL, GENESYS_LOGIN_URL, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET,
// GENESYS_QUEUE_IDS=all), everything else as comments, then serves on the
// wall clock until SIGINT or SIGTERM. To run the bridge against it, in one
// shell:
//
//	go run ./integration/cmd/genesys-standin | tee standin.env
//
// and, once it printed them, in another:
//
//	eval "$(cat standin.env)"; export KAFKA_BROKERS=localhost:9092
//	go run . check --connect && go run .
//
// Faults and the ledger are on the admin API, for example:
//
//	curl -X POST 'http://127.0.0.1:9441/admin/throttle?path=/api/v2/analytics&n=3&retryAfter=5s'
//	curl -X POST 'http://127.0.0.1:9441/admin/channels/<channel id>/socket-closing'
//	curl http://127.0.0.1:9441/admin/ledger
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/genesys"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "genesys-standin:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("genesys-standin", flag.ContinueOnError)
	var o genesys.Options
	fs.StringVar(&o.LoginAddr, "login-addr", "127.0.0.1:9440", "login host listen address (POST /oauth/token)")
	fs.StringVar(&o.APIAddr, "api-addr", "127.0.0.1:9441", "API host listen address (/api/v2/..., /admin/...)")
	fs.StringVar(&o.StreamingAddr, "streaming-addr", "127.0.0.1:9442", "streaming host listen address (channel sockets)")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of every generated id and call")
	fs.IntVar(&o.Queues, "queues", 5, "routing queues in the org")
	fs.DurationVar(&o.ConversationEvery, "every", 2*time.Second, "start a call every period (0: only through the admin API)")
	fs.Float64Var(&o.AbandonRate, "abandon-rate", 0.2, "share of calls abandoned in queue")
	fs.DurationVar(&o.IndexLag, "index-lag", 0, "most a call takes to show in details queries")
	fs.DurationVar(&o.DataLakeLag, "data-lake-lag", time.Hour, "how far details jobs' dataAvailabilityDate trails now")
	fs.DurationVar(&o.TokenLifetime, "token-lifetime", 24*time.Hour, "access token lifetime")
	fs.DurationVar(&o.ChannelLifetime, "channel-lifetime", 24*time.Hour, "channel lifetime without a resubscribe")
	fs.BoolVar(&o.AcceptRecentIntervals, "accept-recent-intervals", false,
		"let details queries end less than a minute before now")
	id := fs.String("client-id", genesys.DefaultClientID, "OAuth client id")
	secret := fs.String("client-secret", genesys.DefaultClientSecret, "OAuth client secret")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.AbandonRate == 0 {
		o.AbandonRate = -1 // the flag's 0 means none; the Options' zero means the default
	}
	o.Clients = []genesys.Client{{ID: *id, Secret: *secret}}
	srv, err := genesys.New(o)
	if err != nil {
		return err
	}
	printEnv(out, o.Seed, srv, *id, *secret)
	for _, q := range srv.Queues() {
		fmt.Fprintf(out, "# queue %s %s: topic %s\n", q.ID, q.Name, genesys.QueueConversationsTopic(q.ID))
	}
	<-ctx.Done()
	return srv.Close()
}

// printEnv prints the bridge's own settings for the stand-in as shell
// exports, and everything else as comments: eval of the whole output
// points the bridge at it.
func printEnv(out io.Writer, seed uint64, srv *genesys.Server, id, secret string) {
	fmt.Fprintf(out, "# Genesys Cloud stand-in, seed %d: the bridge's settings for it (add KAFKA_BROKERS, then\n", seed)
	fmt.Fprintf(out, "# go run . check --connect, and go run .)\n")
	for _, kv := range [][2]string{
		{"SOURCE", "notifications"},
		{"GENESYS_API_URL", srv.APIURL()},
		{"GENESYS_LOGIN_URL", srv.LoginURL()},
		{"OAUTH_CLIENT_ID", id},
		{"OAUTH_CLIENT_SECRET", secret},
		{"GENESYS_QUEUE_IDS", "all"},
	} {
		fmt.Fprintf(out, "export %s=%s\n", kv[0], shellQuote(kv[1]))
	}
	fmt.Fprintf(out, "# streaming host %s: channels' connectUri name it, the bridge needs no setting\n", srv.StreamingURL())
	fmt.Fprintf(out, "# token: POST %s%s; admin API: %s/admin/ (ledger, throttle, fail, channels/{id}/socket-closing, ...)\n",
		srv.LoginURL(), genesys.TokenPath, srv.APIURL())
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// letters, digits and -_.:/@%+=,
func shellQuote(s string) string {
	plain := s != ""
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:/@%+=,", r)) {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

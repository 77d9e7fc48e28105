// Command genesys-standin runs the in-repo Genesys Cloud stand-in
// (integration/genesys) as a standalone server: three hosts (login, api,
// streaming) over one generated org whose calls are published on
// notification channels and found by the analytics details APIs.
//
//	go run ./integration/cmd/genesys-standin -every 2s
//
// It prints the URLs, the client credentials and the queues, then serves on
// the wall clock until SIGINT or SIGTERM. Faults and the ledger are on the
// admin API, for example:
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
	fmt.Fprintf(out, "# Genesys Cloud stand-in, seed %d\n", o.Seed)
	fmt.Fprintf(out, "export GENESYS_LOGIN_URL=%s\nexport GENESYS_API_URL=%s\nexport GENESYS_STREAMING_URL=%s\n",
		srv.LoginURL(), srv.APIURL(), srv.StreamingURL())
	fmt.Fprintf(out, "export GENESYS_CLIENT_ID=%s GENESYS_CLIENT_SECRET=%s\n", *id, *secret)
	fmt.Fprintf(out, "# token: POST %s%s; admin API: %s/admin/ (ledger, throttle, fail, channels/{id}/socket-closing, ...)\n",
		srv.LoginURL(), genesys.TokenPath, srv.APIURL())
	for _, q := range srv.Queues() {
		fmt.Fprintf(out, "# queue %s %s: topic %s\n", q.ID, q.Name, genesys.QueueConversationsTopic(q.ID))
	}
	<-ctx.Done()
	return srv.Close()
}

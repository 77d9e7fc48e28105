package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge/sink/admin"
	"github.com/analytics-bridge/analytics-bridge/checkpoint"
	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/source/sources"
	"github.com/rs/zerolog"
)

// commandTimeout bounds an operator command.
const commandTimeout = time.Minute

// checkpointCommand runs `analytics-bridge checkpoint show | set --since T
// [--force] | reset [--force]`, configured by the same environment as the
// bridge.
func checkpointCommand(args []string, stdout, stderr io.Writer) int {
	usage := func() int {
		fmt.Fprint(stderr, `usage:
  analytics-bridge checkpoint show                       print the committed position as JSON
  analytics-bridge checkpoint set --since T [--force]    resume from T (RFC 3339) at the next start
  analytics-bridge checkpoint reset [--force]            delete the position: the next start begins at START_SINCE
Refused while an instance of BRIDGE_NAME is running, unless --force; with
KAFKA_TRANSACTIONS=true, --force fences the running instance, which stands
by and takes over again from the new position.
`)
		return exitConfig
	}
	if len(args) == 0 {
		return usage()
	}
	fs := flag.NewFlagSet("checkpoint "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	sinceFlag := fs.String("since", "", "RFC 3339 time to resume from (set)")
	force := fs.Bool("force", false, "move the position even while an instance runs")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 {
		return usage()
	}
	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintf(stderr, "analytics-bridge: %v\n", err)
		return exitConfig
	}
	ctx, stop := interruptible()
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	adm, err := admin.New(cfg, sources.Kind(cfg))
	if err != nil {
		fmt.Fprintf(stderr, "checkpoint: %v\n", err)
		return exitFailure
	}

	switch args[0] {
	case "show":
		pos, err := adm.Show(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "checkpoint show: %v\n", err)
			return exitFailure
		}
		return printPosition(stdout, stderr, pos)
	case "set":
		since, err := time.Parse(time.RFC3339Nano, *sinceFlag)
		if err != nil {
			fmt.Fprintf(stderr, "checkpoint set: --since %q is not an RFC 3339 time\n", *sinceFlag)
			return exitConfig
		}
		res, err := adm.Set(ctx, since, *force)
		if err != nil {
			fmt.Fprintf(stderr, "checkpoint set: %v\n", err)
			return exitFailure
		}
		if res.Found {
			fmt.Fprintf(stdout, "was: since %s\n", res.Old.Since.Format(time.RFC3339Nano))
		}
		fmt.Fprintf(stdout, "now: since %s\n%s\n", res.New.Since.Format(time.RFC3339Nano), res.Effect)
		return exitOK
	case "reset":
		if err := adm.Reset(ctx, *force); err != nil {
			fmt.Fprintf(stderr, "checkpoint reset: %v\n", err)
			return exitFailure
		}
		fmt.Fprintf(stdout, "checkpoint of %s deleted: the next start begins at START_SINCE (%s)\n", cfg.BridgeName, startSince(cfg))
		return exitOK
	}
	return usage()
}

func startSince(cfg config.Config) string {
	if cfg.StartSince.IsZero() {
		return config.StartNow
	}
	return cfg.StartSince.Format(time.RFC3339Nano)
}

// printPosition writes pos as the checkpoint record's JSON, indented.
func printPosition(stdout, stderr io.Writer, pos checkpoint.Position) int {
	raw, err := checkpoint.Encode(pos)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	fmt.Fprintln(stdout, out.String())
	return exitOK
}

// checkCommand runs `analytics-bridge check [--connect]`: the
// configuration alone, or with --connect every connection the bridge
// needs, one line each; exit status 0 when all are ok, 1 otherwise.
func checkCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	connect := fs.Bool("connect", false, "also try Kafka, the topics, the right to write, a token and the upstream handshake")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: analytics-bridge check [--connect]")
		return exitConfig
	}
	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintf(stdout, "failed  configuration: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "ok      configuration: bridge %s, topic %s, source %s (%s), transactions %v\n", cfg.BridgeName, cfg.KafkaTopic, cfg.Source, cfg.UpstreamSummary(), cfg.Transactions)
	if !*connect {
		return exitOK
	}
	ctx, stop := interruptible()
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, commandTimeout)
	defer cancel()
	code := exitOK
	adm, err := admin.New(cfg, sources.Kind(cfg))
	if err != nil {
		fmt.Fprintf(stdout, "failed  kafka: %v\n", err)
		return exitFailure
	}
	src, err := sources.New(cfg, zerolog.Nop(), nil)
	if err != nil {
		fmt.Fprintf(stdout, "failed  source: %v\n", err)
		return exitFailure
	}
	for _, r := range adm.Check(ctx, src) {
		status := "ok    "
		switch {
		case !r.OK:
			status, code = "failed", exitFailure
		case r.Warning:
			status = "warn  " // reported, not failed: see README "Durability prerequisites"
		}
		fmt.Fprintf(stdout, "%s  %s: %s\n", status, r.Name, r.Detail)
	}
	return code
}

package demo

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrUsage wraps every problem with the demo's flags (exit status 2).
var ErrUsage = errors.New("invalid demo flags")

// ParseFlags parses the arguments of `analytics-bridge demo`. Usage and
// problems go to stderr; -h returns flag.ErrHelp, anything else invalid an
// error wrapping ErrUsage. Terminal is set from stdout (see IsTerminal), and
// -log - sends the logs to stderr.
func ParseFlags(args []string, stdout, stderr io.Writer) (Options, error) {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: analytics-bridge demo [flags]

Runs the real bridge between an embedded upstream and an embedded
Kafka-protocol broker (or the cluster -kafka names), injects faults, and
checks that every event became exactly one record.

-source websocket (the default): the upstream simulator; a dropped
connection, a token expiry, a restart from the checkpoint.
-source sqs: Genesys Cloud events through EventBridge into an in-process
SQS stand-in; resends with new EventBridge ids, a duplicate delivery,
failing deletes, a restart while deletes are refused.
-source notifications: an in-process Genesys Cloud stand-in's
Notifications WebSocket, every gap back-filled from its analytics API; a
dropped socket, a socket_closing handover, an evicted channel, expired
tokens, a rate limit, a restart with calls going on. A gap is back-filled
once it is more than a minute old (the API's rule), so this run lasts
about -duration plus a minute; it checks that every conversation that
ended is covered and that no dedup key was written twice.

Flags:
`)
		fs.PrintDefaults()
	}
	var (
		opts    Options
		brokers string
		verbose bool
	)
	fs.StringVar(&opts.Source, "source", SourceWebSocket, "the upstream: websocket (the simulator), sqs (Genesys events in an SQS stand-in) or notifications (a Genesys Cloud stand-in)")
	fs.DurationVar(&opts.Duration, "duration", DefaultDuration, fmt.Sprintf("total length of the scripted run (faults are scheduled as fractions of it; with -source notifications the default is %s, at least %s)",
		DefaultNotificationsDuration, MinNotificationsDuration))
	fs.Float64Var(&opts.Rate, "rate", DefaultRate, "events per second the simulator emits (websocket, sqs)")
	fs.Float64Var(&opts.Calls, "calls", DefaultCalls, "calls the Genesys stand-in starts per second, each lasting a few seconds (notifications only)")
	fs.StringVar(&brokers, "kafka", "", "comma-separated host:port brokers of a real cluster (default: an embedded broker); topics get per-run names")
	fs.DurationVar(&opts.TokenLifetime, "token-lifetime", 0, "lifetime of the simulator's OAuth tokens (default: the -duration; websocket only)")
	fs.BoolVar(&opts.Quiet, "quiet", false, "no progress display: only milestones and the verdict")
	fs.BoolVar(&verbose, "v", false, "bridge and simulator logs at info level (default: warn)")
	fs.StringVar(&opts.LogPath, "log", filepath.Join(os.TempDir(), "analytics-bridge-demo.log"), `file receiving the bridge and simulator logs ("-" for stderr)`)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return Options{}, err
		}
		return Options{}, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	durationSet := false
	fs.Visit(func(f *flag.Flag) { durationSet = durationSet || f.Name == "duration" })
	if opts.Source == SourceNotifications && !durationSet {
		opts.Duration = DefaultNotificationsDuration
	}
	if fs.NArg() > 0 {
		err := fmt.Errorf("%w: unexpected argument %q", ErrUsage, fs.Arg(0))
		fmt.Fprintln(stderr, err)
		fs.Usage()
		return Options{}, err
	}
	for _, b := range strings.Split(brokers, ",") {
		if b = strings.TrimSpace(b); b != "" {
			opts.Brokers = append(opts.Brokers, b)
		}
	}
	if verbose {
		opts.LogLevel = "info"
	}
	if opts.LogPath == "-" {
		opts.LogPath, opts.Log = "", stderr
	}
	opts.Terminal = IsTerminal(stdout)
	if err := opts.validate(); err != nil {
		fmt.Fprintln(stderr, err)
		return Options{}, err
	}
	return opts, nil
}

// IsTerminal reports whether w is a character device (a terminal), where a
// status line can be redrawn in place.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// validate checks values a user can get wrong; zero values mean defaults.
func (o Options) validate() error {
	var problems []string
	switch o.Source {
	case "", SourceWebSocket, SourceSQS, SourceNotifications:
	default:
		problems = append(problems, fmt.Sprintf("-source %q is not websocket, sqs or notifications", o.Source))
	}
	minDuration := MinDuration
	if o.Source == SourceNotifications {
		minDuration = MinNotificationsDuration
	}
	if o.Duration != 0 && o.Duration < minDuration {
		problems = append(problems, fmt.Sprintf("-duration %s is shorter than %s", o.Duration, minDuration))
	}
	if o.Calls != 0 && (o.Calls < MinCalls || o.Calls > MaxCalls) || o.Calls != o.Calls {
		problems = append(problems, fmt.Sprintf("-calls %v is outside [%g, %d]", o.Calls, MinCalls, MaxCalls))
	}
	if o.Rate < 0 || o.Rate > MaxRate || o.Rate != o.Rate {
		problems = append(problems, fmt.Sprintf("-rate %v is outside (0, %d]", o.Rate, MaxRate))
	}
	if o.TokenLifetime < 0 || (o.TokenLifetime > 0 && o.TokenLifetime < time.Second) {
		problems = append(problems, fmt.Sprintf("-token-lifetime %s is shorter than 1s", o.TokenLifetime))
	}
	for _, b := range o.Brokers {
		if _, port, ok := strings.Cut(b, ":"); !ok || port == "" {
			problems = append(problems, fmt.Sprintf("-kafka %q is not host:port", b))
		}
	}
	switch o.LogLevel {
	case "", "debug", "info", "warn", "error":
	default:
		problems = append(problems, fmt.Sprintf("log level %q is not one of debug, info, warn, error", o.LogLevel))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrUsage, strings.Join(problems, "; "))
	}
	return nil
}

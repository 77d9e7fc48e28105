package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/analytics-bridge/analytics-bridge/bridge/retry"
	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/verify"
	"github.com/analytics-bridge/analytics-bridge/source/sources"
)

// stage is what every script shares: the narration, the logs, the Kafka
// cluster and the output topic's committed count, and the bridge instances
// started so far (the last one is current). A script embeds it and plays
// on it (play).
type stage struct {
	opts      Options
	out       *console
	cluster   *kafkatest.Cluster
	topic     *kafkatest.Counter // committed records of cfg.KafkaTopic; set by watch
	cfg       config.Config
	logger    zerolog.Logger // the root: each component's logger derives from it
	log       zerolog.Logger // the bridge's
	newSource sourceFunc     // how an instance builds its source
	start     time.Time
	logName   string
	name      string         // unique per run: topics and the bridge name derive from it
	closers   []func() error // run by close, last first

	mu        sync.Mutex  // guards instances
	instances []*instance // every bridge started; the last one is current
}

// openStage opens the logs and the cluster (embedded unless opts.Brokers)
// of a run; close releases them.
func openStage(w io.Writer, opts Options) (_ *stage, err error) {
	s := &stage{opts: opts, start: time.Now(), newSource: sources.New}
	defer func() {
		if err != nil {
			err = errors.Join(err, s.close())
		}
	}()
	logW := opts.Log
	if logW == nil && opts.LogPath != "" {
		f, ferr := os.Create(opts.LogPath)
		if ferr != nil {
			return nil, fmt.Errorf("creating the log file: %w", ferr)
		}
		s.onClose(func() error {
			if cerr := f.Close(); cerr != nil {
				return fmt.Errorf("closing the log file: %w", cerr)
			}
			return nil
		})
		logW, s.logName = f, opts.LogPath
	}
	if logW == nil {
		logW = io.Discard
	}
	level, err := zerolog.ParseLevel(opts.LogLevel)
	if err != nil {
		return nil, fmt.Errorf("%w: log level: %w", ErrUsage, err)
	}
	s.logger = zerolog.New(zerolog.ConsoleWriter{Out: logW, NoColor: true, TimeFormat: "15:04:05.000"}).
		Level(level).With().Timestamp().Logger()
	s.log = s.logger.With().Str("component", "bridge").Logger()

	s.cluster = &kafkatest.Cluster{Brokers: opts.Brokers, Real: len(opts.Brokers) > 0}
	if !s.cluster.Real {
		fake, ferr := kafkatest.StartEmbedded()
		if ferr != nil {
			return nil, fmt.Errorf("starting the embedded Kafka broker: %w", ferr)
		}
		s.onClose(func() error { fake.Close(); return nil })
		s.cluster.Fake, s.cluster.Brokers = fake, fake.ListenAddrs()
	}
	if s.name, err = runName(s.start); err != nil {
		return nil, err
	}
	s.cluster.Prefix = s.name
	s.out = newConsole(w, opts.Terminal, opts.Quiet, s.start)
	return s, nil
}

// onClose registers a release for close.
func (s *stage) onClose(f func() error) { s.closers = append(s.closers, f) }

// close releases what the run opened, last first.
func (s *stage) close() error {
	var errs []error
	for _, f := range slices.Backward(s.closers) {
		errs = append(errs, f())
	}
	s.closers = nil
	return errors.Join(errs...)
}

// watch sets the bridge's configuration and starts counting its output
// topic's committed records, as a read_committed consumer sees them (with
// transactions, end offsets also count markers and aborted records).
func (s *stage) watch(cfg config.Config) error {
	s.cfg = cfg
	counter, err := s.cluster.CountCommitted(cfg.KafkaTopic)
	if err != nil {
		return err
	}
	s.topic = counter
	s.onClose(func() error { counter.Close(); return nil })
	return nil
}

// player is one script on the stage.
type player interface {
	header()
	// script plays the scripted part of the run, until the verdict phase.
	script(ctx context.Context) error
	// finish stops the upstream, lets the bridge deliver (settle), verifies
	// and prints the verdict.
	finish(interrupted bool, stopMonitor func()) (verify.Report, error)
	// emitted is how many events the upstream produced so far.
	emitted() int64
	// statusTail ends the progress line.
	statusTail() string
	// tick runs at every monitor tick, progress shown or not.
	tick()
}

// play runs p: the first bridge, the monitor (progress) beside the script,
// then the verdict. Canceling ctx cuts the script short; the verdict still
// comes.
func (s *stage) play(ctx context.Context, p player) (verify.Report, error) {
	p.header()
	if err := s.startBridge(ctx); err != nil {
		return verify.Report{}, err
	}
	defer s.stopAll()

	monCtx, cancelMon := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { s.monitor(monCtx, p) })
	stopMonitor := sync.OnceFunc(func() {
		cancelMon()
		wg.Wait()
		s.out.clearStatus()
	})
	defer stopMonitor()

	scriptErr := p.script(ctx)
	interrupted := ctx.Err() != nil
	if interrupted {
		scriptErr = nil // the user's choice, not a failure
	} else if scriptErr != nil {
		s.out.say("script aborted: %v", scriptErr)
	}
	rep, err := p.finish(interrupted, stopMonitor)
	return rep, errors.Join(scriptErr, err, s.out.writeErr())
}

// headerKafka and headerLogs are the header lines every script shows.
func (s *stage) headerKafka() {
	kind := "embedded broker"
	if s.cluster.Real {
		kind = "-kafka"
	}
	s.out.plain("  kafka     %s (%s), topic %s", strings.Join(s.cluster.Brokers, ","), kind, s.cfg.KafkaTopic)
}

func (s *stage) headerLogs() {
	if s.logName != "" {
		s.out.plain("  logs      %s (%s and above)", s.logName, s.opts.LogLevel)
	}
}

// current is the bridge instance running now (or last).
func (s *stage) current() *instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.instances[len(s.instances)-1]
}

func (s *stage) startBridge(ctx context.Context) error {
	in, err := startInstance(ctx, s.cfg, s.log, s.newSource)
	if err != nil {
		return fmt.Errorf("starting the bridge: %w", err)
	}
	s.mu.Lock()
	s.instances = append(s.instances, in)
	s.mu.Unlock()
	return nil
}

// stopTimeout bounds a bridge's stop: its SHUTDOWN_TIMEOUT and a margin.
func (s *stage) stopTimeout() time.Duration { return s.cfg.ShutdownTimeout + 15*time.Second }

// stopAll stops every bridge instance still running (after a failed
// stop, for example), so that none outlives Run.
func (s *stage) stopAll() {
	s.mu.Lock()
	instances := append([]*instance(nil), s.instances...)
	s.mu.Unlock()
	for _, in := range instances {
		if done, _ := in.exited(); !done {
			if err := in.stop(s.stopTimeout()); err != nil {
				s.log.Error().Err(err).Msg("demo: a bridge instance did not stop")
			}
		}
	}
}

// bridgeCounters sums a counter over every bridge instance of the run.
func (s *stage) bridgeCounters(name string) int64 { return s.bridgeMetric(name) }

// bridgeMetric sums a counter's series with labels (see metric) over every
// bridge instance of the run.
func (s *stage) bridgeMetric(name string, labels ...string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := 0.0
	for _, in := range s.instances {
		sum += metric(in.reg, name, labels...)
	}
	return int64(sum)
}

// errBridgeExited ends a wait because the bridge's Run returned.
var errBridgeExited = errors.New("the bridge stopped on its own")

// waitFor polls cond until it holds, ctx ends, the current bridge exits or
// limit passes.
func (s *stage) waitFor(ctx context.Context, what string, limit time.Duration, cond func() bool) error {
	deadline := time.Now().Add(limit)
	for !cond() {
		if done, err := s.current().exited(); done {
			return fmt.Errorf("waiting for %s: %w (Run returned %v)", what, errBridgeExited, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s", limit, what)
		}
		if retry.Sleep(ctx, 20*time.Millisecond) != nil {
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		}
	}
	return nil
}

// at returns the moment a fraction of the script's duration is reached.
func (s *stage) at(frac float64) time.Time {
	return s.start.Add(time.Duration(frac * float64(s.opts.Duration)))
}

func (s *stage) sleepUntil(ctx context.Context, t time.Time) error {
	return s.waitFor(ctx, "the next step", time.Until(t)+waitLimit, func() bool { return !time.Now().Before(t) })
}

// steps sleeps until each step's moment and runs it, then sleeps until
// the verdict phase (stopAt).
func (s *stage) steps(ctx context.Context, steps []step) error {
	for _, st := range steps {
		if err := s.sleepUntil(ctx, s.at(st.at)); err != nil {
			return err
		}
		if err := st.do(ctx); err != nil {
			return err
		}
	}
	return s.sleepUntil(ctx, s.at(stopAt))
}

// step is one scripted action, at a fraction of the duration.
type step struct {
	at float64
	do func(context.Context) error
}

// firstRecords waits until the output topic holds records and returns how
// many.
func (s *stage) firstRecords(ctx context.Context) (int64, error) {
	var n int64
	err := s.waitFor(ctx, "the first records in Kafka", waitLimit, func() bool {
		n, _ = s.topic.Records()
		return n > 0
	})
	return n, err
}

// settle waits until delivered holds (the bridge delivered what the
// upstream produced), narrating held once it does, then stops the bridge
// and the monitor. It returns the errors of the wait and of the stop.
func (s *stage) settle(ctx context.Context, what string, delivered func() bool, held func(took time.Duration) string, stopMonitor func()) (waitErr, stopErr error) {
	return s.settleWithin(ctx, waitLimit, what, delivered, held, stopMonitor)
}

// settleWithin is settle, waiting up to limit for delivered.
func (s *stage) settleWithin(ctx context.Context, limit time.Duration, what string, delivered func() bool, held func(took time.Duration) string,
	stopMonitor func()) (waitErr, stopErr error) {
	at := time.Now()
	waitErr = s.waitFor(ctx, what, limit, delivered)
	if waitErr == nil {
		s.out.say("%s", held(time.Since(at)))
	}
	stopErr = s.current().stop(s.stopTimeout())
	if stopErr == nil {
		s.out.say("bridge stopped cleanly; reading the topic back to verify")
	}
	stopMonitor()
	return waitErr, stopErr
}

package sim

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/rs/zerolog"
)

// Config configures a Server. The zero value of every field means its
// default; New fills defaults on a copy and never modifies the caller's value.
type Config struct {
	// Addr is the TCP listen address. Default "127.0.0.1:0" (a free port).
	Addr string

	// Seed seeds the event generator. Default 1. The same seed yields the same
	// sequence of event contents (ids, bodies, lateness choices, group sizes);
	// event times come from the wall clock. With Lateness > 0 the emission
	// order of late events depends on timing, so only generation order is
	// reproducible.
	Seed int64

	// Rate is the number of events generated per second. Default 50.
	Rate float64

	// BatchSize is the maximum number of events in one frame, live or replay.
	// Default 10.
	BatchSize int

	// MaxEvents stops generation after this many events; Done is closed when
	// the last of them has been emitted. Default 0: unlimited.
	MaxEvents int

	// Retention is the retained log window, by event time. A since older than
	// now-Retention is refused with 400. Default 1h.
	Retention time.Duration

	// HeartbeatInterval is the period of the per-connection heartbeat frame.
	// Default 30s.
	HeartbeatInterval time.Duration

	// Lateness is the maximum lateness of late events: a late event keeps its
	// time but is emitted (appended to the log) up to Lateness after it, after
	// newer events. Default 0: every event is emitted in time order.
	Lateness time.Duration

	// LateRatio is the fraction of events delivered late, each with a delay
	// uniform in (0, Lateness]. Default 0.1 when Lateness > 0. Ignored when
	// Lateness is 0.
	LateRatio float64

	// SingleObjectRatio is the fraction of one-event live frames sent as a
	// bare JSON object instead of an array. Default 0.1; a negative value
	// means never.
	SingleObjectRatio float64

	// IDLess switches to a feed without "id" whose time is "eventTime" in
	// epoch milliseconds (a number) instead of "timestamp". Replays then
	// re-serialise events with a different key order, so a hash of the raw
	// bytes is not a stable dedup key while the content is.
	IDLess bool

	// TokenLifetime is the lifetime of tokens issued by the OAuth endpoint.
	// A session whose token expires is sent token_revoked and closed with
	// 1008 at that moment. Default 1h.
	TokenLifetime time.Duration

	// ClientID and ClientSecret are the accepted OAuth client credentials.
	// Default "demo-client" / "demo-secret".
	ClientID, ClientSecret string

	// StaticTokens are accepted without expiry, until ExpireTokens.
	StaticTokens []string

	// MaxClientFrame is the read limit for client frames; a bigger frame
	// closes the connection with 1009. Default 4096.
	MaxClientFrame int64

	// SlowClientQueue is the per-connection outbound frame queue. When it is
	// full the connection is closed with 1013 (try again later) instead of
	// buffering without bound. Default 10000.
	SlowClientQueue int

	// LedgerLimit bounds the ledger to its newest LedgerLimit entries, for
	// long-running simulators. Default 0: keep every event (what tests want).
	LedgerLimit int

	// Logger receives connection and fault logs. The zero value is silent.
	Logger zerolog.Logger
}

// Defaults, exported so that the command's flags can show them.
const (
	DefaultAddr              = "127.0.0.1:0"
	DefaultSeed              = 1
	DefaultRate              = 50
	DefaultBatchSize         = 10
	DefaultRetention         = time.Hour
	DefaultHeartbeatInterval = 30 * time.Second
	DefaultLateRatio         = 0.1
	DefaultSingleObjectRatio = 0.1
	DefaultTokenLifetime     = time.Hour
	DefaultClientID          = "demo-client"
	DefaultClientSecret      = "demo-secret"
	DefaultMaxClientFrame    = 4096
	DefaultSlowClientQueue   = 10000
)

// withDefaults returns a copy of c with zero fields replaced by defaults.
func (c Config) withDefaults() Config {
	c.Addr = cmp.Or(c.Addr, DefaultAddr)
	c.Seed = cmp.Or(c.Seed, DefaultSeed)
	c.Rate = cmp.Or(c.Rate, DefaultRate)
	c.BatchSize = cmp.Or(c.BatchSize, DefaultBatchSize)
	c.Retention = cmp.Or(c.Retention, DefaultRetention)
	c.HeartbeatInterval = cmp.Or(c.HeartbeatInterval, DefaultHeartbeatInterval)
	if c.Lateness > 0 {
		c.LateRatio = cmp.Or(c.LateRatio, DefaultLateRatio)
	}
	c.SingleObjectRatio = max(cmp.Or(c.SingleObjectRatio, DefaultSingleObjectRatio), 0)
	c.TokenLifetime = cmp.Or(c.TokenLifetime, DefaultTokenLifetime)
	c.ClientID = cmp.Or(c.ClientID, DefaultClientID)
	c.ClientSecret = cmp.Or(c.ClientSecret, DefaultClientSecret)
	c.MaxClientFrame = cmp.Or(c.MaxClientFrame, DefaultMaxClientFrame)
	c.SlowClientQueue = cmp.Or(c.SlowClientQueue, DefaultSlowClientQueue)
	c.StaticTokens = append([]string(nil), c.StaticTokens...)
	return c
}

// validate reports every problem of a defaulted config at once. Zero
// sizes and durations mean their default (or none), so only negative ones
// are wrong.
func (c Config) validate() error {
	var errs []error
	const positive, notNegative = "must be positive", "must not be negative"
	for _, f := range []struct {
		invalid bool
		name    string
		value   any
		rule    string
	}{
		{c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0), "rate", c.Rate, "must be a positive number"},
		{c.BatchSize < 0, "batch size", c.BatchSize, positive},
		{c.MaxEvents < 0, "max events", c.MaxEvents, notNegative},
		{c.Retention < 0, "retention", c.Retention, positive},
		{c.HeartbeatInterval < 0, "heartbeat interval", c.HeartbeatInterval, positive},
		{c.Lateness < 0, "lateness", c.Lateness, notNegative},
		{c.LateRatio < 0 || c.LateRatio > 1 || math.IsNaN(c.LateRatio), "late ratio", c.LateRatio, "must be within [0, 1]"},
		{c.SingleObjectRatio > 1 || math.IsNaN(c.SingleObjectRatio), "single object ratio", c.SingleObjectRatio, "must be at most 1"},
		{c.TokenLifetime < 0, "token lifetime", c.TokenLifetime, positive},
		{c.MaxClientFrame < 0, "max client frame", c.MaxClientFrame, positive},
		{c.SlowClientQueue < 0, "slow client queue", c.SlowClientQueue, positive},
		{c.LedgerLimit < 0, "ledger limit", c.LedgerLimit, notNegative},
	} {
		if f.invalid {
			errs = append(errs, fmt.Errorf("%s %v %s", f.name, f.value, f.rule))
		}
	}
	for i, t := range c.StaticTokens {
		if t == "" {
			errs = append(errs, fmt.Errorf("static token %d is empty", i))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid simulator config: %w", err)
	}
	return nil
}

package discovery

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/analytics-bridge/analytics-bridge/source/notifications"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/api"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/clock"
)

// Subscriber is what discovery needs of the channel client
// (*notifications.Client satisfies it).
type Subscriber interface {
	Subscribe(topics []string, since time.Time) error
	Unsubscribe(topics []string)
}

// Options configure a Discovery. Zero durations take the defaults shown.
type Options struct {
	// API lists the routing queues (AllQueues); its Clock() is the clock
	// (required).
	API *api.Client
	// Subscriber is the channel client (required).
	Subscriber Subscriber
	// Templates (GENESYS_TOPICS) are topic templates: "{id}" is replaced
	// by each queue id (v2.routing.queues.{id}.conversations,
	// v2.analytics.queues.{id}.observations); a template without {id} is
	// subscribed as is. At least one.
	Templates []string
	// QueueIDs (GENESYS_QUEUE_IDS) are the queues, as listed; ignored
	// when AllQueues.
	QueueIDs []string
	// AllQueues (GENESYS_QUEUE_IDS=all): the queues are those GET
	// /api/v2/routing/queues lists (every page), listed again every
	// Refresh; the topics of queues that disappear are unsubscribed.
	AllQueues bool
	// Refresh is the period of the queue listing (5 min).
	Refresh time.Duration
	// QueuePageSize is the pageSize of the queue listing (100; the
	// platform allows up to 500).
	QueuePageSize int
	// DetailTypes (GENESYS_DETAIL_EVENTS) are the detail event types
	// followed for each conversation (customer.start, acd.start, acd.end,
	// user.start, user.end, customer.end, acw, ...): topics
	// v2.detail.events.conversation.{id}.{type}. Empty: conversations are
	// not followed.
	DetailTypes []string
	// Linger is how long after a conversation's end was seen its detail
	// topics stay subscribed (late events such as acw) before they are
	// dropped (5 min).
	Linger time.Duration
	// MaxFollowed is the most conversations followed at once (the topic
	// budget); beyond it new conversations are not followed (counted).
	// Default: as many as fill half the platform's topics for one OAuth
	// client (20 channels of 1,000) with DetailTypes each.
	MaxFollowed int
	// StaleAfter: a conversation with no snapshot and no detail event for
	// this long is dropped although its end was never seen (12 h).
	StaleAfter time.Duration
	// Remember is how long a dropped conversation's id is kept, so that a
	// late snapshot of it is not taken for a new conversation (1 h).
	Remember time.Duration
	Logger   zerolog.Logger
}

// Defaults.
const (
	DefaultRefresh       = 5 * time.Minute
	DefaultQueuePageSize = 100
	DefaultLinger        = 5 * time.Minute
	DefaultStaleAfter    = 12 * time.Hour
	DefaultRemember      = time.Hour
	// maxQueuePageSize is the platform's largest pageSize for queues.
	maxQueuePageSize = 500
)

// ErrOptions is wrapped by every error of New: the options cannot work.
var ErrOptions = errors.New("discovery: invalid options")

// Discovery finds the topics to subscribe. See the package doc.
type Discovery struct {
	opts      Options
	clock     clock.Clock
	log       zerolog.Logger
	templates []template
	fixed     []string // topics of the id-less templates, subscribed by Run
	started   atomic.Bool
	poke      chan struct{} // capacity 1: a drop fell due earlier than Run waits for

	mu              sync.Mutex
	queues          map[string]bool          // queue ids whose topics are subscribed
	fixedSubscribed bool                     // Run has subscribed fixed
	convs           map[string]*conversation // by id
	forgotten       map[string]time.Time     // dropped conversation id -> when to forget it
	followed        int                      // conversations whose detail topics are subscribed
	full            bool                     // the last new conversation was refused for the budget
	armed           time.Time                // what Run's timer waits for; zero: nothing
	stats           Stats                    // counters; the gauges are filled by Stats()
}

// New checks o and builds a Discovery; it calls nothing on the network.
func New(o Options) (*Discovery, error) {
	if err := o.normalize(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOptions, err)
	}
	ts := make([]template, 0, len(o.Templates))
	var fixed []string
	for _, raw := range o.Templates {
		t := parseTemplate(raw)
		ts = append(ts, t)
		if !t.perQueue {
			fixed = append(fixed, raw)
		}
	}
	return &Discovery{opts: o, clock: o.API.Clock(), log: o.Logger.With().Str("component", "discovery").Logger(),
		templates: ts, fixed: fixed, poke: make(chan struct{}, 1), queues: map[string]bool{},
		convs: map[string]*conversation{}, forgotten: map[string]time.Time{}}, nil
}

// normalize checks o, reporting every problem at once, and fills in the
// defaults.
func (o *Options) normalize() error {
	var errs []error
	if o.API == nil {
		errs = append(errs, errors.New("API is required"))
	}
	if o.Subscriber == nil {
		errs = append(errs, errors.New("Subscriber is required"))
	}
	o.Templates = dedupe(o.Templates)
	if len(o.Templates) == 0 {
		errs = append(errs, errors.New("no topic templates (GENESYS_TOPICS)"))
	}
	needsQueues, snapshots := false, false
	for _, t := range o.Templates {
		if err := checkTemplate(t); err != nil {
			errs = append(errs, err)
			continue
		}
		pt := parseTemplate(t)
		needsQueues = needsQueues || pt.perQueue
		if _, ok := queueOfSnapshotTopic(pt.expand("x")); ok {
			snapshots = true
		}
	}
	if o.AllQueues {
		o.QueueIDs = nil
	}
	o.QueueIDs = dedupe(o.QueueIDs)
	for _, id := range o.QueueIDs {
		if !validID(id) {
			errs = append(errs, fmt.Errorf("queue id %q: want letters, digits, '-' and '_' only", id))
		}
	}
	if needsQueues && !o.AllQueues && len(o.QueueIDs) == 0 {
		for _, t := range o.Templates {
			if strings.Contains(t, idPlaceholder) {
				errs = append(errs, fmt.Errorf("template %q needs queues: give queue ids (GENESYS_QUEUE_IDS) or all", t))
			}
		}
	}
	o.DetailTypes = dedupe(o.DetailTypes)
	for _, dt := range o.DetailTypes {
		if !validDetailType(dt) {
			errs = append(errs, fmt.Errorf("detail event type %q: want a topic tail such as customer.start or acw", dt))
		}
	}
	if len(o.DetailTypes) > 0 && !snapshots && len(o.Templates) > 0 {
		errs = append(errs, errors.New("detail event types are given, but no template is a queue conversations topic "+
			"(v2.routing.queues.{id}.conversations): no conversation would ever be found"))
	}
	durations := []struct {
		name string
		d    *time.Duration
		def  time.Duration
	}{{"Refresh", &o.Refresh, DefaultRefresh}, {"Linger", &o.Linger, DefaultLinger},
		{"StaleAfter", &o.StaleAfter, DefaultStaleAfter}, {"Remember", &o.Remember, DefaultRemember}}
	for _, d := range durations {
		switch {
		case *d.d < 0:
			errs = append(errs, fmt.Errorf("%s %s: must not be negative", d.name, *d.d))
		case *d.d == 0:
			*d.d = d.def
		}
	}
	if o.StaleAfter <= o.Linger {
		errs = append(errs, fmt.Errorf("StaleAfter %s must be longer than Linger %s", o.StaleAfter, o.Linger))
	}
	switch {
	case o.QueuePageSize < 0 || o.QueuePageSize > maxQueuePageSize:
		errs = append(errs, fmt.Errorf("QueuePageSize %d: want 1 to %d", o.QueuePageSize, maxQueuePageSize))
	case o.QueuePageSize == 0:
		o.QueuePageSize = DefaultQueuePageSize
	}
	switch {
	case o.MaxFollowed < 0:
		errs = append(errs, fmt.Errorf("MaxFollowed %d: must not be negative", o.MaxFollowed))
	case o.MaxFollowed == 0 && len(o.DetailTypes) > 0:
		half := notifications.MaxTopicsPerChannel * notifications.MaxChannelsPerClient / 2
		o.MaxFollowed = max(1, half/len(o.DetailTypes))
	}
	return errors.Join(errs...)
}

// dedupe returns ss without repeats, in first-seen order.
func dedupe(ss []string) []string {
	var out []string
	for _, s := range ss {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

package feed

import (
	"context"
	"strings"

	"github.com/analytics-bridge/analytics-bridge/source"
	"github.com/analytics-bridge/analytics-bridge/source/notifications"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/discovery"
)

// Kinds of gaps, the label of analytics_bridge_notifications_gaps_total.
const (
	gapInterval     = "interval"
	gapConversation = "conversation"
)

// handler is what the channel client calls, from its own goroutine.
type handler struct{ st *stream }

// Event writes a notification, after discovery has looked at it: a
// conversation seen for the first time is wanted for a conversation-detail
// record once it ends, since its detail topics can only be subscribed
// after it began (and are not, past the budget).
func (h handler) Event(ctx context.Context, ev *notifications.Event) error {
	st := h.st
	var conversation string
	if s, ok := st.disc.Seen(ev); ok {
		conversation = s.ConversationID
		if s.New && len(st.src.opts.Discovery.DetailTypes) > 0 {
			st.led.want(s.ConversationID, ev.Received)
		}
		if s.Ended {
			st.led.ended(s.ConversationID, ev.Received)
		}
	}
	_, err := st.send(ctx, liveEvent(ev, conversation))
	return err
}

// Gap records what may have been missed: conversations whose detail
// topics it names are wanted by id; any other topic makes the interval a
// gap to fetch whole.
func (h handler) Gap(_ context.Context, g notifications.Gap) error {
	st := h.st
	var others []string
	for _, t := range g.Topics {
		if id, ok := discovery.ConversationOfTopic(t); ok {
			st.led.want(id, g.To)
			continue
		}
		others = append(others, t)
	}
	if len(others) == 0 {
		st.src.metrics.gaps.WithLabelValues(gapConversation).Inc()
		return nil
	}
	st.src.metrics.gaps.WithLabelValues(gapInterval).Inc()
	added := st.led.addGap(g.From, g.To, g.Reason)
	st.src.log.Info().Time("from", added.From).Time("to", added.To).Str("reason", g.Reason).Int("topics", len(others)).
		Str("example", others[0]).Msg("gap queued for back-fill")
	select {
	case st.gapAdded <- struct{}{}:
	default:
	}
	return nil
}

// Malformed frames go to the dead-letter topic.
func (h handler) Malformed(ctx context.Context, m notifications.Malformed) error {
	return h.st.sendDeadLetter(ctx, &source.DeadLetter{Raw: m.Frame, Reason: "not a notification: " + strings.TrimSpace(m.Problem) + " (channel " + m.Channel + ")",
		KeyTime: m.Received})
}

// Status passes the connected state on, without blocking.
func (h handler) Status(s notifications.Status) { h.st.setStatus(s.Connected) }

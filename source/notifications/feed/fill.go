package feed

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge/retry"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/api"
	"github.com/analytics-bridge/analytics-bridge/source/notifications/backfill"
)

// Back-fill reasons, the genesys-backfill header of a conversation-detail
// record.
const (
	whyGap      = "gap"
	whyFollowed = "followed"
	whyMaxWait  = "max-wait"
)

// refused reports whether retrying a back-fill call cannot help: the
// credentials or the permission are missing, or the request is wrong.
func refused(err error) bool {
	s := api.StatusOf(err)
	return errors.Is(err, api.ErrCredentials) || s == http.StatusForbidden || s == http.StatusBadRequest
}

// fillGaps fetches the gaps' conversations, oldest gap first, merging
// gaps that overlap once widened: every conversation active in a gap that
// has ended is written; one still going on is wanted by id. The gaps leave
// the checkpoint with the last of their records.
func (st *stream) fillGaps(ctx context.Context) error {
	o := st.src.opts
	bo := retry.NewBackoff(time.Second, time.Minute, uint64(st.start.UnixNano()))
	for {
		gaps := st.led.gapsToFill()
		if len(gaps) == 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-st.gapAdded:
				continue
			}
		}
		from, to := gaps[0].From, gaps[0].To
		ids := []uint64{gaps[0].ID}
		for _, g := range gaps[1:] {
			if g.From.Add(-o.Latency).After(to.Add(o.Latency)) {
				break
			}
			ids = append(ids, g.ID)
			if g.To.After(to) {
				to = g.To
			}
		}
		started := time.Now()
		convs, err := st.src.fetch.Active(ctx, from.Add(-o.Latency), to.Add(o.Latency))
		st.src.metrics.fetchSeconds.WithLabelValues("interval").Observe(time.Since(started).Seconds())
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if refused(err) {
				return err
			}
			d := bo.Next()
			st.src.log.Warn().Err(err).Time("from", from).Time("to", to).Dur("retry_in", d).Msg("back-fill of a gap failed; retrying")
			if retry.Sleep(ctx, d) != nil {
				return nil
			}
			continue
		}
		bo.Reset()
		now := st.src.api.Clock().Now()
		written, awaited := 0, 0
		n := st.count.Load()
		for _, c := range convs {
			if c.End.IsZero() {
				st.led.want(c.ID, now)
				awaited++
				continue
			}
			if n, err = st.sendDetail(ctx, detailRecord(c, whyGap, now)); err != nil {
				return nil // the epoch is over
			}
			written++
		}
		st.led.filled(n, ids...)
		st.src.log.Info().Time("from", from).Time("to", to).Int("gaps", len(ids)).Int("written", written).Int("awaited", awaited).
			Msg("gap back-filled: ended conversations written as conversation-detail records, the others awaited")
	}
}

// fillPending fetches, every PendingPoll, the conversations awaited by id
// that are due (discovery saw them end, or their backoff passed): each
// that has ended is written; one not ended yet waits twice as long as
// before (up to maxPollBackoff polls); one unended past PendingMaxWait is
// written as it stands; one the API never knew by then is given up, loudly.
func (st *stream) fillPending(ctx context.Context) error {
	o := st.src.opts
	clk := st.src.api.Clock()
	for {
		due, stop := clk.Until(clk.Now().Add(o.PendingPoll))
		select {
		case <-ctx.Done():
			stop()
			return nil
		case <-due:
		}
		stop()
		list := st.led.duePending(clk.Now())
		if len(list) == 0 {
			continue
		}
		ids := make([]string, len(list))
		for i, p := range list {
			ids[i] = p.ID
		}
		started := time.Now()
		convs, err := st.src.fetch.ByID(ctx, ids)
		st.src.metrics.fetchSeconds.WithLabelValues("by_id").Observe(time.Since(started).Seconds())
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if refused(err) {
				return err
			}
			st.src.log.Warn().Err(err).Int("conversations", len(ids)).Msg("fetching awaited conversations failed; trying again at the next poll")
			continue
		}
		if err := st.settlePending(ctx, list, convs); err != nil {
			return nil // the epoch is over
		}
	}
}

// settlePending writes what of list has ended (or waited too long).
func (st *stream) settlePending(ctx context.Context, list []pending, convs []backfill.Conversation) error {
	now := st.src.api.Clock().Now()
	found := make(map[string]backfill.Conversation, len(convs))
	for _, c := range convs {
		found[c.ID] = c
	}
	for _, p := range list {
		c, ok := found[p.ID]
		overdue := now.Sub(p.Added) > st.src.opts.PendingMaxWait
		switch {
		case !overdue && (!ok || c.End.IsZero()):
			st.led.notYet(p.ID, now, st.src.opts.PendingPoll)
		case ok && !c.End.IsZero():
			n, err := st.sendDetail(ctx, detailRecord(c, whyFollowed, now))
			if err != nil {
				return err
			}
			st.led.written(n, p.ID)
		case ok && overdue:
			n, err := st.sendDetail(ctx, detailRecord(c, whyMaxWait, now))
			if err != nil {
				return err
			}
			st.led.written(n, p.ID)
			st.src.log.Warn().Str("conversation", p.ID).Dur("waited", now.Sub(p.Added)).
				Msg("conversation still not ended after GENESYS_BACKFILL_MAX_WAIT: written as it stands; its later events may be missing")
		case !ok && overdue:
			st.led.written(st.count.Load(), p.ID)
			st.src.metrics.givenUp.Inc()
			st.src.log.Error().Str("conversation", p.ID).Dur("waited", now.Sub(p.Added)).
				Msg("conversation never found in the analytics API within GENESYS_BACKFILL_MAX_WAIT: the events missed of it cannot be back-filled")
		}
	}
	return nil
}

package discovery

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/analytics-bridge/analytics-bridge/source/notifications/api"
)

// queuesPath lists the routing queues.
const queuesPath = "/api/v2/routing/queues"

// maxQueuePages bounds one listing, against a listing whose pageCount
// never ends.
const maxQueuePages = 10000

// queueListing is what discovery reads of platformclientv2
// QueueEntityListing.
type queueListing struct {
	Entities []struct {
		ID string `json:"id"`
	} `json:"entities"`
	PageCount int    `json:"pageCount"`
	NextURI   string `json:"nextUri"`
}

// listQueues returns the ids of every queue GET /api/v2/routing/queues
// lists, reading every page (while pageCount or nextUri says there are
// more, and the last page was not empty). A queue listed twice (the listing shifted
// between pages) counts once; an id unfit for a topic is left out and
// logged.
func (d *Discovery) listQueues(ctx context.Context) ([]string, error) {
	var ids []string
	seen := map[string]bool{}
	for page := 1; ; page++ {
		if page > maxQueuePages {
			return nil, fmt.Errorf("listing the routing queues: more than %d pages", maxQueuePages)
		}
		q := url.Values{"pageSize": {strconv.Itoa(d.opts.QueuePageSize)}, "pageNumber": {strconv.Itoa(page)}}
		var l queueListing
		if _, err := d.opts.API.Do(ctx, api.Call{Method: http.MethodGet, Path: queuesPath, Query: q}, &l); err != nil {
			return nil, fmt.Errorf("listing the routing queues, page %d: %w", page, err)
		}
		for _, e := range l.Entities {
			switch {
			case !validID(e.ID):
				d.log.Warn().Str("queue", e.ID).Msg("queue listing: an id unfit for a topic, left out")
			case !seen[e.ID]:
				seen[e.ID] = true
				ids = append(ids, e.ID)
			}
		}
		if len(l.Entities) == 0 || page >= l.PageCount && l.NextURI == "" {
			return ids, nil
		}
	}
}

// setQueues makes ids the queues whose topics are subscribed: the topics
// of the new ones from since, those of the ones not in ids any more
// unsubscribed. It returns how many were added and removed.
func (d *Discovery) setQueues(ids []string, since time.Time) (added, removed int, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	want := map[string]bool{}
	var add []string
	for _, id := range ids {
		want[id] = true
		if !d.queues[id] {
			add = append(add, id)
		}
	}
	var drop []string
	for id := range d.queues {
		if !want[id] {
			drop = append(drop, id)
		}
	}
	slices.Sort(drop)
	var topics []string
	for _, id := range drop {
		topics = append(topics, d.queueTopics(id)...)
		delete(d.queues, id)
	}
	if len(topics) > 0 {
		d.opts.Subscriber.Unsubscribe(topics)
	}
	topics = nil
	for _, id := range add {
		topics = append(topics, d.queueTopics(id)...)
		d.queues[id] = true
	}
	if len(topics) > 0 {
		if err := d.opts.Subscriber.Subscribe(topics, since); err != nil {
			return len(add), len(drop), fmt.Errorf("subscribing the queues' topics: %w", err)
		}
	}
	return len(add), len(drop), nil
}

// refresh lists the queues and applies the difference; the topics of new
// queues are wanted from since. A failure leaves the queues as they were.
// The first listing's changes are not counted as queues added.
func (d *Discovery) refresh(ctx context.Context, since time.Time, first bool) error {
	ids, err := d.listQueues(ctx)
	if err != nil {
		d.mu.Lock()
		d.stats.ListingFailures++
		d.mu.Unlock()
		return err
	}
	added, removed, err := d.setQueues(ids, since)
	d.mu.Lock()
	d.stats.Listings++
	if !first {
		d.stats.QueuesAdded += uint64(added)
		d.stats.QueuesRemoved += uint64(removed)
	}
	d.mu.Unlock()
	switch {
	case len(ids) == 0:
		d.log.Warn().Msg("the queue listing is empty: no queue topic is subscribed")
	case first || added > 0 || removed > 0:
		d.log.Info().Int("added", added).Int("removed", removed).Int("queues", len(ids)).Msg("queue list")
	}
	return err
}

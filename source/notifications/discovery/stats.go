package discovery

// Stats are discovery's gauges and counters (for metrics).
type Stats struct {
	// Queues is how many queues have their topics subscribed.
	Queues int
	// QueueTopics is how many queue topics are subscribed: each queue's
	// expanded templates, and the templates without {id}.
	QueueTopics int
	// Tracked is how many conversations are known now, followed or not.
	Tracked int
	// Followed is how many conversations have their detail topics
	// subscribed now, lingering ones included.
	Followed int

	// FollowedTotal counts the conversations followed since New.
	FollowedTotal uint64
	// NotFollowed counts the conversations not followed because
	// MaxFollowed were followed already.
	NotFollowed uint64
	// Dropped counts the followed conversations unsubscribed Linger after
	// their end was seen.
	Dropped uint64
	// Stale counts the followed conversations unsubscribed without their
	// end seen: nothing of them read for StaleAfter.
	Stale uint64
	// Snapshots counts the queue conversation snapshots read; Malformed
	// of them could not be read and were ignored.
	Snapshots, Malformed uint64
	// Listings counts the queue listings done (AllQueues), the first
	// included; ListingFailures those that failed.
	Listings, ListingFailures uint64
	// QueuesAdded and QueuesRemoved count the queues that appeared in and
	// disappeared from the listings after the first.
	QueuesAdded, QueuesRemoved uint64
}

// Stats returns the current gauges and counters. Safe from any goroutine.
func (d *Discovery) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.stats
	s.Queues = len(d.queues)
	perQueue := len(d.templates) - len(d.fixed)
	s.QueueTopics = s.Queues * perQueue
	if d.fixedSubscribed {
		s.QueueTopics += len(d.fixed)
	}
	s.Tracked, s.Followed = len(d.convs), d.followed
	return s
}

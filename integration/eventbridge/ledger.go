package eventbridge

// Ledger is the set of distinct (topicName, eventBody) pairs, compared as
// raw bytes. Not safe for concurrent use.
type Ledger struct {
	pairs map[string]struct{}
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger { return &Ledger{pairs: map[string]struct{}{}} }

func pairKey(topic string, eventBody []byte) string {
	return topic + "\x00" + string(eventBody)
}

// Add records a pair and reports whether it was new.
func (l *Ledger) Add(topic string, eventBody []byte) bool {
	k := pairKey(topic, eventBody)
	if _, ok := l.pairs[k]; ok {
		return false
	}
	l.pairs[k] = struct{}{}
	return true
}

// Has reports whether the pair is in the ledger.
func (l *Ledger) Has(topic string, eventBody []byte) bool {
	_, ok := l.pairs[pairKey(topic, eventBody)]
	return ok
}

// Len returns the number of distinct pairs.
func (l *Ledger) Len() int { return len(l.pairs) }

// Report compares what a reader found with a ledger.
type Report struct {
	Expected   int // distinct pairs in the ledger
	Read       int // values read
	Distinct   int // distinct ledger pairs among them
	Duplicates int // values whose pair was read before
	Missing    int // ledger pairs never read
	Unexpected int // values whose pair is not in the ledger
	Malformed  int // values without a readable pair
}

// ExactlyOnce reports whether every pair was read once and nothing else was.
func (r Report) ExactlyOnce() bool {
	return r.Missing == 0 && r.Duplicates == 0 && r.Unexpected == 0 && r.Malformed == 0 && r.Read == r.Expected
}

// Check counts values (detail objects when envelopes is false, whole
// envelopes when true) against the ledger.
func (l *Ledger) Check(values [][]byte, envelopes bool) Report {
	r := Report{Expected: l.Len(), Read: len(values)}
	seen := map[string]struct{}{}
	for _, v := range values {
		pair := Pair
		if envelopes {
			pair = EnvelopePair
		}
		topic, body, err := pair(v)
		if err != nil {
			r.Malformed++
			continue
		}
		k := pairKey(topic, body)
		if _, dup := seen[k]; dup {
			r.Duplicates++
			continue
		}
		seen[k] = struct{}{}
		if _, ok := l.pairs[k]; ok {
			r.Distinct++
		} else {
			r.Unexpected++
		}
	}
	r.Missing = r.Expected - r.Distinct
	return r
}

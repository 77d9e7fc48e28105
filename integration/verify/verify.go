// Package verify compares what the upstream simulator emitted (its ledger)
// with what landed in Kafka, counting physical records per dedup key. Tests,
// the kill test and the demo's verdict all use it, so "exactly once" means
// the same thing everywhere.
package verify

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/analytics-bridge/analytics-bridge/bridge"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/analytics-bridge/analytics-bridge/integration/sim"
	"github.com/analytics-bridge/analytics-bridge/source/contentkey"
)

// Report is the outcome of a comparison.
type Report struct {
	Events     int // events in the ledger
	Records    int // records of this bridge in the topic (gap markers excluded)
	Lost       int // ledger events with no record
	Duplicates int // records beyond the first for a dedup key
	Unknown    int // records whose dedup key the ledger lacks
	Mismatched int // records whose value is not the event the ledger holds
	OutOfOrder int // records of one record key in a partition out of ledger order
	Gaps       int // gap-marker records
	Examples   []string
}

// OK reports exactly once: nothing lost, duplicated, unknown, altered or reordered.
func (r Report) OK() bool {
	return r.Lost == 0 && r.Duplicates == 0 && r.Unknown == 0 && r.Mismatched == 0 && r.OutOfOrder == 0
}

func (r Report) String() string {
	return fmt.Sprintf("events=%d records=%d lost=%d duplicates=%d unknown=%d mismatched=%d out_of_order=%d gaps=%d",
		r.Events, r.Records, r.Lost, r.Duplicates, r.Unknown, r.Mismatched, r.OutOfOrder, r.Gaps)
}

func (r *Report) example(format string, args ...any) {
	if len(r.Examples) < 5 {
		r.Examples = append(r.Examples, fmt.Sprintf(format, args...))
	}
}

// Key is the dedup key the bridge must have given a ledger entry: its id,
// or the content key of an event without one.
func Key(e sim.LedgerEntry) (string, error) {
	if e.ID != "" {
		return e.ID, nil
	}
	return contentkey.Of(e.Raw)
}

// ExactlyOnce checks records (all of the output topic) against the ledger;
// only records whose bridge-name header is bridgeName count.
func ExactlyOnce(ledger []sim.LedgerEntry, records []kafkatest.Record, bridgeName string) (Report, error) {
	rep := Report{Events: len(ledger)}
	type want struct {
		seq int
		raw []byte
		id  bool
	}
	byKey := make(map[string]want, len(ledger))
	for _, e := range ledger {
		k, err := Key(e)
		if err != nil {
			return rep, fmt.Errorf("ledger entry %d: %w", e.Seq, err)
		}
		byKey[k] = want{seq: e.Seq, raw: e.Raw, id: e.ID != ""}
	}

	count := make(map[string]int, len(ledger))
	type pk struct {
		partition int
		key       string
	}
	lastSeq := map[pk]int{}
	sorted := append([]kafkatest.Record(nil), records...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].Partition != sorted[j].Partition {
			return sorted[i].Partition < sorted[j].Partition
		}
		return sorted[i].Offset < sorted[j].Offset
	})
	for _, r := range sorted {
		if r.Headers[bridge.HeaderBridge] != bridgeName {
			continue
		}
		if r.Headers[bridge.HeaderGap] == "true" {
			rep.Gaps++
			continue
		}
		rep.Records++
		k := r.Headers[bridge.HeaderDedupKey]
		count[k]++
		w, ok := byKey[k]
		if !ok {
			rep.Unknown++
			rep.example("unknown record at partition %d offset %d, key %q", r.Partition, r.Offset, k)
			continue
		}
		if count[k] > 1 {
			rep.Duplicates++
			rep.example("duplicate of %q at partition %d offset %d", k, r.Partition, r.Offset)
		}
		if !sameEvent(w.raw, r.Value, w.id) {
			rep.Mismatched++
			rep.example("value of %q differs from the ledger", k)
		}
		p := pk{r.Partition, string(r.Key)}
		if last, seen := lastSeq[p]; seen && w.seq < last && count[k] == 1 {
			rep.OutOfOrder++
			rep.example("record key %q in partition %d: seq %d after %d", r.Key, r.Partition, w.seq, last)
		}
		if w.seq > lastSeq[p] {
			lastSeq[p] = w.seq
		}
	}
	for _, e := range ledger {
		k, _ := Key(e)
		if count[k] == 0 {
			rep.Lost++
			rep.example("lost event seq %d key %q time %s", e.Seq, k, e.Time.Format("15:04:05.000"))
		}
	}
	return rep, nil
}

// sameEvent: events with an id are resent byte for byte; id-less ones may be
// re-serialised, so compare their content.
func sameEvent(ledger, value []byte, hasID bool) bool {
	if hasID {
		return bytes.Equal(ledger, value)
	}
	a, errA := contentkey.Of(ledger)
	b, errB := contentkey.Of(value)
	return errA == nil && errB == nil && a == b
}

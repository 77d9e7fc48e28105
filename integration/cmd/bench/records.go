package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/analytics-bridge/analytics-bridge/integration/sim"
)

// The raw producers write the records the bridge writes: the event's id as
// the key (the bridge's default record key is the dedup key, the id), the
// event's bytes as the value, the event time as the record time and the
// bridge's three headers (dedup key, event time, bridge name); the
// partition is murmur2 of the key over the same partition count, as the
// bridge picks it.
const rawBridgeName = "bench-raw"

// The bridge's record headers (bridge.HeaderDedupKey, HeaderEventTime and
// HeaderBridge), spelled out so that the bench does not link the bridge
// package it measures as a separate binary.
const (
	headerDedupKey  = "bridge-dedup-key"
	headerEventTime = "bridge-event-time"
	headerBridge    = "bridge-name"
)

// sizeStats describes the backlog's event sizes.
type sizeStats struct {
	min, max int
	mean     float64
	total    int64
}

// writeRecords writes the backlog as the raw producers' input: per event,
// the key, the value and the event-time header, each as a uvarint length
// and the bytes. It returns the set of ids and the sizes.
func writeRecords(path string, ledger []sim.LedgerEntry) (map[string]struct{}, sizeStats, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, sizeStats{}, err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	ids := make(map[string]struct{}, len(ledger))
	st := sizeStats{min: int(^uint(0) >> 1)}
	var lenBuf [binary.MaxVarintLen64]byte
	put := func(b []byte) {
		n := binary.PutUvarint(lenBuf[:], uint64(len(b)))
		_, _ = w.Write(lenBuf[:n])
		_, _ = w.Write(b)
	}
	for _, e := range ledger {
		if e.ID == "" {
			return nil, st, errors.New("an event without an id")
		}
		if _, dup := ids[e.ID]; dup {
			return nil, st, fmt.Errorf("id %s repeated in the backlog", e.ID)
		}
		ids[e.ID] = struct{}{}
		n := len(e.Raw)
		st.min, st.max, st.total = min(st.min, n), max(st.max, n), st.total+int64(n)
		put([]byte(e.ID))
		put(e.Raw)
		put([]byte(e.Time.UTC().Format(time.RFC3339Nano)))
	}
	st.mean = float64(st.total) / float64(len(ledger))
	if err := w.Flush(); err != nil {
		return nil, st, fmt.Errorf("writing %s: %w", path, err)
	}
	return ids, st, f.Close()
}

// readRecords loads the file of writeRecords as kafka-go messages; their
// byte slices share one buffer.
func readRecords(path string) ([]kafka.Message, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	next := func() ([]byte, error) {
		n, k := binary.Uvarint(data)
		if k <= 0 || uint64(len(data)-k) < n {
			return nil, errors.New("truncated records file")
		}
		b := data[k : k+int(n) : k+int(n)]
		data = data[k+int(n):]
		return b, nil
	}
	name := []byte(rawBridgeName)
	var msgs []kafka.Message
	for len(data) > 0 {
		key, err := next()
		if err != nil {
			return nil, err
		}
		value, err := next()
		if err != nil {
			return nil, err
		}
		ts, err := next()
		if err != nil {
			return nil, err
		}
		t, err := time.Parse(time.RFC3339Nano, string(ts))
		if err != nil {
			return nil, fmt.Errorf("records file: %w", err)
		}
		msgs = append(msgs, kafka.Message{
			Key: key, Value: value, Time: t,
			Headers: []kafka.Header{
				{Key: headerDedupKey, Value: key},
				{Key: headerEventTime, Value: ts},
				{Key: headerBridge, Value: name},
			},
		})
	}
	return msgs, nil
}

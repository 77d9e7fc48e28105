// Command keystore-rss measures what the dedup window's key store costs a
// whole process: it runs a source/keystore.Store through a simulated stretch
// of events (default: 75 min at 1,000 events/s with a 1 h window, pruned
// every 10 s, so it spends 15 min at the steady 3.6M keys) and prints the
// table size, bytes per key and the process's peak RSS (VmHWM). Run it under
// /usr/bin/time -v for an outside view of the same peak:
//
//	go build -o /tmp/keystore-rss ./integration/cmd/keystore-rss
//	/usr/bin/time -v /tmp/keystore-rss
package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/analytics-bridge/analytics-bridge/source/keystore"
)

func main() {
	rate := flag.Int("rate", 1000, "events per second")
	window := flag.Duration("window", time.Hour, "dedup window")
	run := flag.Duration("duration", 75*time.Minute, "simulated time to run")
	every := flag.Duration("prune-every", 10*time.Second, "prune interval")
	flag.Parse()
	if err := measure(*rate, *window, *run, *every); err != nil {
		fmt.Fprintln(os.Stderr, "keystore-rss:", err)
		os.Exit(1)
	}
}

func measure(rate int, window, run, every time.Duration) error {
	capacity := keystore.Capacity(window, every, rate)
	s, err := keystore.New(capacity)
	if err != nil {
		return err
	}
	start := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	wall := time.Now()
	var n uint64
	var b [8]byte
	maxLen := 0
	for sec := time.Duration(0); sec < run; sec += time.Second {
		now := start.Add(sec)
		if sec%every == 0 {
			s.Prune(now.Add(-window))
		}
		for range rate {
			binary.LittleEndian.PutUint64(b[:], n)
			n++
			k := keystore.Sum(b[:])
			if s.Seen(k) {
				return fmt.Errorf("false match at event %d", n)
			}
			if err := s.Add(k, now); err != nil {
				return fmt.Errorf("event %d at %s: %w", n, sec, err)
			}
		}
		maxLen = max(maxLen, s.Len())
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("events %d over %s at %d/s, window %s, prune every %s\n", n, run, rate, window, every)
	fmt.Printf("capacity %d keys, held now %d, most held %d\n", s.Cap(), s.Len(), maxLen)
	fmt.Printf("table %d bytes (%.1f MiB): %.2f bytes per key of capacity, %.2f per key held at most\n",
		s.Bytes(), float64(s.Bytes())/(1<<20), float64(s.Bytes())/float64(s.Cap()), float64(s.Bytes())/float64(maxLen))
	fmt.Printf("go heap in use %.1f MiB, runtime total from OS %.1f MiB\n",
		float64(ms.HeapInuse)/(1<<20), float64(ms.Sys)/(1<<20))
	fmt.Printf("peak RSS (VmHWM) %s, wall %s\n", procStatus("VmHWM"), time.Since(wall).Round(time.Millisecond))
	return nil
}

// procStatus returns a field of /proc/self/status (Linux), or "n/a".
func procStatus(field string) string {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return "n/a"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "n/a"
}

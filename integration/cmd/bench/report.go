package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Row classes: the two physical limits and the bridge.
const (
	classRead   = "a"
	classWrite  = "b"
	classBridge = "c"
)

// row is one line of the table, run -runs times.
type row struct {
	class string
	label string
	name  string
	run   func(ctx context.Context, b *bench, i int) result
}

// result is one run of a row.
type result struct {
	events  int
	elapsed time.Duration // what the rate is measured over
	perSec  float64
	hwmKiB  int64         // peak RSS
	cpu     time.Duration // utime+stime for the events
	note    string        // details, possibly several lines
	others  float64       // cores other processes kept busy during the run
	err     error
}

func (r result) brief() string {
	if r.err != nil {
		return "FAILED: " + firstLine(r.err.Error())
	}
	return fmt.Sprintf("%s events/s, peak RSS %s, CPU %.2f µs/event; other processes %.2f cores", perSec(r.perSec), mib(r.hwmKiB), r.cpuPerEvent(), r.others)
}

func (r result) cpuPerEvent() float64 {
	if r.events == 0 {
		return 0
	}
	return float64(r.cpu.Nanoseconds()) / 1e3 / float64(r.events)
}

// rowSummary is a row's runs and their medians (over the runs that did not
// fail).
type rowSummary struct {
	row
	runs   []result
	ok     int
	perSec float64
	hwmKiB float64
	cpuUS  float64
}

func summarise(rows []row, results [][]result) []rowSummary {
	out := make([]rowSummary, len(rows))
	for i, r := range rows {
		s := rowSummary{row: r, runs: results[i]}
		var rates, hwms, cpus []float64
		for _, res := range s.runs {
			if res.err != nil {
				continue
			}
			s.ok++
			rates = append(rates, res.perSec)
			hwms = append(hwms, float64(res.hwmKiB))
			cpus = append(cpus, res.cpuPerEvent())
		}
		s.perSec, s.hwmKiB, s.cpuUS = median(rates), median(hwms), median(cpus)
		out[i] = s
	}
	return out
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	v = append([]float64(nil), v...)
	sort.Float64s(v)
	m := len(v) / 2
	if len(v)%2 == 1 {
		return v[m]
	}
	return (v[m-1] + v[m]) / 2
}

// report is everything the bench prints.
type report struct {
	setupInfo
	loadStart string
	loadEnd   string
	others    float64 // cores other processes kept busy during the runs
	opts      options
	backlog   string
	sizes     sizeStats
	rows      []rowSummary
}

func (r *report) failed() bool {
	for _, s := range r.rows {
		if s.ok < len(s.runs) {
			return true
		}
	}
	return false
}

// limit is min(a, b): the fastest read row and the fastest write row, and
// the smaller of the two. ok is false unless both were measured.
func (r *report) limit() (a, b rowSummary, lim float64, ok bool) {
	best := func(class string) (rowSummary, bool) {
		var top rowSummary
		found := false
		for _, s := range r.rows {
			if s.class == class && s.ok > 0 && (!found || s.perSec > top.perSec) {
				top, found = s, true
			}
		}
		return top, found
	}
	a, okA := best(classRead)
	b, okB := best(classWrite)
	if !okA || !okB {
		return a, b, math.NaN(), false
	}
	return a, b, math.Min(a.perSec, b.perSec), true
}

func (r *report) print(w io.Writer) {
	o := r.opts
	fmt.Fprintf(w, "analytics-bridge bench: the bridge beside the physical limits\n")
	fmt.Fprintf(w, "  command   %s\n", r.command)
	fmt.Fprintf(w, "  machine   %s; load average %s at the start", r.machine, r.loadStart)
	if r.loadEnd != "" {
		fmt.Fprintf(w, ", %s at the end;\n            other processes kept %.2f cores busy on average during the runs", r.loadEnd, r.others)
		if r.realBroker {
			fmt.Fprintf(w, " (a broker on this host counts among them)")
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  kafka     %s\n", r.kafka)
	if r.bridgeBuild != "" {
		fmt.Fprintf(w, "  bridge    %s\n", r.bridgeBuild)
	}
	fmt.Fprintf(w, "  workload  %d events of %d-%d bytes (mean %.1f), frames of %d events, %d partitions, %s;\n",
		o.events, r.sizes.min, r.sizes.max, r.sizes.mean, o.frame, o.partitions, o.compression)
	fmt.Fprintf(w, "            the simulator's backlog (%s), replayed from since for each reader\n", r.backlog)
	fmt.Fprintf(w, "  runs      %d per row, interleaved; each a fresh process with fresh topics (and BRIDGE_NAME); medians shown\n\n", o.runs)

	_, _, lim, limOK := r.limit()
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\tevents/s\tratio to min(a,b)\tpeak RSS\tCPU µs/event\t\n", padRight("run", 40))
	for _, s := range r.rows {
		rate, ratio, rss, cpu := "failed", "-", "-", "-"
		if s.ok > 0 {
			rate = perSec(s.perSec)
			if limOK {
				ratio = fmt.Sprintf("%.2f", s.perSec/lim)
			}
			rss = mib(int64(s.hwmKiB))
			cpu = fmt.Sprintf("%.2f", s.cpuUS)
		}
		note := ""
		if s.ok < len(s.runs) {
			note = fmt.Sprintf("  %d of %d runs failed", len(s.runs)-s.ok, len(s.runs))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", padRight(padRight(s.label, 2)+"  "+s.name, 40), rate, ratio, rss, cpu, note)
	}
	_ = tw.Flush()

	fmt.Fprintln(w)
	if a, b, lim, ok := r.limit(); ok {
		fmt.Fprintf(w, "min(a,b) = min(%s %s, %s %s) = %s events/s\n", a.label, perSec(a.perSec), b.label, perSec(b.perSec), perSec(lim))
		for _, s := range r.rows {
			if s.class == classBridge && s.ok > 0 {
				fmt.Fprintf(w, "%s: %.2f of min(a,b)\n", s.name, s.perSec/lim)
			}
		}
	} else {
		fmt.Fprintf(w, "min(a,b): not measured (a read row and a write row are both needed)\n")
	}
	fmt.Fprintf(w, `
How each figure is taken:
  events/s      a: from the end of the WebSocket handshake to the last event split;
                b: the timed produce call(s) until every batch is acknowledged (acks=all);
                c: from the first poll (every %s) of the committed end offsets that saw records
                   to the first that saw them all, not counting the first poll's records nor
                   transaction markers; the startup before the first record is in the details.
  peak RSS      VmHWM of the process; b holds the whole backlog in memory before it starts.
  CPU µs/event  utime+stime per event: a and b over the timed part, c over the whole process
                life until the last record landed.
  a': the bridge also splits with gjson; b': kafka-go Client.Produce, one request in flight
  per partition, batches of up to 1000 records / 1 MiB (the bridge's defaults), same as b's
  Writer settings (BatchTimeout 5ms). Both write the bridge's keys, values, record times,
  headers and murmur2 partitions.
`, o.poll)

	fmt.Fprintf(w, "\nRuns:\n")
	for _, s := range r.rows {
		for i, res := range s.runs {
			fmt.Fprintf(w, "  %-2s %-36s run %d: %s\n", s.label, s.name, i+1, res.brief())
			if res.err != nil {
				for _, l := range strings.Split(strings.TrimRight(res.err.Error(), "\n"), "\n")[1:] {
					fmt.Fprintf(w, "      %s\n", l)
				}
				continue
			}
			if res.note != "" {
				fmt.Fprintf(w, "      %s\n", res.note)
			}
		}
	}
}

func padRight(s string, n int) string {
	if l := len([]rune(s)); l < n {
		return s + strings.Repeat(" ", n-l)
	}
	return s
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// perSec renders a rate with thousands separators.
func perSec(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	s := fmt.Sprintf("%d", int64(math.Round(v)))
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// mib renders KiB as MiB.
func mib(kib int64) string {
	if kib <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f MiB", float64(kib)/1024)
}

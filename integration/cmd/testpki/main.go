// Command testpki writes the test PKI of package testpki into a directory,
// for the secured listeners of the test broker (integration/kafka/kafka.sh
// with KAFKA_SECURE=1). Every key is generated fresh, lives only in the
// broker's git-ignored state dir and must never be committed.
//
//	go run ./integration/cmd/testpki -dir DIR [-hosts 127.0.0.1,localhost] [-days 30] [-reuse]
//
// With -reuse, a DIR that already holds a complete set whose chains verify
// and stay valid for another day is left as it is (a broker restarted on
// its old data keeps its PKI, so clients that loaded it keep working).
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/analytics-bridge/analytics-bridge/integration/testpki"
)

func main() {
	dir := flag.String("dir", "", "directory to write into (required)")
	hosts := flag.String("hosts", "127.0.0.1,localhost", "comma-separated IP addresses and DNS names of the broker certificate")
	days := flag.Int("days", 30, "validity in days from now")
	reuse := flag.Bool("reuse", false, "keep a complete, valid set already in -dir")
	flag.Parse()
	if *dir == "" || flag.NArg() != 0 || *days < 2 {
		fmt.Fprintln(os.Stderr, "usage: testpki -dir DIR [-hosts 127.0.0.1,localhost] [-days N>=2] [-reuse]")
		os.Exit(2)
	}
	hostList := splitHosts(*hosts)
	if *reuse {
		if err := testpki.Check(*dir, hostList, time.Now().Add(24*time.Hour)); err == nil {
			fmt.Printf("testpki: reusing the test PKI in %s\n", *dir)
			return
		}
	}
	if err := testpki.Generate(*dir, hostList, time.Now(), time.Duration(*days)*24*time.Hour); err != nil {
		fmt.Fprintf(os.Stderr, "testpki: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("testpki: wrote a test PKI to %s (server certificate for %s)\n", *dir, strings.Join(hostList, ", "))
}

func splitHosts(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, h := range strings.Split(s, ",") {
		if h = strings.TrimSpace(h); h != "" && !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out
}

//go:build nodemo

package main

import (
	"fmt"
	"io"
)

// runDemo in a production build (-tags nodemo, as the Dockerfile builds):
// the demo's embedded broker and simulator are test kit, not linked here.
func runDemo(_ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "analytics-bridge: this build has no demo (built with -tags nodemo); run `go run . demo` from the source instead")
	return exitConfig
}

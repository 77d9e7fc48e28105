//go:build !nodemo

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/analytics-bridge/analytics-bridge/integration/demo"
)

// runDemo runs `analytics-bridge demo`; package demo owns its flags, script
// and narration. SIGINT or SIGTERM cuts the script short with the verdict so
// far; a second one kills the process.
func runDemo(args []string, stdout, stderr io.Writer) int {
	opts, err := demo.ParseFlags(args, stdout, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case err != nil:
		return exitConfig
	}
	ctx, stop := interruptible()
	defer stop()
	// Once the first signal arrived, the default handling returns.
	context.AfterFunc(ctx, stop)

	rep, err := demo.Run(ctx, stdout, opts)
	if err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return exitFailure
	}
	if !rep.OK() {
		return exitFailure
	}
	return exitOK
}

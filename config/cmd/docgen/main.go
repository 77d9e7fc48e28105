// Command docgen writes the configuration reference, generated from the
// struct tags of config.Env, into the README between its markers:
//
//	go run ./config/cmd/docgen [README.md]
//
// TestReadmeConfigurationReference fails until it has been run after a
// change to the tags.
package main

import (
	"fmt"
	"os"

	"github.com/analytics-bridge/analytics-bridge/config"
)

func main() {
	path := "README.md"
	if len(os.Args) > 1 {
		path = os.Args[1]
	}
	if err := run(path); err != nil {
		fmt.Fprintln(os.Stderr, "docgen:", err)
		os.Exit(1)
	}
}

func run(path string) error {
	doc, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := config.UpdateReference(doc)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, out, 0o644)
}

//go:build race

package integration_test

// raceEnabled: the test process runs under the race detector, and with it
// the embedded broker and the SQS stand-in, several times slower.
const raceEnabled = true

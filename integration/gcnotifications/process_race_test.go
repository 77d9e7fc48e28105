//go:build race

package gcnotifications_test

// procRaceEnabled: the test process runs under the race detector, and with
// it the embedded broker and the Genesys stand-in, several times slower
// (the bridge's children do not).
const procRaceEnabled = true

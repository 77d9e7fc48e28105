//go:build race

package txn

// raceEnabled: the race detector's sync.Pool drops items at random, so
// what pools save cannot be counted.
const raceEnabled = true

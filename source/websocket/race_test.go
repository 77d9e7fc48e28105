//go:build race

package websocket

// raceEnabled: the race detector's sync.Pool drops items at random, so
// what pools keep cannot be counted on.
const raceEnabled = true

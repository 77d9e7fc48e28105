//go:build !race

package gcnotifications_test

const procRaceEnabled = false

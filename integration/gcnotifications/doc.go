// Package gcnotifications holds the end-to-end tests of SOURCE=notifications:
// the real bridge, in the test process, reading the Genesys Cloud stand-in
// (integration/genesys) on the wall clock into a Kafka cluster
// (integration/kafkatest), through the platform's faults: sockets dropped,
// half-open or handed over, channels renewed, expired, killed and evicted,
// tokens expired, rate limits and rows repeated across pages, and the
// bridge's own restart.
//
// Every test holds the bridge to one verdict (genesystest.Verdict): for
// every conversation that ended, Kafka holds all its detail events or a
// conversation-detail record, and no dedup key twice under read_committed.
// Each also checks that its faults happened, and that what they hid from
// the live stream was back-filled, so that none can pass without them.
//
// The back-fill waits out the analytics API's one-minute rule for real, so
// each test waits about a minute per gap: the tests run in parallel, in a
// test binary of their own (CI runs it beside package integration's).
//
// It has no code but its tests.
package gcnotifications

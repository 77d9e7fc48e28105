// Package integration holds the end-to-end tests of analytics-bridge: the
// real bridge code between the upstream simulator (package sim) and a Kafka
// cluster (package kafkatest: embedded, or the one KAFKA_BROKERS names).
// Sub-packages are the tools those tests, the demo and users share.
package integration

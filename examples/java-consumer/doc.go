// Package javaconsumer holds the Go test that builds the Java consumer
// example beside it with Maven and runs it against the real bridge (see
// README.md). The example itself is Java: src/main/java.
package javaconsumer

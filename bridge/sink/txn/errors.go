package txn

import (
	"errors"

	"github.com/segmentio/kafka-go"
)

// Outcome is what a caller does about an error.
type Outcome int

const (
	// Done: the request succeeded.
	Done Outcome = iota
	// Retry: the outcome is unknown or the condition passes; send the same
	// request (the same bytes, for a produce) again after a pause.
	Retry
	// Fenced: another instance owns the transactional id now; stop writing.
	Fenced
	// Reinit: the broker lost this producer's sequence state; abandon the
	// transaction, initialise a new producer epoch and rewind to the last
	// committed position.
	Reinit
	// Permanent: retrying cannot help (authorization, a record the broker
	// refuses); stop with the error.
	Permanent
)

func (o Outcome) String() string {
	switch o {
	case Done:
		return "done"
	case Retry:
		return "retry"
	case Fenced:
		return "fenced"
	case Reinit:
		return "reinit"
	}
	return "permanent"
}

// Errors callers branch on; the broker's error stays wrapped beside them.
var (
	// ErrFenced: the producer was fenced by a newer instance.
	ErrFenced = errors.New("producer fenced: another instance initialised this transactional id")
	// errReinit: the producer must be initialised again.
	errReinit = errors.New("producer state lost on the broker")
)

// Classify says what to do about err, the error of a produce or
// transaction request (a transport error, or the broker's error code).
// Codes kfake and Apache Kafka answer differently for the same condition
// are classified alike.
func Classify(err error) Outcome {
	if err == nil {
		return Done
	}
	if errors.Is(err, ErrFenced) {
		return Fenced
	}
	if errors.Is(err, errReinit) {
		return Reinit
	}
	if errors.Is(err, ErrEncoding) {
		return Permanent // the same records encode the same way again
	}
	var kerr kafka.Error
	if errors.As(err, &kerr) {
		switch kerr {
		case kafka.DuplicateSequenceNumber:
			return Done // the broker has this batch already
		case kafka.InvalidMessage:
			return Permanent // a corrupt batch stays corrupt when resent
		case kafka.InvalidProducerEpoch, kafka.ProducerFenced, kafka.TransactionCoordinatorFenced,
			kafka.InvalidTransactionState, kafka.InvalidProducerIDMapping:
			return Fenced
		case kafka.OutOfOrderSequenceNumber, kafka.UnknownProducerId:
			return Reinit
		case kafka.ConcurrentTransactions, kafka.GroupLoadInProgress, kafka.GroupCoordinatorNotAvailable,
			kafka.NotCoordinatorForGroup, kafka.RequestTimedOut, kafka.NotEnoughReplicas,
			kafka.NotEnoughReplicasAfterAppend, kafka.NotLeaderForPartition, kafka.LeaderNotAvailable,
			kafka.UnknownTopicOrPartition, kafka.NetworkException, kafka.KafkaStorageError,
			kafka.BrokerNotAvailable, kafka.ThrottlingQuotaExceeded:
			return Retry
		}
		if kerr.Temporary() {
			return Retry
		}
		return Permanent
	}
	// Anything else is a transport failure (a timeout, a broken connection:
	// kafka-go reports these as net errors, io.EOF, io.ErrUnexpectedEOF or
	// syscall errors): the request may or may not have been handled.
	return Retry
}

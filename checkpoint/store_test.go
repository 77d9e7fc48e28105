package checkpoint_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/analytics-bridge/analytics-bridge/bridge/retry"
	"github.com/analytics-bridge/analytics-bridge/checkpoint"
	"github.com/analytics-bridge/analytics-bridge/integration/kafkatest"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestLoadIsNotHeldByAnOpenTransaction: a killed instance leaves its
// transaction open on the checkpoint topic until its successor
// initialises. The successor reads the checkpoint before that, to decide
// whether to take over, so Load must return the last committed position
// at once instead of waiting for the transaction's timeout.
func TestLoadIsNotHeldByAnOpenTransaction(t *testing.T) {
	cluster := kafkatest.Start(t)
	client := cluster.Client()
	topic := fmt.Sprintf("checkpoints-open-txn-%d", time.Now().UnixNano())
	ctx := t.Context()
	store := checkpoint.NewStore(client, topic, "b")
	if err := store.EnsureTopic(ctx, 1); err != nil {
		t.Fatal(err)
	}
	committed := checkpoint.Position{Bridge: "b", Topic: "events", Source: "websocket", Since: time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC), Written: time.Now()}
	// A topic just created may have no leader yet (NOT_LEADER_FOR_PARTITION
	// on a real broker): the bridge retries its first save, and so does
	// the test, until it lands.
	for deadline := time.Now().Add(30 * time.Second); ; {
		err := store.Save(ctx, committed)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		if err := retry.Sleep(ctx, 100*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := kgo.NewClient(kgo.SeedBrokers(cluster.Brokers...), kgo.TransactionalID(topic), kgo.DefaultProduceTopic(topic),
		kgo.TransactionTimeout(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	if err := tx.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	open := committed
	open.Since = committed.Since.Add(time.Hour)
	rec, err := store.Record(open)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := io.ReadAll(rec.Key)
	value, _ := io.ReadAll(rec.Value)
	if err := tx.ProduceSync(ctx, &kgo.Record{Key: key, Value: value}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	loadCtx, cancelLoad := context.WithTimeout(ctx, 10*time.Second)
	defer cancelLoad()
	got, found, err := store.Load(loadCtx)
	if err != nil || !found {
		t.Fatalf("Load with a transaction open: %v (found %v)", err, found)
	}
	if !got.Since.Equal(committed.Since) {
		t.Errorf("Load returned since %s, want the committed %s (the open transaction's record is not committed)", got.Since, committed.Since)
	}
}

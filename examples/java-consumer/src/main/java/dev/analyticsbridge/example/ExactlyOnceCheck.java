package dev.analyticsbridge.example;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.Utils;

/**
 * Reads the bridge's topic as a stream processor should and checks it
 * against the upstream simulator's ledger.
 *
 * <ul>
 *   <li>isolation.level=read_committed: records of aborted transactions are never seen;
 *   <li>only records of kind "event" are passed on (gap markers and kinds added later are
 *       skipped; records from before bridge-record-kind are events unless bridge-gap: true);
 *   <li>with KAFKA_TRANSACTIONS=false (or --dedup), events are deduplicated on
 *       bridge-dedup-key within DEDUP_WINDOW_SECONDS of event time;
 *   <li>each event must be in the partition the Java client's default partitioner (murmur2)
 *       gives its key.
 * </ul>
 *
 * <p>Settings (environment): KAFKA_BROKERS, KAFKA_TOPIC (analytics.events), BRIDGE_NAME
 * (analytics-bridge), LEDGER_URL (the simulator's /admin/ledger), KAFKA_TRANSACTIONS (true),
 * DEDUP_WINDOW_SECONDS (3600), READ_TIMEOUT_SECONDS (120). Arguments --dedup and --no-dedup
 * override KAFKA_TRANSACTIONS.
 *
 * <p>It reads every partition from its start up to the end offsets found when it starts
 * (under read_committed, the last stable offsets), prints one verdict line and exits 0 when
 * every ledger event was delivered exactly once, 1 when not, 2 when it could not tell.
 */
public final class ExactlyOnceCheck {
  private ExactlyOnceCheck() {}

  public static void main(String[] args) {
    try {
      System.exit(run(args));
    } catch (Exception e) {
      System.err.println("java-consumer: " + e);
      System.exit(2);
    }
  }

  static int run(String[] args) throws Exception {
    String brokers = require("KAFKA_BROKERS");
    String topic = env("KAFKA_TOPIC", "analytics.events");
    String bridge = env("BRIDGE_NAME", "analytics-bridge");
    String ledgerUrl = require("LEDGER_URL");
    boolean dedup = !Boolean.parseBoolean(env("KAFKA_TRANSACTIONS", "true"));
    for (String a : args) {
      switch (a) {
        case "--dedup" -> dedup = true;
        case "--no-dedup" -> dedup = false;
        default -> throw new IllegalArgumentException("unknown argument " + a + " (want --dedup or --no-dedup)");
      }
    }
    Duration window = Duration.ofSeconds(Long.parseLong(env("DEDUP_WINDOW_SECONDS", "3600")));
    Duration timeout = Duration.ofSeconds(Long.parseLong(env("READ_TIMEOUT_SECONDS", "120")));

    Verdict verdict = new Verdict(Ledger.fetch(ledgerUrl));
    Deduplicator dedupe = dedup ? new Deduplicator(window) : null;
    consume(brokers, topic, timeout, (rec, partitions) -> {
      if (!bridge.equals(BridgeRecords.header(rec.headers(), BridgeRecords.NAME))) {
        verdict.skip("other-bridge");
        return;
      }
      String kind = BridgeRecords.kind(rec.headers());
      if (!BridgeRecords.KIND_EVENT.equals(kind)) {
        verdict.skip(kind);
        return;
      }
      String key = BridgeRecords.header(rec.headers(), BridgeRecords.DEDUP_KEY);
      if (dedupe != null) {
        Instant t = Instant.parse(BridgeRecords.header(rec.headers(), BridgeRecords.EVENT_TIME));
        if (!dedupe.first(key, t)) {
          verdict.deduplicated();
          return;
        }
      }
      String recordKey = rec.key() == null ? "" : new String(rec.key(), java.nio.charset.StandardCharsets.UTF_8);
      // The bridge partitions as this client's default partitioner does.
      int want = rec.key() == null ? rec.partition() : Utils.toPositive(Utils.murmur2(rec.key())) % partitions;
      verdict.delivered(rec.partition(), want, rec.offset(), recordKey, key, rec.value());
    });
    verdict.finish();

    String mode = dedup ? "read_committed, dedup on bridge-dedup-key" : "read_committed";
    if (verdict.exactlyOnce()) {
      System.out.println("verdict: exactly once (" + mode + "): " + verdict);
      return 0;
    }
    System.out.println("verdict: NOT exactly once (" + mode + "): " + verdict);
    for (String e : verdict.examples()) {
      System.out.println("  " + e);
    }
    return 1;
  }

  interface Handler {
    void accept(ConsumerRecord<byte[], byte[]> rec, int partitions);
  }

  /** Reads every partition of topic from its start to the end offsets found now. */
  static void consume(String brokers, String topic, Duration timeout, Handler handle) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "analytics-bridge-java-example");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    Instant deadline = Instant.now().plus(timeout);
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
      List<PartitionInfo> infos = c.partitionsFor(topic, Duration.ofSeconds(30));
      if (infos == null || infos.isEmpty()) {
        throw new IllegalStateException("topic " + topic + " does not exist");
      }
      List<TopicPartition> parts = new ArrayList<>();
      for (PartitionInfo i : infos) {
        parts.add(new TopicPartition(topic, i.partition()));
      }
      // Without a consumer group: this reads the topic once, and commits nothing.
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts, Duration.ofSeconds(30));
      Set<TopicPartition> open = new HashSet<>(parts);
      while (true) {
        open.removeIf(tp -> c.position(tp, Duration.ofSeconds(30)) >= end.get(tp));
        if (open.isEmpty()) {
          return;
        }
        if (Instant.now().isAfter(deadline)) {
          throw new IllegalStateException("read timed out before the end of " + open);
        }
        ConsumerRecords<byte[], byte[]> recs = c.poll(Duration.ofMillis(500));
        for (ConsumerRecord<byte[], byte[]> r : recs) {
          if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
            handle.accept(r, parts.size());
          }
        }
      }
    }
  }

  private static String env(String name, String def) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? def : v.trim();
  }

  private static String require(String name) {
    String v = env(name, null);
    if (v == null) {
      throw new IllegalArgumentException(name + " is required");
    }
    return v;
  }
}

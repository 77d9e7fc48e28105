package dev.analyticsbridge.example;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Compares the events a consumer delivered with the ledger: every ledger
 * event exactly once, with its exact bytes, in the partition murmur2 gives
 * its key, and per record key in ledger order within a partition. The same rules as the Go tests' verify package.
 */
public final class Verdict {
  private final Map<String, Ledger.Entry> byId = new HashMap<>();
  private final Map<String, Integer> count = new HashMap<>();
  private final Map<String, Integer> lastSeq = new HashMap<>();
  private final Map<String, Integer> skipped = new TreeMap<>();
  private final List<String> examples = new ArrayList<>();
  private final int events;
  private int records;
  private int duplicates;
  private int unknown;
  private int mismatched;
  private int outOfOrder;
  private int misplaced;
  private int deduplicated;
  private int lost = -1;

  public Verdict(List<Ledger.Entry> ledger) {
    for (Ledger.Entry e : ledger) {
      byId.put(e.id(), e);
    }
    events = ledger.size();
  }

  /** A record the consumer did not pass on, by kind. */
  public void skip(String kind) {
    skipped.merge(kind, 1, Integer::sum);
  }

  /** An event the deduplicator dropped. */
  public void deduplicated() {
    deduplicated++;
  }

  /** An event the consumer passed on, in partition order. */
  public void delivered(int partition, int keyPartition, long offset, String recordKey, String dedupKey, byte[] value) {
    records++;
    if (partition != keyPartition) {
      misplaced++;
      example("record key %s in partition %d, not %d as murmur2 puts it", recordKey, partition, keyPartition);
    }
    int n = count.merge(dedupKey, 1, Integer::sum);
    Ledger.Entry want = byId.get(dedupKey);
    if (want == null) {
      unknown++;
      example("unknown record at partition %d offset %d, dedup key %s", partition, offset, dedupKey);
      return;
    }
    if (n > 1) {
      duplicates++;
      example("duplicate of %s at partition %d offset %d", dedupKey, partition, offset);
    }
    if (!want.raw().equals(new String(value, java.nio.charset.StandardCharsets.UTF_8))) {
      mismatched++;
      example("value of %s differs from the ledger", dedupKey);
    }
    String pk = partition + "/" + recordKey;
    Integer last = lastSeq.get(pk);
    if (last != null && want.seq() < last && n == 1) {
      outOfOrder++;
      example("record key %s in partition %d: seq %d after %d", recordKey, partition, want.seq(), last);
    }
    if (last == null || want.seq() > last) {
      lastSeq.put(pk, want.seq());
    }
  }

  /** Counts the ledger events never delivered; call once, at the end. */
  public void finish() {
    lost = 0;
    for (Ledger.Entry e : byId.values()) {
      if (!count.containsKey(e.id())) {
        lost++;
        example("lost event seq %d id %s", e.seq(), e.id());
      }
    }
  }

  public boolean exactlyOnce() {
    return lost == 0 && duplicates == 0 && unknown == 0 && mismatched == 0 && outOfOrder == 0 && misplaced == 0;
  }

  private void example(String format, Object... args) {
    if (examples.size() < 5) {
      examples.add(String.format(format, args));
    }
  }

  public List<String> examples() {
    return examples;
  }

  @Override
  public String toString() {
    return String.format(
        "events=%d records=%d lost=%d duplicates=%d unknown=%d mismatched=%d out_of_order=%d misplaced=%d deduplicated=%d skipped=%s",
        events, records, lost, duplicates, unknown, mismatched, outOfOrder, misplaced, deduplicated, skipped);
  }
}

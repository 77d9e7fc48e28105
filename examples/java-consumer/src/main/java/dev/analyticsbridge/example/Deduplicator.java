package dev.analyticsbridge.example;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Drops events whose bridge-dedup-key was seen within a window of event
 * time. With KAFKA_TRANSACTIONS=false the bridge can write an event twice;
 * both copies carry the same key and event time, so a window somewhat wider
 * than the bridge's EVENT_LATENESS plus its longest outage is enough, and
 * the memory stays bounded.
 */
public final class Deduplicator {
  private final Duration window;
  private final Map<String, Instant> seen = new HashMap<>();
  private final PriorityQueue<Map.Entry<Instant, String>> byTime =
      new PriorityQueue<>(Map.Entry.comparingByKey());
  private Instant highWater = Instant.MIN;

  public Deduplicator(Duration window) {
    this.window = window;
  }

  /** True the first time key is offered inside the window. */
  public boolean first(String key, Instant eventTime) {
    if (eventTime.isAfter(highWater)) {
      highWater = eventTime;
      evict();
    }
    if (seen.containsKey(key)) {
      return false;
    }
    seen.put(key, eventTime);
    byTime.add(Map.entry(eventTime, key));
    return true;
  }

  private void evict() {
    Instant oldest = highWater.minus(window);
    while (!byTime.isEmpty() && byTime.peek().getKey().isBefore(oldest)) {
      Map.Entry<Instant, String> e = byTime.poll();
      seen.remove(e.getValue(), e.getKey());
    }
  }
}

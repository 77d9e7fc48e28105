package dev.analyticsbridge.example;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * The bridge's record contract, as a consumer needs it: header names and the
 * kind of a record.
 */
public final class BridgeRecords {
  public static final String KIND = "bridge-record-kind";
  public static final String DEDUP_KEY = "bridge-dedup-key";
  public static final String EVENT_TIME = "bridge-event-time";
  public static final String NAME = "bridge-name";
  /** Kept on gap markers for consumers written before bridge-record-kind. */
  public static final String GAP = "bridge-gap";

  public static final String KIND_EVENT = "event";
  public static final String KIND_GAP = "gap";

  private BridgeRecords() {}

  /** The last value of header name, or null. */
  public static String header(Headers headers, String name) {
    Header h = headers.lastHeader(name);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  /**
   * The record's kind. Records written before bridge-record-kind existed are
   * events, except gap markers, which carry bridge-gap: true.
   */
  public static String kind(Headers headers) {
    String kind = header(headers, KIND);
    if (kind != null) {
      return kind;
    }
    return "true".equals(header(headers, GAP)) ? KIND_GAP : KIND_EVENT;
  }
}

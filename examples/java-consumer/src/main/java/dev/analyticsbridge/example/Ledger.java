package dev.analyticsbridge.example;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The upstream simulator's ledger (GET /admin/ledger, JSON lines of
 * {"seq","id","time","raw"}): every event it emitted, with the bytes first
 * sent.
 */
public final class Ledger {
  /** One emitted event. raw is the exact JSON text of the event. */
  public record Entry(int seq, String id, String raw) {}

  private Ledger() {}

  public static List<Entry> fetch(String url) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60)).GET().build();
    HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
    if (resp.statusCode() != 200) {
      throw new IOException("GET " + url + ": HTTP " + resp.statusCode() + ": " + resp.body());
    }
    List<Entry> out = new ArrayList<>();
    JsonFactory json = new JsonFactory();
    for (String line : resp.body().split("\n")) {
      if (!line.isBlank()) {
        out.add(parse(json, line));
      }
    }
    return out;
  }

  /**
   * Parses a line, keeping "raw" as the exact text it holds (the event's
   * bytes), not a re-serialisation of it.
   */
  static Entry parse(JsonFactory json, String line) throws IOException {
    int seq = -1;
    String id = null;
    String raw = null;
    try (JsonParser p = json.createParser(line)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException("ledger line is not an object: " + line);
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken t = p.nextToken();
        switch (field) {
          case "seq" -> seq = p.getIntValue();
          case "id" -> id = p.getText();
          case "raw" -> {
            int from = (int) p.currentTokenLocation().getCharOffset();
            p.skipChildren();
            int to = (int) p.currentLocation().getCharOffset();
            raw = line.substring(from, to);
          }
          default -> p.skipChildren();
        }
        if (t == null) {
          break;
        }
      }
    }
    if (seq < 0 || raw == null) {
      throw new IOException("ledger line without seq or raw: " + line);
    }
    if (id == null || id.isEmpty()) {
      // The bridge keys events without an id by a hash of their canonical
      // JSON; this example checks only the simulator's feed with ids.
      throw new IOException("ledger entry " + seq + " has no id: run the simulator with ids");
    }
    return new Entry(seq, id, raw);
  }
}

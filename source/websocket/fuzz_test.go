package websocket

// Fuzz targets for every input the bridge does not control: upstream frames
// (their events, content keys and times) and the OAuth2 token endpoint's
// response. Plain `go test` runs the seeds below and testdata/fuzz/<Name>/;
// `go test -run '^$' -fuzz '^FuzzX$' ./bridge` explores further.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/tidwall/gjson"

	"github.com/analytics-bridge/analytics-bridge/config"
	"github.com/analytics-bridge/analytics-bridge/source/contentkey"
)

// fuzzDecoders are the configurations the frame target decodes with, chosen
// by a fuzzed byte: an id with a partition path, content keys only, and
// nested paths.
var fuzzDecoders = []decoder{
	{TimeField: "timestamp", IDField: "id", PartitionField: "eventBody.conversationId"},
	{TimeField: "timestamp"},
	{TimeField: "eventTime", IDField: "eventBody.id", PartitionField: "topicName"},
}

var frameSeeds = []string{
	`[{"id":"a","topicName":"v2.detail.events.conversation.c1.customer.start","timestamp":"2026-11-28T10:15:30.123Z","eventBody":{"conversationId":"c1"}},{"id":"b","timestamp":1795860930123}]`,
	`{"id":"a","timestamp":"2026-11-28T11:15:30.123456789+01:00","eventBody":{"conversationId":"c1"}}`,
	`{"timestamp":"1795860930123","eventBody":{"n":1.50,"tags":["x","y"]}}`,
	`{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}`,
	`{"topicName":"v2.system.socket_closing","eventBody":{}}`,
	`{"topicName":"v2.system.token_revoked","eventBody":{}}`,
	`[{"topicName":"v2.system.token_revoked"},{"id":"a","timestamp":1},{"topicName":"v2.system.socket_closing"}]`,
	`[{"topicName":"channel.metadata"}, 7, "x", null, [], {"timestamp":null}, {"id":"","timestamp":2}]`,
	`[]`, ` [ ] `, `42`, `"x"`, `{"id":`, ``, "\u00a0{}\u00a0",
	`[{"id":"a","timestamp":9223372036854775807}]`,
	`[{"id":"a","timestamp":-9223372036854775808}]`,
	`[{"id":"a","timestamp":99999999999999999999999}]`,
	`[{"id":"a","timestamp":1e3},{"id":"b","timestamp":1.0},{"id":12345678901234567890123,"timestamp":0}]`,
	`[{"id":"a","timestamp":"9999-12-31T23:59:59-01:00"},{"id":"b","timestamp":"0000-01-01T00:00:00+01:00"}]`,
	"[{\"id\":\"\xff\xfe\",\"timestamp\":1,\"x\":\"\xc3\x28\"},{\"timestamp\":2,\"\xed\xa0\x80\":\"\\ud800\"}]",
	`{"id":"a","id":"b","timestamp":1,"timestamp":"x","topicName":"v2.system.socket_closing","topicName":"t"}`,
	`{"timestamp":1,"a":1,"a":2}`,
	`[{"timestamp":1},{"timestamp":1},{"timestamp":1}]`,
	`[{},{},{}]`,
	`[{"timestamp":1,"eventBody":{"id":7},"eventTime":"2026-11-28T10:15:30Z","topicName":"p"}]`,
	`{"timestamp":1,"eventBody":{"conversationId":""}}`,
	`{"timestamp":1,"x":"\u003c\u2028\/"}`,
	"[" + strings.Repeat("[", 200) + strings.Repeat("]", 200) + "]",
	`[{"id":"deep","timestamp":1,"x":` + strings.Repeat(`{"a":[`, 100) + strings.Repeat("]}", 100) + `}]`,
}

// deepFrames nest deeper than encoding/json's limit of 10000. They are
// checked by TestFuzzPropertiesDeepNesting rather than seeded: the fuzzer
// minimises every new input found from a seed, quadratically in its length,
// for up to a minute each (-fuzzminimizetime), which stalls a single worker.
var deepFrames = []string{
	`[{"id":"deep","timestamp":1,"x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}]`,
	`[{"timestamp":1,"x":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}]`,
	strings.Repeat("[", 1<<20) + strings.Repeat("]", 1<<20),
	`[{"id":"a","timestamp":1},` + strings.Repeat("[", 1<<20),
}

func TestFuzzPropertiesDeepNesting(t *testing.T) {
	for _, frame := range deepFrames {
		for which := range fuzzDecoders {
			fuzzDecodeFrame(t, []byte(frame), uint8(which))
		}
	}
}

// FuzzDecodeFrame decodes arbitrary frames and checks what the rest of the
// bridge relies on: every event is a window on the frame holding one valid
// JSON object, has a dedup key and a time that survives the record header;
// every element of the frame is accounted for, as an event, a reject or a
// control message; decoding is deterministic.
func FuzzDecodeFrame(f *testing.F) {
	for _, s := range frameSeeds {
		for which := range fuzzDecoders {
			f.Add([]byte(s), uint8(which))
		}
	}
	f.Fuzz(fuzzDecodeFrame)
}

func fuzzDecodeFrame(t *testing.T, frame []byte, which uint8) {
	d := fuzzDecoders[int(which)%len(fuzzDecoders)]
	got := decodeAll(d, frame)
	checkMatchesReference(t, d, frame, got)
	checkDecoded(t, d, frame, got)
	checkWalkOrder(t, frame, got)
	checkWalkStops(t, d, frame, len(got.calls), int(which)/len(fuzzDecoders))
	again := decodeAll(d, frame)
	if len(again.events) != len(got.events) || len(again.rejects) != len(got.rejects) || again.control != got.control {
		t.Fatalf("second decode differs: %d events %d rejects control %v, then %d %d %v",
			len(got.events), len(got.rejects), got.control, len(again.events), len(again.rejects), again.control)
	}
	for i, ev := range got.events {
		ev2 := again.events[i]
		if ev.DedupKey != ev2.DedupKey || !bytes.Equal(ev.RecordKey, ev2.RecordKey) || !ev.Time.Equal(ev2.Time) || !sameWindow(ev.Raw, ev2.Raw) {
			t.Fatalf("event %d differs between decodes: %q %q %v, then %q %q %v", i, ev.DedupKey, ev.RecordKey, ev.Time, ev2.DedupKey, ev2.RecordKey, ev2.Time)
		}
	}
	for i, r := range got.rejects {
		if r.Reason != again.rejects[i].Reason || !sameWindow(r.Raw, again.rejects[i].Raw) {
			t.Fatalf("reject %d differs between decodes: %q, then %q", i, r.Reason, again.rejects[i].Reason)
		}
	}
}

// checkDecoded holds a decoded frame against an independent walk of the
// frame's elements.
func checkDecoded(t *testing.T, d decoder, frame []byte, got decodedFrame) {
	t.Helper()
	trimmed := bytes.TrimSpace(frame)
	wholeFrameRejected := func(why string) {
		t.Helper()
		if len(got.events) != 0 || got.control != controlNone || len(got.rejects) != 1 {
			t.Fatalf("%s: want one reject of the whole frame, got %d events, %d rejects, control %v", why, len(got.events), len(got.rejects), got.control)
		}
		if r := got.rejects[0]; !bytes.Equal(r.Raw, frame) || r.Reason == "" {
			t.Fatalf("%s: reject %q of %q, want the whole frame with a reason", why, r.Raw, r.Reason)
		}
	}
	if json.Valid(trimmed) && !gjson.ValidBytes(trimmed) {
		t.Fatalf("encoding/json accepts the frame, gjson does not: %q", trimmed)
	}
	if !gjson.ValidBytes(trimmed) {
		wholeFrameRejected("invalid frame")
		return
	}
	root := gjson.ParseBytes(trimmed)
	var elems []gjson.Result
	switch {
	case root.IsArray():
		root.ForEach(func(_, el gjson.Result) bool {
			elems = append(elems, el)
			return true
		})
	case root.IsObject():
		elems = []gjson.Result{root}
	default:
		wholeFrameRejected("scalar frame")
		return
	}
	if json.Valid(trimmed) {
		// The element boundaries gjson reports are those encoding/json sees.
		want := jsonElements(t, trimmed)
		if len(want) != len(elems) {
			t.Fatalf("gjson sees %d elements, encoding/json %d", len(elems), len(want))
		}
		for i, el := range elems {
			if el.Index != want[i][0] || el.Index+len(el.Raw) != want[i][1] {
				t.Fatalf("element %d at [%d,%d), encoding/json says [%d,%d)", i, el.Index, el.Index+len(el.Raw), want[i][0], want[i][1])
			}
		}
	}

	// Each element that is not a control message must come out exactly
	// once, as an event or as a reject: nothing is dropped silently.
	base := windowIn(t, frame, trimmed, "trimmed frame")[0]
	var wantSpans [][2]int
	wantControl := controlNone
	for _, el := range elems {
		if el.IsObject() {
			switch topic := el.Get("topicName").String(); {
			case topic == "v2.system.token_revoked":
				wantControl = controlTokenRevoked
				continue
			case topic == "v2.system.socket_closing":
				wantControl = max(wantControl, controlSocketClosing)
				continue
			case topic == "channel.metadata", strings.HasPrefix(topic, "v2.system."):
				continue
			}
		}
		wantSpans = append(wantSpans, [2]int{base + el.Index, base + el.Index + len(el.Raw)})
	}
	if got.control != wantControl {
		t.Errorf("control = %v, want %v", got.control, wantControl)
	}
	// place finds raw in the frame, after prev (the start of the one handed
	// over before it), and returns its start.
	var gotSpans [][2]int
	place := func(what string, i int, raw []byte, prev int) int {
		t.Helper()
		span := windowIn(t, frame, raw, fmt.Sprintf("%s %d", what, i))
		if span[0] <= prev {
			t.Errorf("%s %d out of frame order", what, i)
		}
		gotSpans = append(gotSpans, span)
		return span[0]
	}
	prev := -1
	for i, ev := range got.events {
		prev = place("event", i, ev.Raw, prev)
		checkEvent(t, d, ev)
	}
	prev = -1
	for i, r := range got.rejects {
		prev = place("reject", i, r.Raw, prev)
		if r.Reason == "" {
			t.Errorf("reject %d has no reason", i)
		}
		if el := gjson.ParseBytes(r.Raw); !el.IsObject() && r.Reason != "array element is not a JSON object" {
			t.Errorf("reject %d of a non-object says %q", i, r.Reason)
		}
	}
	slices.SortFunc(gotSpans, func(a, b [2]int) int { return a[0] - b[0] })
	if !slices.Equal(gotSpans, wantSpans) {
		t.Fatalf("events and rejects cover %v, want the non-control elements %v (%d events, %d rejects)", gotSpans, wantSpans, len(got.events), len(got.rejects))
	}
}

// checkWalkOrder: walk hands events and rejects over in frame order, one
// sequence: the writer sends each as it is decoded.
func checkWalkOrder(t *testing.T, frame []byte, got decodedFrame) {
	t.Helper()
	if len(got.calls) != len(got.events)+len(got.rejects) {
		t.Fatalf("%d callbacks for %d events and %d rejects", len(got.calls), len(got.events), len(got.rejects))
	}
	if len(got.calls) < 2 {
		return // nothing to order (and an empty frame's reject is no window)
	}
	prev := -1
	for i, c := range got.calls {
		var raw []byte
		if c >= 0 {
			raw = got.events[c].Raw
		} else {
			raw = got.rejects[-1-c].Raw
		}
		span := windowIn(t, frame, raw, fmt.Sprintf("callback %d", i))
		if span[0] <= prev {
			t.Fatalf("callback %d (%d) at %d, after one at %d: not in frame order", i, c, span[0], prev)
		}
		prev = span[0]
	}
}

var errStopWalk = errors.New("stop")

// checkWalkStops: the first error of a callback ends the walk at once (the
// writer's context ended): no further callback, and walk returns it.
func checkWalkStops(t *testing.T, d decoder, frame []byte, calls, seed int) {
	t.Helper()
	if calls == 0 {
		return
	}
	stopAt := seed%calls + 1
	n := 0
	cb := func() error {
		n++
		if n == stopAt {
			return errStopWalk
		}
		return nil
	}
	_, err := d.walk(frame, func(event) error { return cb() }, func(rejected) error { return cb() })
	if err != errStopWalk || n != stopAt {
		t.Fatalf("callback %d of %d failed: walk made %d callbacks and returned %v", stopAt, calls, n, err)
	}
}

func checkEvent(t *testing.T, d decoder, ev event) {
	t.Helper()
	if len(ev.Raw) == 0 || ev.Raw[0] != '{' || !validJSON(ev.Raw) {
		t.Fatalf("event is not one valid JSON object: %q", ev.Raw)
	}
	if ev.DedupKey == "" || (ev.RecordKey != nil && len(ev.RecordKey) == 0) {
		t.Fatalf("event %q: dedup key %q, record key %q", ev.Raw, ev.DedupKey, ev.RecordKey)
	}
	var id gjson.Result
	if d.IDField != "" {
		id = gjson.GetBytes(ev.Raw, d.IDField)
	}
	if id.Exists() && (id.Type == gjson.String || id.Type == gjson.Number) && id.String() != "" {
		if ev.DedupKey != id.String() {
			t.Errorf("dedup key %q, want the id %q", ev.DedupKey, id.String())
		}
	} else if want, err := contentkey.Of(ev.Raw); err != nil || ev.DedupKey != want {
		t.Errorf("dedup key %q, want the content key %q (%v)", ev.DedupKey, want, err)
	}
	checkRecordTime(t, ev.Time)
}

// checkRecordTime: the event time becomes the bridge-event-time header
// (records.go) which the tail scan parses back (collect), and it becomes the
// checkpoint's high water, JSON-encoded: it must survive both.
func checkRecordTime(t *testing.T, tm time.Time) {
	t.Helper()
	if tm.Location() != time.UTC {
		t.Errorf("time %v is not UTC", tm)
	}
	header := tm.AppendFormat(nil, time.RFC3339Nano)
	back, err := time.Parse(time.RFC3339Nano, string(header))
	if err != nil || !back.Equal(tm) {
		t.Fatalf("event time %v does not survive its record header %q: %v %v", tm, header, back, err)
	}
	if _, err := tm.MarshalJSON(); err != nil {
		t.Fatalf("event time %v cannot be checkpointed: %v", tm, err)
	}
}

// jsonElements returns the [start,end) of each element of a valid JSON
// array, or of the whole object, by encoding/json's reading.
func jsonElements(t *testing.T, trimmed []byte) [][2]int {
	t.Helper()
	if trimmed[0] == '{' {
		return [][2]int{{0, len(trimmed)}}
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var spans [][2]int
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		end := int(dec.InputOffset())
		if !bytes.Equal(trimmed[end-len(raw):end], raw) {
			t.Fatalf("encoding/json element %q does not end at %d", raw, end)
		}
		spans = append(spans, [2]int{end - len(raw), end})
	}
	return spans
}

// windowIn returns where b lies inside frame, failing unless b is a window
// on frame's memory (the record value must not be a copy).
func windowIn(t *testing.T, frame, b []byte, what string) [2]int {
	t.Helper()
	if len(b) == 0 || len(frame) == 0 {
		t.Fatalf("%s: empty raw bytes", what)
	}
	off := int(uintptr(unsafe.Pointer(unsafe.SliceData(b))) - uintptr(unsafe.Pointer(unsafe.SliceData(frame))))
	if off < 0 || off+len(b) > len(frame) || &frame[off] != &b[0] {
		t.Fatalf("%s: raw %q is not a window on the frame", what, b)
	}
	return [2]int{off, off + len(b)}
}

func sameWindow(a, b []byte) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// validJSON is json.Valid without encoding/json's nesting limit of 10000,
// which is not part of JSON: deeper values are checked by gjson.
func validJSON(b []byte) bool {
	if json.Valid(b) {
		return true
	}
	depth, maxDepth, inString := 0, 0, false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '[' || c == '{':
			depth++
			maxDepth = max(maxDepth, depth)
		case c == ']' || c == '}':
			depth--
		}
	}
	return maxDepth > 10000 && gjson.ValidBytes(b)
}

// FuzzParseTime: the time parser never panics, accepts only times the
// bridge can write in a record header and a checkpoint, and reads back any
// representable instant written as RFC 3339 (to the nanosecond, in any
// offset) or as epoch milliseconds (a JSON number or a string of digits).
func FuzzParseTime(f *testing.F) {
	f.Add("2026-11-28T10:15:30.123Z", int64(1795860930), uint32(123e6), int16(60), int64(1795860930123))
	f.Add("2026-11-28T11:15:30.123456789+01:00", int64(0), uint32(0), int16(0), int64(0))
	f.Add("1795860930123", int64(-62135596800), uint32(0), int16(-1), int64(-1))
	f.Add("9999-12-31T23:59:59-01:00", int64(253402300799), uint32(999999999), int16(-1439), int64(253402300799999))
	f.Add("0000-01-01T00:00:00+01:00", int64(-62167219200), uint32(1), int16(1439), int64(-62167219200000))
	f.Add("1e3", int64(math.MaxInt64), uint32(math.MaxUint32), int16(math.MinInt16), int64(math.MaxInt64))
	f.Add("-9223372036854775808", int64(math.MinInt64), uint32(0), int16(math.MaxInt16), int64(math.MinInt64))
	f.Add("2026-11-28T10:15:30,5Z", int64(1), uint32(1), int16(1), int64(1))
	f.Add("2026-02-30T25:61:61Z", int64(2), uint32(2), int16(2), int64(2))
	f.Fuzz(func(t *testing.T, s string, sec int64, nsec uint32, offsetMin int16, ms int64) {
		accepted := func(v gjson.Result) (time.Time, bool) {
			t.Helper()
			tm, err := parseTime(v)
			if err != nil {
				if !tm.IsZero() {
					t.Fatalf("parseTime(%s) = %v with error %v", v.Raw, tm, err)
				}
				return tm, false
			}
			checkRecordTime(t, tm)
			return tm, true
		}
		// Arbitrary text, as a JSON string and as whatever gjson makes of it.
		quoted, _ := json.Marshal(s)
		accepted(gjson.GetBytes(append(append([]byte(`{"t":`), quoted...), '}'), "t"))
		accepted(gjson.Parse(s))

		// RFC 3339 round trip, in an offset of up to ±23:59.
		zone := time.FixedZone("", int(offsetMin)%(24*60)*60)
		tm := time.Unix(sec, int64(nsec%1e9)).In(zone)
		text := tm.Format(time.RFC3339Nano)
		got, ok := accepted(gjson.Get(`{"t":"`+text+`"}`, "t"))
		if fitsRFC3339(tm) && tm.Year() >= 0 && tm.Year() <= 9999 && (!ok || !got.Equal(tm)) {
			t.Fatalf("%s parsed as %v (accepted %v), want %v", text, got, ok, tm.UTC())
		}

		// Epoch milliseconds, as a number and as a string.
		want := time.UnixMilli(ms).UTC()
		digits := strconv.FormatInt(ms, 10)
		for _, doc := range []string{`{"t":` + digits + `}`, `{"t":"` + digits + `"}`} {
			got, ok := accepted(gjson.Get(doc, "t"))
			if fitsRFC3339(want) && (!ok || !got.Equal(want)) {
				t.Fatalf("%s parsed as %v (accepted %v), want %v", doc, got, ok, want)
			}
		}
	})
}

// fitsRFC3339: the bridge writes event times in RFC 3339, which has
// four-digit years.
func fitsRFC3339(tm time.Time) bool {
	y := tm.UTC().Year()
	return y >= 0 && y <= 9999
}

// FuzzOAuthTokenResponse serves the fuzzed bytes as the OAuth2 token
// endpoint's response to the bridge's client-credentials token source: it
// must give a token or an error, and no error may carry the client secret.
func FuzzOAuthTokenResponse(f *testing.F) {
	// The secret is random for each run, so a response can only contain it
	// if the bridge sent it somewhere it comes back from.
	secret := rand.Text()
	const clientID = "analytics-bridge"
	type response struct {
		status      int
		contentType string
		body        []byte
	}
	var (
		mu        sync.Mutex
		current   response
		sawSecret atomic.Bool
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pw, ok := r.BasicAuth(); ok && pw == secret {
			sawSecret.Store(true)
		} else if r.PostFormValue("client_secret") == secret {
			sawSecret.Store(true)
		}
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		resp := current
		mu.Unlock()
		w.Header()["Content-Type"] = []string{resp.contentType} // as is: "" is sent as an empty header
		w.WriteHeader(resp.status)
		_, _ = w.Write(resp.body)
	}))
	f.Cleanup(srv.Close)
	tokenURL := srv.URL + "/oauth/token"

	for _, s := range []struct {
		body, contentType string
		status            uint16
	}{
		{`{"access_token":"tok-1","token_type":"Bearer","expires_in":3600}`, "application/json", 0},
		{`{"access_token":"tok-1","expires_in":-5}`, "application/json; charset=utf-8", 0},
		{`{"access_token":"","expires_in":3600}`, "application/json", 0},
		{`{"access_token":7}`, "application/json", 0},
		{`{"access_token":"t","expires_in":"3600"}`, "application/json", 0},
		{`{"access_token":"t","expires_in":1e999}`, "application/json", 0},
		{`{"error":"invalid_client","error_description":"bad secret"}`, "application/json", 201},
		{`{"error":"invalid_client"}`, "application/json", 0},
		{`access_token=tok-2&token_type=bearer&expires_in=60`, "application/x-www-form-urlencoded", 0},
		{`access_token=%zz`, "text/plain", 0},
		{`error=invalid_client&error_description=no`, "text/plain", 0},
		{`<html>502 Bad Gateway</html>`, "text/html", 302},
		{`not json`, "", 0},
		{"", "application/json", 4},
		{`{"access_token":"a\u0000b\nc"}`, "application/json; charset=", 0},
		{`{"access_token":"t"}`, "multipart/form-data; boundary=", 300},
	} {
		f.Add([]byte(s.body), s.contentType, s.status)
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string, status uint16) {
		contentType = strings.Map(func(r rune) rune {
			if r < ' ' && r != '\t' || r == 0x7f {
				return -1 // not sendable in a header
			}
			return r
		}, contentType)
		mu.Lock()
		current = response{status: 200 + int(status)%400, contentType: contentType, body: body}
		mu.Unlock()

		src := newTokenSource(config.TokenConfig{OAuthURL: tokenURL, ClientID: clientID, ClientSecret: secret, Scopes: []string{"analytics"}})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		tok, err := src.Token(ctx)
		switch {
		case err == nil && tok == "":
			t.Fatal("no token and no error")
		case err != nil && tok != "":
			t.Fatalf("token %q and error %v", tok, err)
		case err != nil:
			msg := err.Error()
			basic := base64.StdEncoding.EncodeToString([]byte(clientID + ":" + secret))
			if strings.Contains(msg, secret) || strings.Contains(msg, basic) {
				t.Fatalf("error reveals the client secret: %s", msg)
			}
		}
		if !sawSecret.Load() {
			t.Fatal("the token endpoint never received the client secret: the test does not test anything")
		}
	})
}

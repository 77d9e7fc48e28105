package websocket

import (
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// validSyntaxSeeds are edge cases of JSON syntax: each must get the answer
// gjson.ValidBytes gives.
var validSyntaxSeeds = []string{
	``, ` `, `{}`, `[]`, ` [ ] `, `{ }`, `[{}]`, `[[],[]]`, `{"a":[]}`, `{"a":{}}`,
	`0`, `-0`, `-`, `01`, `1.`, `1.5`, `.5`, `1e5`, `1E+5`, `1e-5`, `1e`, `1e+`, `-1.5e10`, `2.`, `0.0e0`, `--1`, `+1`,
	`true`, `false`, `null`, `tru`, `nul`, `falsey`, `True`, `nulll`,
	`""`, `"a"`, `"\""`, `"\\"`, `"\/\b\f\n\r\t"`, `"\u00e9"`, `"\u00G9"`, `"\u12"`, `"\x"`, "\"\x01\"", "\"\x7f\"", "\"\xff\xfe\"",
	`"abcdefgh"`, `"abcdefghijklmnop"`, `"abcdefg\"hijklmnop"`, `"abcdefghijklmno\\"`, `"abcdefghijklmno\\\"`, "\"abcdefghijk\x1fl\"",
	`"unterminated`, `"unterminated long string with no end at all`, `"ends in backslash\`, `"abc\u12`,
	`{"a":1,}`, `[1,]`, `[,1]`, `{"a" 1}`, `{"a":}`, `{a:1}`, `{"a":1 "b":2}`, `[1 2]`, `{"a":1}}`, `[[]`, `[]]`, `{"a":[}`, `[{]}`, `{"a":1]`, `[1}`,
	`1 2`, `{} {}`, "\t{\n\"a\"\r:\n1\t}\r\n", "\u00a0{}", `{"a":"b"}x`, `{"a"`, `{"a":`, `[`, `{`,
	`[` + strings.Repeat(`{"k":[`, 100) + strings.Repeat(`]}`, 100) + `]`,
	strings.Repeat(`[`, 100) + strings.Repeat(`]`, 99),
}

// TestValidSyntaxMatchesGJSON: the seeds, and the frames of the decode
// fuzz target, get gjson's answer (FuzzValidSyntax explores further).
func TestValidSyntaxMatchesGJSON(t *testing.T) {
	for _, s := range append(validSyntaxSeeds, append(frameSeeds, deepFrames...)...) {
		checkValidSyntax(t, []byte(s))
	}
}

func FuzzValidSyntax(f *testing.F) {
	for _, s := range append(validSyntaxSeeds, frameSeeds...) {
		f.Add([]byte(s))
	}
	f.Fuzz(checkValidSyntax)
}

func checkValidSyntax(t *testing.T, b []byte) {
	if got, want := validSyntax(b), gjson.ValidBytes(b); got != want {
		t.Fatalf("validSyntax(%q) = %v, gjson.ValidBytes says %v", b, got, want)
	}
}

// BenchmarkValidSyntax compares the frame check with gjson's on a frame of
// 100 events shaped like the upstream's (mostly UUID strings).
//
//	go test -run '^$' -bench ValidSyntax ./bridge
func BenchmarkValidSyntax(b *testing.B) {
	const u = "0b7c4bde-5d8a-4e8e-9b7f-2f1f6f3f6a1c"
	ev := `{"id":"` + u + `","topicName":"v2.detail.events.conversation.` + u + `.customer.start","version":"2","timestamp":"2026-11-29T13:50:11.123Z",` +
		`"eventBody":{"conversationId":"` + u + `","participantId":"` + u + `","sessionId":"` + u + `","queueId":"` + u + `","mediaType":"voice","direction":"inbound","eventType":"start","userId":"` + u + `"},` +
		`"metadata":{"CorrelationId":"` + u + `"}}`
	frame := []byte("[" + strings.TrimSuffix(strings.Repeat(ev+",", 100), ",") + "]")
	for _, v := range []struct {
		name  string
		valid func([]byte) bool
	}{{"validSyntax", validSyntax}, {"gjson", gjson.ValidBytes}} {
		b.Run(v.name, func(b *testing.B) {
			b.SetBytes(int64(len(frame)))
			for b.Loop() {
				if !v.valid(frame) {
					b.Fatal("invalid")
				}
			}
		})
	}
}

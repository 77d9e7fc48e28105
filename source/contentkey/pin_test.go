package contentkey

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// contentKeyPins are ContentKey's outputs (key, or error text) as computed
// by the encoding/json implementation (decode into any with UseNumber,
// encode with SetEscapeHTML(false)) before any optimisation. The key is
// persisted in Kafka and compared across restarts: it must never change.
var contentKeyPins = []struct{ in, key, err string }{
	{"{}", "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", ""},
	{"[]", "sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945", ""},
	{"null", "sha256:74234e98afe7498fb5daf1f36ac2d78acc339464f950703b8c019892f982b90b", ""},
	{"true", "sha256:b5bea41b6c623f7c09f1bf24dcae58ebab3c0cdd90ad966bc43a45b44867e12b", ""},
	{"false", "sha256:fcbcf165908dd18a9e49f7ff27810176db8e9f63b4352213741664245224f8aa", ""},
	{"0", "sha256:5feceb66ffc86f38d952786c6d696c79c2dbc239dd4e91b46729d73a27fb57e9", ""},
	{"-0", "sha256:ed79f26d03f412bde3db206601a698e0bb451bea9e3cc25289636ac17ea74b0a", ""},
	{"1.50", "sha256:1a60b208ff491c3e2d21cdd5abb003e51e97b072efec59098863da45021de6a9", ""},
	{"1E+2", "sha256:c7edae06d1671afc40e76b33cf2920bb1611c50cb5b6fdc07aa485885a834efe", ""},
	{"\"x\"", "sha256:ba2df4903a2c14e86dc3bcca58911b44ac1d2514b7227bf6eb08cfb978f55a1b", ""},
	{"\"\"", "sha256:12ae32cb1ec02d01eda3581b127c1fee3b0dc53572ed6baf239721a03d82e126", ""},
	{"{\"timestamp\":1}", "sha256:1b058604a2fcca495a5941a2a91cf4cd91b0c5565b352db233eedb240dcd5874", ""},
	{"{\"timestamp\":1,\"id\":\"a\"}", "sha256:1dcca4bf29eaef2f0529a5a1cab130e7eea471def5acebffca09cb1de56ecb4c", ""},
	{"{\"b\":1,\"a\":\"x\"}", "sha256:cdab067e9f3beb32d1252cfd63e492592fecbf591b0d08cadb24bb17f3864246", ""},
	{"{\"a\":1,\"b\":2}", "sha256:43258cff783fe7036d8a43033f830adfc60ec037382473548ac742b888292777", ""},
	{" {\"a\" : 1 ,\t\"b\" :[ 1 , 2 ,{\"d\":null,\"c\":true}] }\n\r\t ", "sha256:d855d9d024529c48382caad10aac91563a40177212fad541be89ea5a3a1ac5b9", ""},
	{"{\"topicName\":\"v2.detail.events.conversation.c1.customer.start\",\"eventTime\":1795860930123,\"eventBody\":{\"conversationId\":\"c1\",\"n\":1.50,\"tags\":[\"x\",\"y\"]}}", "sha256:e1c654daaca9dac66c594cf4063470d0378a57658ffdab9908b49d096c477d16", ""},
	{"{\"n\":[1.5,-0,0,1e21,1e-7,123456789012345678901234567890,0.1,1E+2,-1.0e-3,1e999]}", "sha256:823d6835828d50501022fd6cb65edecec45bced752fb384ff723bd2c18441228", ""},
	{"{\"s\":\"<&>\\u2028\\u2029\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\\u001f\\ud83d\\ude00\\ud800\",\"é\":\"ü\"}", "sha256:3ab5dd0815e1359c8ce873bdb98a77661d3099c84136ade63b22c67019e0f643", ""},
	{"{\"\xff\":\"\xfe\xc3(\"}", "sha256:1f317226dd149152ac7af1807e861db3382e2e5051176fd12a26b4f3b12f4c1a", ""},
	{"{\"a\":1,\"a\":2}", "sha256:7e8059f495589fcd981232cc11d00b00da3802c01d688fa1cf1f6bed6e5bb33c", ""},
	{"{\"a\":1,\"\\u0061\":2}", "sha256:7e8059f495589fcd981232cc11d00b00da3802c01d688fa1cf1f6bed6e5bb33c", ""},
	{"{\"a\":2,\"a\":{\"x\":1}}", "sha256:b6dc583443509414420dc9334bc187790e483f659799a5c2c27e4f0bad1ee958", ""},
	{"{\"a\":{\"z\":null,\"y\":true,\"x\":false,\"w\":[],\"v\":{}}}", "sha256:a18ec593a9939382174197094076e2b386b862ef4517b600077952c0c44c77b1", ""},
	{"[{\"b\":1},{\"a\":2}]", "sha256:49bacb43da62160b7e07a101638ab7a571869771f596730bc05e5d0f371e2b51", ""},
	{"{\"a\":1} trailing", "sha256:015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862", ""},
	{"{\"a\":1}{\"b\":2}", "sha256:015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862", ""},
	{"{\"a\":1}x", "sha256:015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862", ""},
	{"1 2", "sha256:6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b", ""},
	{"{\"A\":1,\"a\":2,\"_\":3,\"0\":4,\"~\":5,\"\":6,\" \":7}", "sha256:f3034b719a4dee4b07a5584a036423663655c60457b4e5d304c7fb5ad46b44b8", ""},
	{"{\"é\":1,\"e\":2,\"z\":3,\"\\u00e9\\u0301\":4,\"日本\":5,\"😀\":6,\"\\uffff\":7}", "sha256:dd6a1cfd3a6a3468352bef434347e5e7bfb3dff8419fb7330c5cd246d8cf6f58", ""},
	{"{\"k\":\"plain ascii with <html> & ' quotes ~ DEL\x7f\"}", "sha256:8eab2c6f7e8bcb88655b48ff80a922d5214aeb3f73591058db3f4429a2e154f2", ""},
	{"{\"k\":\"tab\traw\"}", "", "canonicalising event for its content key: invalid character '\\t' in string literal"},
	{"{\"k\":\"\\u00e9 \\u0041 \\/ \\u003c\"}", "sha256:f351fc69bed58ca65809ad06ab70be99463f6dbd28dd74b911f3952b2403d9f3", ""},
	{"{\"k\":\"\xed\xa0\x80\"}", "sha256:d233bf7a4ce9e13e79dedd1fdb888b469df700f181f4ea1faf7fb56f7ffc4b56", ""},
	{strings.Repeat(`[{"a":`, 50) + `1` + strings.Repeat("}]", 50), "sha256:bb56b80b5a2714db51e73c4b268eff2fa9429e04b31b2ecd94c836084149e30d", ""},
	{"{\"timestamp\":\"2026-11-28T10:15:30.123Z\",\"id\":\"0b7c4bde\",\"eventBody\":{\"conversationId\":\"c1\",\"participantId\":\"p1\",\"mediaType\":\"voice\"},\"metadata\":{\"CorrelationId\":\"x\"}}", "sha256:31def55ebfdbf87f988157b4f742b5f0ab1272bd27834bafb3afa84eddd06736", ""},
	{"{\"z\":{\"b\":[3,2,1],\"a\":{\"y\":1,\"x\":2}},\"y\":[{\"b\":1,\"a\":2}],\"x\":-12.5e-3}", "sha256:f292cbcb5cd9d69903ac9dddd73f2acf875b2b0ef054c7551817f1860d25d4aa", ""},
	{"", "", "canonicalising event for its content key: EOF"},
	{"{\"a\":", "", "canonicalising event for its content key: unexpected EOF"},
	{"{\"a\":1,}", "", "canonicalising event for its content key: invalid character '}' looking for beginning of object key string"},
	{"[1,]", "", "canonicalising event for its content key: invalid character ']' looking for beginning of value"},
	{"{a:1}", "", "canonicalising event for its content key: invalid character 'a' looking for beginning of object key string"},
	{"01", "sha256:5feceb66ffc86f38d952786c6d696c79c2dbc239dd4e91b46729d73a27fb57e9", ""},
	{"1.", "", "canonicalising event for its content key: unexpected EOF"},
	{".5", "", "canonicalising event for its content key: invalid character '.' looking for beginning of value"},
	{"+1", "", "canonicalising event for its content key: invalid character '+' looking for beginning of value"},
	{"\"\\x\"", "", "canonicalising event for its content key: invalid character 'x' in string escape code"},
	{"NaN", "", "canonicalising event for its content key: invalid character 'N' looking for beginning of value"},
	{"{\"a\":tru}", "", "canonicalising event for its content key: invalid character '}' in literal true (expecting 'e')"},
	{strings.Repeat("[", 10001) + strings.Repeat("]", 10001), "", "canonicalising event for its content key: invalid character '[' exceeded max depth"},
	{strings.Repeat("[", 10000) + strings.Repeat("]", 10000), "sha256:88b516df742a232dad9132d8e5173704287f890c30624fd29fb22abfe7b58e37", ""},
	{"{\"a\":\"\\u12\"}", "", "canonicalising event for its content key: invalid character '\"' in \\u hexadecimal character escape"},
	{"\u00a0{}", "", "canonicalising event for its content key: invalid character 'Â' looking for beginning of value"},
	{"{\"a\":\"ctl\x01\"}", "", "canonicalising event for its content key: invalid character '\\x01' in string literal"},
}

func TestContentKeyPinned(t *testing.T) {
	for i, p := range contentKeyPins {
		key, err := Of([]byte(p.in))
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if key != p.key || msg != p.err {
			t.Errorf("%d: Of(%.80q) = %q, %q; pinned %q, %q", i, p.in, key, msg, p.key, p.err)
		}
	}
}

// pinnedCorpusDigest is the SHA-256 over the content keys (or error texts)
// of pinCorpus, computed before any optimisation of ContentKey.
const pinnedCorpusDigest = "dbd100aca0e07e9650302a9ec14affb6541e527e0eba38f1babcab660ce69fe5"

func TestContentKeyPinnedCorpus(t *testing.T) {
	h := sha256.New()
	for _, in := range pinCorpus(3000) {
		key, err := Of(in)
		if err != nil {
			key = "error: " + err.Error()
		}
		h.Write([]byte(key))
		h.Write([]byte{'\n'})
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != pinnedCorpusDigest {
		t.Errorf("content keys of the pinned corpus changed: digest %s, pinned %s", got, pinnedCorpusDigest)
	}
}

// The canonicaliser takes most of the corpus, and writes exactly what
// encoding/json writes for it.
func TestCanonicaliserMatchesEncodingJSON(t *testing.T) {
	docs := pinCorpus(20000)
	for _, p := range contentKeyPins {
		docs = append(docs, []byte(p.in))
	}
	taken := 0
	for _, doc := range docs {
		if _, ok := new(canonicaliser).canonical(doc); ok {
			taken++
		}
		checkCanonicaliser(t, doc)
	}
	if taken < len(docs)/5 {
		t.Errorf("the canonicaliser takes %d of %d documents: the test compares too little", taken, len(docs))
	}
	t.Logf("canonicaliser took %d of %d documents", taken, len(docs))
}

// pinCorpus generates n JSON-ish documents deterministically (its own
// generator, so that no library change moves it): events with and without
// ids, keys in every order, duplicates, escapes, non-ASCII and invalid
// UTF-8, numbers in every form, white space, nesting, and some invalid
// documents.
func pinCorpus(n int) [][]byte {
	state := uint64(0x9e3779b97f4a7c15)
	next := func(k int) int {
		state ^= state << 13
		state ^= state >> 7
		state ^= state << 17
		return int(state % uint64(k))
	}
	pick := func(s ...string) string { return s[next(len(s))] }
	keys := []string{"id", "timestamp", "eventBody", "topicName", "a", "b", "B", "_x", "", " ", `\u0061`, "é", `\u00e9`, "日本", "z9", "Z", "~", "<&>", `\ud83d\ude00`, `\\`, `\"q\"`}
	var str func() string
	str = func() string {
		var b strings.Builder
		b.WriteByte('"')
		for range next(8) {
			b.WriteString(pick("a", "Z", "0", " ", "<", ">", "&", "'", "\\", "\\\"", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t",
				"\\u0000", "\\u001f", "\\u007f", "\x7f", "\\u2028", "\u2028", "\\u2029", "\\ud800", "\\udc00x", "\\ud83d\\ude00",
				"é", "ü", "日", "😀", "\xff", "\xc3\x28", "\xed\xa0\x80", "\xef\xbf\xbd", "\\u00e9", "\\u0041", "~", "DEL"))
		}
		b.WriteByte('"')
		return b.String()
	}
	num := func() string {
		return pick("0", "-0", "1", "-1", "1.50", "0.1", "1e21", "1E+2", "1e-7", "-1.0e-3", "123456789012345678901234567890",
			"9223372036854775807", "1795860930123", "1e999", "2.5E-10", "100", "3.14159265358979323846")
	}
	ws := func() string { return pick("", "", "", " ", "\n", "\t", "\r\n  ") }
	// container writes open, up to most-1 items separated by commas, then
	// close; the draws happen in that order.
	container := func(open string, most int, item, close func() string) string {
		var b strings.Builder
		b.WriteString(open + ws())
		for i := range next(most) {
			if i > 0 {
				b.WriteString("," + ws())
			}
			b.WriteString(item())
		}
		b.WriteString(close())
		return b.String()
	}
	var value func(depth int) string
	value = func(depth int) string {
		switch k := next(10); {
		case k < 3 && depth < 6:
			member := func() string { return `"` + keys[next(len(keys))] + `"` + ws() + ":" + ws() + value(depth+1) + ws() }
			return container("{", 6, member, func() string { return "}" })
		case k < 4 && depth < 6:
			element := func() string { return value(depth + 1) }
			return container("[", 4, element, func() string { return ws() + "]" })
		case k < 6:
			return str()
		case k < 8:
			return num()
		default:
			return pick("true", "false", "null")
		}
	}
	out := make([][]byte, 0, n)
	for i := range n {
		var doc string
		switch i % 5 {
		case 0:
			doc = `{"timestamp":` + num() + `,"id":` + str() + `}`
		case 1:
			doc = `{"timestamp":` + num() + `,"eventBody":` + value(1) + `,"topicName":` + str() + `}`
		default:
			doc = ws() + value(0) + ws()
		}
		if next(20) == 0 { // break it
			cut := next(len(doc) + 1)
			doc = doc[:cut] + pick("", ",", "}", "]", "x", " 1")
		}
		out = append(out, []byte(doc))
	}
	return out
}

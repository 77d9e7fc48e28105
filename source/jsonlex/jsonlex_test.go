package jsonlex

import (
	"encoding/json"
	"testing"
)

func TestNumberAgreesWithEncodingJSON(t *testing.T) {
	for _, in := range []string{"0", "-0", "1", "-12", "1.5", "1e9", "1E+9", "1e-9", "0.0e0", "01", "1.", ".5", "-", "1e", "+1", "1.e3", "--1", "-01"} {
		end, ok := Number([]byte(in), 0)
		want := json.Valid([]byte(in))
		if got := ok && end == len(in); got != want {
			t.Errorf("Number(%q) = %d, %v: whole number %v, encoding/json says %v", in, end, ok, got, want)
		}
	}
}

func TestSkipSpaceAndLiteral(t *testing.T) {
	b := []byte(" \t\r\n true")
	i := SkipSpace(b, 0)
	if i != 5 {
		t.Fatalf("SkipSpace = %d, want 5", i)
	}
	if end, ok := Literal(b, i, "true"); !ok || end != len(b) {
		t.Errorf("Literal true = %d, %v", end, ok)
	}
	if _, ok := Literal(b, i, "null"); ok {
		t.Error("Literal null matched true")
	}
	if _, ok := Literal([]byte("tru"), 0, "true"); ok {
		t.Error("Literal matched a truncated literal")
	}
	if SkipSpace([]byte("  "), 0) != 2 {
		t.Error("SkipSpace over all-space input")
	}
}

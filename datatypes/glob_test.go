package datatypes

import (
	"strings"
	"testing"
	"time"
)

func TestGlob_Match_RedisRules(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"*", "abc", true},
		{"*", "", false}, // Redis: an empty subject matches nothing
		{"a*", "a", true},
		{"a**", "a", true},
		{"h?llo", "hello", true},
		{"h?llo", "hllo", false},
		{"h[ae]llo", "hallo", true},
		{"h[^e]llo", "hello", false},
		{"h[^e]llo", "hallo", true},
		{"h[a-b]llo", "hbllo", true},
		{"h[b-a]llo", "hallo", true}, // reversed range
		{`h\*llo`, "h*llo", true},
		{`h\*llo`, "hello", false},
		{`a\`, `a\`, true},  // trailing backslash is literal
		{"[abc", "a", true}, // unterminated class ends at the pattern's end
		{"[^", "x", true},
		{"[]a]", "a", false}, // empty class, then a literal "a]"
		{`[\]]`, "]", true},
		{"[a-]", "]", true}, // "a-]" is a range from 'a' to ']'
		{"*b*c", "abxxc", true},
		{"*.txt", "a.txt.gz", false},
		{"[\x01-\xff]", "\x80", false}, // signed-char bounds: 0x80 < 0x01
		{"[\x80-\xff]", "\x90", true},
	}
	for _, c := range cases {
		if got := Match([]byte(c.p), []byte(c.s)); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v", c.p, c.s, got, c.want)
		}
	}
}

func TestGlob_MatchFold_IgnoresCase(t *testing.T) {
	if !MatchFold([]byte("MaxMemory*"), []byte("maxmemory-policy")) || MatchFold([]byte("max?"), []byte("MAXXX")) {
		t.Fatal("MatchFold")
	}
	if Match([]byte("A*"), []byte("abc")) {
		t.Fatal("Match must be case-sensitive")
	}
}

func TestGlob_Match_NestedStarsStayFast(t *testing.T) {
	start := time.Now()
	s := []byte(strings.Repeat("a", 40))
	if Match([]byte(strings.Repeat("a*", 20)+"b"), s) {
		t.Fatal("must not match")
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("pathological pattern took %v", d)
	}
}

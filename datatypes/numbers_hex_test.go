package datatypes

import (
	"math"
	"testing"
)

func TestParseFloat_HexLikeStrtod(t *testing.T) {
	for in, want := range map[string]float64{"0x10": 16, "-0x1.8": -1.5, "0x1p4": 16, "1e3": 1000, "inf": math.Inf(1)} {
		got, ok := ParseFloat([]byte(in))
		if !ok || got != want {
			t.Errorf("ParseFloat(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	for _, in := range []string{"0x", "0xg", " 1", "1_0", "nan", ""} {
		if _, ok := ParseFloat([]byte(in)); ok {
			t.Errorf("ParseFloat(%q) accepted", in)
		}
	}
}

package datatypes

import (
	"math"
	"math/big"
	"strconv"
	"strings"
)

// ParseInt parses a decimal integer the way Redis's string2ll does: an
// optional '-', no '+', no spaces, no leading zeros (except "0" itself), and
// within int64.
func ParseInt(b []byte) (int64, bool) {
	n := len(b)
	if n == 0 || n > 20 {
		return 0, false
	}
	if n == 1 && b[0] == '0' {
		return 0, true
	}
	i, neg := 0, false
	if b[0] == '-' {
		neg, i = true, 1
		if n == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < n; i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-uint64(c-'0'))/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// ParseFloat parses a number the way Redis's strtold-based parsing does:
// no leading space, the whole input used, "inf"/"-inf" allowed, NaN refused.
func ParseFloat(b []byte) (float64, bool) {
	if len(b) == 0 || b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r' || b[0] == '\v' || b[0] == '\f' {
		return 0, false
	}
	for _, c := range b {
		if c == '_' {
			return 0, false
		}
	}
	s := string(b)
	if isHexFloat(s) && !strings.ContainsAny(s, "pP") {
		s += "p0" // C's strtod takes hex without a binary exponent; Go needs one
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		// Out of range still parses in C (HUGE_VAL) but Redis rejects ERANGE.
		return 0, false
	}
	if math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// isHexFloat reports whether s starts like a C hexadecimal float ("0x…",
// with an optional sign).
func isHexFloat(s string) bool {
	s = strings.TrimLeft(s, "+-")
	return len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')
}

// FormatFloat formats an INCRBYFLOAT / HINCRBYFLOAT result as Redis does in
// "human" mode: plain decimal notation, no exponent, no trailing zeros.
func FormatFloat(f float64) string {
	if math.IsInf(f, 1) {
		return "inf"
	}
	if math.IsInf(f, -1) {
		return "-inf"
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if s == "-0" {
		return "0"
	}
	return s
}

// Long doubles (x87 80-bit) are emulated with 64-bit-mantissa big.Floats:
// same rounding of parsed decimals and of sums, same printed digits.
var (
	ldMax = func() *big.Float { // largest finite long double
		f, _ := new(big.Float).SetPrec(64).SetString("1.18973149535723176502e+4932")
		return f
	}()
	ldMin = func() *big.Float { // smallest positive subnormal long double
		f, _ := new(big.Float).SetPrec(64).SetString("3.6451995318824746025e-4951")
		return f
	}()
)

func ldOverflows(f *big.Float) bool {
	if f.IsInf() {
		return true
	}
	a := new(big.Float).Abs(f)
	return a.Cmp(ldMax) > 0
}

// ParseLongDouble parses b the way Redis's string2ld (strtold) does: no
// leading space, whole input, "inf" allowed (returned as ±Inf), NaN and
// out-of-range values refused.
func ParseLongDouble(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) >= 5*1024 {
		return nil, false
	}
	s := string(b)
	switch s[0] {
	case ' ', '\t', '\n', '\r', '\v', '\f':
		return nil, false
	}
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) > 1 || strings.ContainsRune(s, '_') {
		return nil, false
	}
	switch strings.ToLower(body) {
	case "inf", "infinity":
		return new(big.Float).SetInf(s[0] == '-'), true
	}
	if len(body) > 1 && body[0] == '0' && strings.ContainsAny(body[1:2], "bBoO") {
		return nil, false
	}
	f, _, err := new(big.Float).SetPrec(64).SetMode(big.ToNearestEven).Parse(s, 0)
	if err != nil || f.IsInf() {
		return nil, false
	}
	if ldOverflows(f) {
		return nil, false
	}
	if f.Sign() != 0 && new(big.Float).Abs(f).Cmp(ldMin) < 0 {
		return nil, false
	}
	return f, true
}

// FormatLongDouble prints f as Redis's ld2string in human mode: "%.17Lf"
// with trailing zeros (and a trailing dot) removed, "-0" as "0".
func FormatLongDouble(f *big.Float) string {
	s := f.Text('f', 17)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

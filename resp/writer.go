package resp

import (
	"math"
	"strconv"
)

// Writer encodes replies for one connection. Handlers say what they reply
// (a map, a set, a double, a null); the writer spells it in the protocol the
// client chose with HELLO: RESP2 (default) or RESP3.
type Writer struct {
	b     []byte
	proto int
}

// Proto returns 2 or 3.
func (w *Writer) Proto() int {
	if w.proto == 3 {
		return 3
	}
	return 2
}

// Bytes returns the encoded replies.
func (w *Writer) Bytes() []byte { return w.b }

// Len is the number of encoded bytes.
func (w *Writer) Len() int { return len(w.b) }

// Truncate drops everything written after offset n. An n past the end
// (the buffer was already cut shorter) changes nothing: re-slicing up to
// n would bring back bytes already sent or dropped.
func (w *Writer) Truncate(n int) {
	if n < len(w.b) {
		w.b = w.b[:n]
	}
}

// Reset empties the buffer, keeping its storage unless it grew large.
func (w *Writer) Reset() {
	if cap(w.b) > 1<<20 {
		w.b = nil
		return
	}
	w.b = w.b[:0]
}

func (w *Writer) header(c byte, n int) {
	w.b = append(w.b, c)
	w.b = strconv.AppendInt(w.b, int64(n), 10)
	w.b = append(w.b, '\r', '\n')
}

// OK writes +OK.
func (w *Writer) OK() { w.b = append(w.b, "+OK\r\n"...) }

// Status writes a simple string (+s). s must not contain CR or LF.
func (w *Writer) Status(s string) {
	w.b = append(w.b, '+')
	w.b = append(w.b, s...)
	w.b = append(w.b, '\r', '\n')
}

// Error writes an error reply (-s). s is the whole text, code included.
func (w *Writer) Error(s string) {
	w.b = append(w.b, '-')
	for i := 0; i < len(s); i++ { // an error is one line
		c := s[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		w.b = append(w.b, c)
	}
	w.b = append(w.b, '\r', '\n')
}

// Int writes an integer reply.
func (w *Writer) Int(n int64) {
	w.b = append(w.b, ':')
	w.b = strconv.AppendInt(w.b, n, 10)
	w.b = append(w.b, '\r', '\n')
}

// Bulk writes a bulk string.
func (w *Writer) Bulk(p []byte) {
	w.header('$', len(p))
	w.b = append(w.b, p...)
	w.b = append(w.b, '\r', '\n')
}

// BulkString writes a bulk string.
func (w *Writer) BulkString(s string) {
	w.header('$', len(s))
	w.b = append(w.b, s...)
	w.b = append(w.b, '\r', '\n')
}

// BulkInt writes an integer as a bulk string.
func (w *Writer) BulkInt(n int64) {
	var tmp [20]byte
	w.Bulk(strconv.AppendInt(tmp[:0], n, 10))
}

// Null writes a missing value: $-1 in RESP2, _ in RESP3.
func (w *Writer) Null() {
	if w.proto == 3 {
		w.b = append(w.b, "_\r\n"...)
		return
	}
	w.b = append(w.b, "$-1\r\n"...)
}

// NullArray writes a missing aggregate: *-1 in RESP2, _ in RESP3.
func (w *Writer) NullArray() {
	if w.proto == 3 {
		w.b = append(w.b, "_\r\n"...)
		return
	}
	w.b = append(w.b, "*-1\r\n"...)
}

// Array starts an array of n elements.
func (w *Writer) Array(n int) { w.header('*', n) }

// Map starts a map of n key/value pairs (RESP2: an array of 2n).
func (w *Writer) Map(n int) {
	if w.proto == 3 {
		w.header('%', n)
		return
	}
	w.header('*', 2*n)
}

// Set starts a set of n elements (RESP2: an array).
func (w *Writer) Set(n int) {
	if w.proto == 3 {
		w.header('~', n)
		return
	}
	w.header('*', n)
}

// Push starts an out-of-band push of n elements (RESP2: an array).
func (w *Writer) Push(n int) {
	if w.proto == 3 {
		w.header('>', n)
		return
	}
	w.header('*', n)
}

// Bool writes a boolean (RESP2: integer 1 or 0).
func (w *Writer) Bool(v bool) {
	if w.proto == 3 {
		if v {
			w.b = append(w.b, "#t\r\n"...)
		} else {
			w.b = append(w.b, "#f\r\n"...)
		}
		return
	}
	if v {
		w.Int(1)
	} else {
		w.Int(0)
	}
}

// Double writes a floating-point reply the way Redis 7.0 does: RESP3 ",d",
// RESP2 a bulk string; both "%.17g" with inf/-inf/nan spelled out.
func (w *Writer) Double(f float64) {
	var tmp [32]byte
	s := AppendDouble(tmp[:0], f)
	if w.proto == 3 {
		w.b = append(w.b, ',')
		w.b = append(w.b, s...)
		w.b = append(w.b, '\r', '\n')
		return
	}
	w.Bulk(s)
}

// AppendDouble formats f as Redis 7.0's addReplyDouble does.
func AppendDouble(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case math.IsNaN(f):
		return append(b, "nan"...)
	}
	return appendG17(b, f)
}

// appendG17 formats like C's printf("%.17g").
func appendG17(b []byte, f float64) []byte {
	if f == 0 {
		if math.Signbit(f) {
			return append(b, "-0"...)
		}
		return append(b, '0')
	}
	exp := int(math.Floor(math.Log10(math.Abs(f))))
	// Decide by the exponent of the value rounded to 17 significant digits.
	e := strconv.AppendFloat(nil, f, 'e', 16, 64)
	for i := len(e) - 1; i >= 0; i-- {
		if e[i] == 'e' {
			x, _ := strconv.Atoi(string(e[i+1:]))
			exp = x
			break
		}
	}
	if exp < -4 || exp >= 17 {
		// %e style with trailing zeros of the mantissa removed.
		mant := e
		var tail []byte
		for i := range e {
			if e[i] == 'e' {
				mant, tail = e[:i], e[i+1:]
				break
			}
		}
		mant = trimFracZeros(mant)
		b = append(b, mant...)
		b = append(b, 'e')
		if tail[0] == '-' || tail[0] == '+' {
			b = append(b, tail[0])
			tail = tail[1:]
		}
		if len(tail) < 2 {
			b = append(b, '0')
		}
		return append(b, tail...)
	}
	s := strconv.AppendFloat(nil, f, 'f', 16-exp, 64)
	return append(b, trimFracZeros(s)...)
}

func trimFracZeros(s []byte) []byte {
	dot := -1
	for i, c := range s {
		if c == '.' {
			dot = i
			break
		}
	}
	if dot < 0 {
		return s
	}
	i := len(s)
	for i > dot+1 && s[i-1] == '0' {
		i--
	}
	if i == dot+1 {
		i = dot
	}
	return s[:i]
}

// Verbatim writes a verbatim string (RESP3 "=len\r\ntxt:…"); RESP2 gets a
// bulk string. format is a three-letter type such as "txt".
func (w *Writer) Verbatim(format, s string) {
	if w.proto == 3 {
		w.header('=', len(s)+4)
		w.b = append(w.b, format...)
		w.b = append(w.b, ':')
		w.b = append(w.b, s...)
		w.b = append(w.b, '\r', '\n')
		return
	}
	w.BulkString(s)
}

// Raw appends pre-encoded protocol bytes.
func (w *Writer) Raw(p []byte) { w.b = append(w.b, p...) }

// BulkStrings writes an array of bulk strings.
func (w *Writer) BulkStrings(items []string) {
	w.Array(len(items))
	for _, s := range items {
		w.BulkString(s)
	}
}

package resp

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Conversions between replies and Lua values, following Redis 7.0.
//
// Reply → Lua (redis.call's result; the reply is encoded in the script's
// protocol, RESP2 unless redis.setresp(3)):
//
//	integer → number; bulk → string; null bulk / null array → false;
//	array → table (1..n); status → {ok=s}; error → {err="CODE msg"}
//	RESP3 only: null → nil; boolean → boolean; double → {double=n};
//	map → {map={k=v…}}; set → {set={member=true…}}; big number →
//	{big_number=s}; verbatim → {verbatim_string={format=f, string=s}}.
//
// Lua → reply (the script's result):
//
//	string → bulk; number → integer (truncated toward zero); nil → null;
//	true → 1 and false → null (RESP3 scripts: booleans); table with a
//	string err field → error, ok field → status, double, big_number,
//	verbatim_string, map, set fields → those types; any other table →
//	array of t[1], t[2]… up to the first nil; functions etc. → null.

// replyToLua parses one encoded reply from b and returns the Lua value and
// the bytes after it.
func replyToLua(L *lua.LState, b []byte) (lua.LValue, []byte) {
	if len(b) == 0 {
		return lua.LNil, b
	}
	kind := b[0]
	end := bytes.Index(b, []byte("\r\n"))
	if end < 0 {
		return lua.LNil, nil
	}
	line := string(b[1:end])
	rest := b[end+2:]
	switch kind {
	case '+':
		t := L.NewTable()
		t.RawSetString("ok", lua.LString(line))
		return t, rest
	case '-':
		return luaErrorTable(L, line), rest
	case ':':
		n, _ := strconv.ParseInt(line, 10, 64)
		return lua.LNumber(n), rest
	case '$', '=':
		n, _ := strconv.Atoi(line)
		if n < 0 {
			return lua.LFalse, rest
		}
		s := string(rest[:n])
		rest = rest[n+2:]
		if kind == '=' {
			t, inner := L.NewTable(), L.NewTable()
			if len(s) >= 4 {
				inner.RawSetString("format", lua.LString(s[:3]))
				inner.RawSetString("string", lua.LString(s[4:]))
			}
			t.RawSetString("verbatim_string", inner)
			return t, rest
		}
		return lua.LString(s), rest
	case '*', '>':
		n, _ := strconv.Atoi(line)
		if n < 0 {
			return lua.LFalse, rest
		}
		t := L.CreateTable(n, 0)
		for i := 1; i <= n; i++ {
			var v lua.LValue
			v, rest = replyToLua(L, rest)
			t.RawSetInt(i, v)
		}
		return t, rest
	case '%', '~':
		n, _ := strconv.Atoi(line)
		inner := L.NewTable()
		for i := 0; i < n; i++ {
			var k, v lua.LValue
			k, rest = replyToLua(L, rest)
			if kind == '%' {
				v, rest = replyToLua(L, rest)
			} else {
				v = lua.LTrue
			}
			inner.RawSet(k, v)
		}
		t := L.NewTable()
		if kind == '%' {
			t.RawSetString("map", inner)
		} else {
			t.RawSetString("set", inner)
		}
		return t, rest
	case '_':
		return lua.LNil, rest
	case '#':
		return lua.LBool(line == "t"), rest
	case ',':
		f, _ := strconv.ParseFloat(line, 64)
		switch line {
		case "inf":
			f = math.Inf(1)
		case "-inf":
			f = math.Inf(-1)
		case "nan":
			f = math.NaN()
		}
		t := L.NewTable()
		t.RawSetString("double", lua.LNumber(f))
		return t, rest
	case '(':
		t := L.NewTable()
		t.RawSetString("big_number", lua.LString(line))
		return t, rest
	case '|':
		n, _ := strconv.Atoi(line)
		for i := 0; i < 2*n; i++ {
			_, rest = replyToLua(L, rest)
		}
		return replyToLua(L, rest)
	}
	return lua.LNil, rest
}

// luaErrorTable builds {err="CODE msg"} from an error reply's text the way
// Redis does: a text without a space gets the generic ERR code.
func luaErrorTable(L *lua.LState, text string) *lua.LTable {
	text = strings.TrimPrefix(text, "-")
	code, msg, ok := strings.Cut(text, " ")
	if !ok {
		code, msg = "ERR", text
	}
	msg = strings.Trim(msg, "\r\n")
	t := L.NewTable()
	t.RawSetString("err", lua.LString(code+" "+msg))
	return t
}

// luaToReply writes v as a reply. scriptResp is the protocol the script
// chose with redis.setresp (it decides how booleans go out); w encodes in
// the caller's protocol.
func luaToReply(w *Writer, v lua.LValue, scriptResp int, depth int) {
	if depth > 1000 {
		w.Error("ERR reached lua stack limit")
		return
	}
	switch v := v.(type) {
	case lua.LString:
		w.BulkString(string(v))
	case lua.LBool:
		if scriptResp == 2 {
			if v {
				w.Int(1)
			} else {
				w.Null()
			}
			return
		}
		w.Bool(bool(v))
	case lua.LNumber:
		w.Int(luaNumberToInt(float64(v)))
	case *lua.LTable:
		tableToReply(w, v, scriptResp, depth)
	default:
		w.Null()
	}
}

// luaNumberToInt is C's (long long) cast: truncation, saturating where C
// would be undefined.
func luaNumberToInt(f float64) int64 {
	switch {
	case math.IsNaN(f):
		return math.MinInt64
	case f >= 9.223372036854775807e18:
		return math.MinInt64
	case f <= -9.223372036854775808e18:
		return math.MinInt64
	}
	return int64(f)
}

func tableToReply(w *Writer, t *lua.LTable, scriptResp, depth int) {
	if s, ok := t.RawGetString("err").(lua.LString); ok {
		w.Error(string(s))
		return
	}
	if s, ok := t.RawGetString("ok").(lua.LString); ok {
		w.Status(strings.NewReplacer("\r", " ", "\n", " ").Replace(string(s)))
		return
	}
	if n, ok := t.RawGetString("double").(lua.LNumber); ok {
		w.Double(float64(n))
		return
	}
	if s, ok := t.RawGetString("big_number").(lua.LString); ok {
		s := strings.NewReplacer("\r", " ", "\n", " ").Replace(string(s))
		if w.Proto() == 3 {
			w.Raw([]byte("(" + s + "\r\n"))
		} else {
			w.BulkString(s)
		}
		return
	}
	if vt, ok := t.RawGetString("verbatim_string").(*lua.LTable); ok {
		f, fok := vt.RawGetString("format").(lua.LString)
		s, sok := vt.RawGetString("string").(lua.LString)
		if fok && sok {
			w.Verbatim(string(f), string(s))
			return
		}
	}
	if m, ok := t.RawGetString("map").(*lua.LTable); ok {
		var keys, vals []lua.LValue
		m.ForEach(func(k, v lua.LValue) {
			keys = append(keys, k)
			vals = append(vals, v)
		})
		w.Map(len(keys))
		for i := range keys {
			luaToReply(w, keys[i], scriptResp, depth+1)
			luaToReply(w, vals[i], scriptResp, depth+1)
		}
		return
	}
	if m, ok := t.RawGetString("set").(*lua.LTable); ok {
		var keys []lua.LValue
		m.ForEach(func(k, _ lua.LValue) { keys = append(keys, k) })
		w.Set(len(keys))
		for _, k := range keys {
			luaToReply(w, k, scriptResp, depth+1)
		}
		return
	}
	n := 0
	for t.RawGetInt(n+1) != lua.LNil {
		n++
	}
	w.Array(n)
	for i := 1; i <= n; i++ {
		luaToReply(w, t.RawGetInt(i), scriptResp, depth+1)
	}
}

// luaArg turns a redis.call argument into bytes: strings as is, numbers
// with 17 significant digits (callNumberString); anything else is refused.
func luaArg(v lua.LValue) ([]byte, bool) {
	switch v := v.(type) {
	case lua.LString:
		return []byte(string(v)), true
	case lua.LNumber:
		return []byte(callNumberString(float64(v))), true
	}
	return nil, false
}

// callNumberString formats a number passed to redis.call as Redis does
// (printf "%.17g", so integers up to 2^53 keep every digit).
func callNumberString(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	return fmt.Sprintf("%.17g", f)
}

// luaNumberString formats like Lua 5.1's tostring (printf "%.14g").
func luaNumberString(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	s := strconv.FormatFloat(f, 'g', 14, 64)
	// Go keeps trailing zeros in %g's mantissa only with '#'; it already
	// trims them. Exponents need two digits, as in C.
	if i := strings.IndexAny(s, "e"); i >= 0 {
		mant, exp := s[:i], s[i+1:]
		sign := exp[:1]
		digits := exp[1:]
		if len(digits) < 2 {
			digits = "0" + digits
		}
		s = mant + "e" + sign + digits
	}
	return s
}

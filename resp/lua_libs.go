package resp

import (
	"bytes"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Libraries Redis preloads besides Lua's own: cjson (encode, decode, null,
// and the encode/decode depth, invalid-number and buffer settings), bit
// (LuaBitOp) and cmsgpack (lua_cmsgpack.go). struct is not provided yet.

func openExtraLibs(L *lua.LState) {
	L.SetGlobal("cjson", cjsonLib(L))
	L.SetGlobal("bit", bitLib(L))
	L.SetGlobal("cmsgpack", cmsgpackLib(L))
}

// cjsonConfig holds one state's cjson settings (they persist across
// scripts on that state, as in Redis's single Lua state).
type cjsonConfig struct {
	encodeDepth, decodeDepth int
	invalidNumbers           bool
}

// --- cjson ------------------------------------------------------------------

func cjsonLib(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	null := L.NewUserData() // cjson.null: a unique sentinel
	t.RawSetString("null", null)
	cfg := &cjsonConfig{encodeDepth: 1000, decodeDepth: 1000}
	t.RawSetString("encode", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() != 1 {
			L.RaiseError("bad argument #1 to 'encode' (expected 1 argument)")
		}
		var b strings.Builder
		if err := jsonEncode(&b, L.Get(1), null, 0, cfg); err != "" {
			L.RaiseError("%s", err)
		}
		L.Push(lua.LString(b.String()))
		return 1
	}))
	t.RawSetString("decode", L.NewFunction(func(L *lua.LState) int {
		s := L.CheckString(1)
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			L.RaiseError("Expected value but found invalid token at character 1")
		}
		if dec.More() {
			L.RaiseError("Expected the end but found invalid token")
		}
		if d := jsonDepth(v); d > cfg.decodeDepth {
			L.RaiseError("Found too many nested data structures (%d) at character 1", d)
		}
		L.Push(jsonToLua(L, v, null))
		return 1
	}))
	cjsonSettings(L, t, cfg)
	return t
}

// cjsonSettings adds cjson's setting functions: encode_max_depth,
// decode_max_depth, encode_invalid_numbers and encode_keep_buffer (a no-op
// here). Each returns the current value.
func cjsonSettings(L *lua.LState, t *lua.LTable, cfg *cjsonConfig) {
	depth := func(p *int) lua.LGFunction {
		return func(L *lua.LState) int {
			if L.GetTop() >= 1 && L.Get(1) != lua.LNil {
				n := int(luaCheckNumber(L, 1))
				if n < 1 {
					L.ArgError(1, "expected integer between 1 and 2147483647")
				}
				*p = n
			}
			L.Push(lua.LNumber(*p))
			return 1
		}
	}
	t.RawSetString("encode_max_depth", L.NewFunction(depth(&cfg.encodeDepth)))
	t.RawSetString("decode_max_depth", L.NewFunction(depth(&cfg.decodeDepth)))
	t.RawSetString("encode_invalid_numbers", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() >= 1 && L.Get(1) != lua.LNil {
			cfg.invalidNumbers = lua.LVAsBool(L.Get(1))
		}
		L.Push(lua.LBool(cfg.invalidNumbers))
		return 1
	}))
	t.RawSetString("encode_keep_buffer", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LTrue)
		return 1
	}))
}

// jsonDepth is the nesting depth of a decoded JSON value (scalars 0).
func jsonDepth(v any) int {
	d := 0
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			d = max(d, jsonDepth(e))
		}
		return d + 1
	case map[string]any:
		for _, e := range v {
			d = max(d, jsonDepth(e))
		}
		return d + 1
	}
	return 0
}

func jsonEncode(b *strings.Builder, v lua.LValue, null lua.LValue, depth int, cfg *cjsonConfig) string {
	if depth > cfg.encodeDepth {
		return "Cannot serialise, excessive nesting (" + strconv.Itoa(depth) + ")"
	}
	switch v := v.(type) {
	case *lua.LNilType:
		b.WriteString("null")
	case lua.LBool:
		if v {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case lua.LNumber:
		f := float64(v)
		if math.IsInf(f, 0) || math.IsNaN(f) {
			if !cfg.invalidNumbers {
				return "Cannot serialise number: must not be NaN or Inf"
			}
			switch {
			case math.IsNaN(f):
				b.WriteString("nan")
			case f > 0:
				b.WriteString("inf")
			default:
				b.WriteString("-inf")
			}
			return ""
		}
		b.WriteString(luaNumberString(f))
	case lua.LString:
		q, _ := json.Marshal(string(v))
		b.Write(bytes.ReplaceAll(q, []byte(`\u0026`), []byte("&")))
	case *lua.LUserData:
		if v == null {
			b.WriteString("null")
			return ""
		}
		return "Cannot serialise userdata: type not supported"
	case *lua.LTable:
		// An array when every key is a positive integer (1..n, sparse
		// arrays allowed as cjson does), otherwise an object.
		n, isArray := 0, true
		v.ForEach(func(k, _ lua.LValue) {
			if num, ok := k.(lua.LNumber); ok && float64(num) == math.Trunc(float64(num)) && num >= 1 {
				if int(num) > n {
					n = int(num)
				}
				return
			}
			isArray = false
		})
		if isArray && n == 0 {
			b.WriteString("{}") // cjson encodes an empty table as an object
			return ""
		}
		if isArray {
			b.WriteByte('[')
			for i := 1; i <= n; i++ {
				if i > 1 {
					b.WriteByte(',')
				}
				if err := jsonEncode(b, v.RawGetInt(i), null, depth+1, cfg); err != "" {
					return err
				}
			}
			b.WriteByte(']')
			return ""
		}
		type kv struct {
			k string
			v lua.LValue
		}
		var items []kv
		var bad string
		v.ForEach(func(k, val lua.LValue) {
			switch k := k.(type) {
			case lua.LString:
				items = append(items, kv{string(k), val})
			case lua.LNumber:
				items = append(items, kv{luaNumberString(float64(k)), val})
			default:
				bad = "Cannot serialise " + k.Type().String() + ": table key must be a number or string"
			}
		})
		if bad != "" {
			return bad
		}
		sort.Slice(items, func(i, j int) bool { return items[i].k < items[j].k })
		b.WriteByte('{')
		for i, it := range items {
			if i > 0 {
				b.WriteByte(',')
			}
			q, _ := json.Marshal(it.k)
			b.Write(q)
			b.WriteByte(':')
			if err := jsonEncode(b, it.v, null, depth+1, cfg); err != "" {
				return err
			}
		}
		b.WriteByte('}')
	default:
		return "Cannot serialise " + v.Type().String() + ": type not supported"
	}
	return ""
}

func jsonToLua(L *lua.LState, v any, null lua.LValue) lua.LValue {
	switch v := v.(type) {
	case nil:
		return null
	case bool:
		return lua.LBool(v)
	case json.Number:
		f, _ := strconv.ParseFloat(string(v), 64)
		return lua.LNumber(f)
	case string:
		return lua.LString(v)
	case []any:
		t := L.CreateTable(len(v), 0)
		for i, e := range v {
			t.RawSetInt(i+1, jsonToLua(L, e, null))
		}
		return t
	case map[string]any:
		t := L.CreateTable(0, len(v))
		for k, e := range v {
			t.RawSetString(k, jsonToLua(L, e, null))
		}
		return t
	}
	return lua.LNil
}

// --- bit --------------------------------------------------------------------

func bitLib(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	arg := func(L *lua.LState, i int) uint32 {
		f := float64(L.CheckNumber(i))
		// LuaBitOp normalises through the 2^52+2^51 trick: modular 32 bits.
		return uint32(int64(math.Mod(math.Trunc(f), 4294967296)))
	}
	ret := func(L *lua.LState, v uint32) int { L.Push(lua.LNumber(int32(v))); return 1 }
	fold := func(op func(a, b uint32) uint32) lua.LGFunction {
		return func(L *lua.LState) int {
			v := arg(L, 1)
			for i := 2; i <= L.GetTop(); i++ {
				v = op(v, arg(L, i))
			}
			return ret(L, v)
		}
	}
	fns := map[string]lua.LGFunction{
		"tobit": func(L *lua.LState) int { return ret(L, arg(L, 1)) },
		"bnot":  func(L *lua.LState) int { return ret(L, ^arg(L, 1)) },
		"band":  fold(func(a, b uint32) uint32 { return a & b }),
		"bor":   fold(func(a, b uint32) uint32 { return a | b }),
		"bxor":  fold(func(a, b uint32) uint32 { return a ^ b }),
		"lshift": func(L *lua.LState) int {
			return ret(L, arg(L, 1)<<(arg(L, 2)&31))
		},
		"rshift": func(L *lua.LState) int {
			return ret(L, arg(L, 1)>>(arg(L, 2)&31))
		},
		"arshift": func(L *lua.LState) int {
			return ret(L, uint32(int32(arg(L, 1))>>(arg(L, 2)&31)))
		},
		"rol": func(L *lua.LState) int {
			v, n := arg(L, 1), arg(L, 2)&31
			return ret(L, v<<n|v>>((32-n)&31))
		},
		"ror": func(L *lua.LState) int {
			v, n := arg(L, 1), arg(L, 2)&31
			return ret(L, v>>n|v<<((32-n)&31))
		},
		"bswap": func(L *lua.LState) int {
			v := arg(L, 1)
			return ret(L, v>>24|(v>>8)&0xff00|(v<<8)&0xff0000|v<<24)
		},
		"tohex": func(L *lua.LState) int {
			v := arg(L, 1)
			n := 8
			if L.GetTop() >= 2 {
				n = int(int32(arg(L, 2)))
			}
			digits := "0123456789abcdef"
			if n < 0 {
				n = -n
				digits = "0123456789ABCDEF"
			}
			if n > 8 {
				n = 8
			}
			buf := make([]byte, n)
			for i := n - 1; i >= 0; i-- {
				buf[i] = digits[v&15]
				v >>= 4
			}
			L.Push(lua.LString(buf))
			return 1
		},
	}
	for name, fn := range fns {
		t.RawSetString(name, L.NewFunction(fn))
	}
	return t
}

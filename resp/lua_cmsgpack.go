package resp

import (
	"encoding/binary"
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// cmsgpack: MessagePack for scripts, with the behaviour of the lua-cmsgpack
// module Redis bundles (pack, unpack, unpack_one, unpack_limit).
//
// Encoding: integral numbers that fit in int64 use the smallest integer
// form, other numbers a float32 when exact, else a float64; strings use
// fixstr/str8/str16/str32; a table whose keys are exactly 1..n is an array,
// any other table a map (keys in the table's iteration order); tables
// nested 16 deep and values of other types are encoded as nil. Decoding
// accepts the same forms (bin/ext types are a "Bad data format").

// cmsgpackMaxNesting is the table depth at which tables become nil.
const cmsgpackMaxNesting = 16

func cmsgpackLib(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("pack", L.NewFunction(mpPack))
	t.RawSetString("unpack", L.NewFunction(func(L *lua.LState) int { return mpUnpack(L, 0, 0) }))
	t.RawSetString("unpack_one", L.NewFunction(func(L *lua.LState) int {
		return mpUnpack(L, 1, int64(L.OptInt64(2, 0)))
	}))
	t.RawSetString("unpack_limit", L.NewFunction(func(L *lua.LState) int {
		return mpUnpack(L, L.CheckInt64(2), L.OptInt64(3, 0))
	}))
	t.RawSetString("_NAME", lua.LString("cmsgpack"))
	t.RawSetString("_VERSION", lua.LString("lua-cmsgpack 0.4.0"))
	return t
}

// mpPack packs every argument and returns the concatenation.
func mpPack(L *lua.LState) int {
	n := L.GetTop()
	if n == 0 {
		L.ArgError(0, "MessagePack pack needs input.")
	}
	var b []byte
	for i := 1; i <= n; i++ {
		b = mpEncode(b, L.Get(i), 0)
	}
	L.Push(lua.LString(b))
	return 1
}

func mpEncode(b []byte, v lua.LValue, level int) []byte {
	switch v := v.(type) {
	case lua.LString:
		return mpEncodeString(b, string(v))
	case lua.LBool:
		if v {
			return append(b, 0xc3)
		}
		return append(b, 0xc2)
	case lua.LNumber:
		f := float64(v)
		if f == math.Trunc(f) && f >= -9.223372036854775808e18 && f < 9.223372036854775808e18 {
			return mpEncodeInt(b, int64(f))
		}
		if f32 := float32(f); float64(f32) == f {
			return binary.BigEndian.AppendUint32(append(b, 0xca), math.Float32bits(f32))
		}
		return binary.BigEndian.AppendUint64(append(b, 0xcb), math.Float64bits(f))
	case *lua.LTable:
		if level == cmsgpackMaxNesting {
			return append(b, 0xc0)
		}
		return mpEncodeTable(b, v, level)
	}
	return append(b, 0xc0)
}

func mpEncodeString(b []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n <= 0xff:
		b = append(b, 0xd9, byte(n))
	case n <= 0xffff:
		b = binary.BigEndian.AppendUint16(append(b, 0xda), uint16(n))
	default:
		b = binary.BigEndian.AppendUint32(append(b, 0xdb), uint32(n))
	}
	return append(b, s...)
}

func mpEncodeInt(b []byte, n int64) []byte {
	switch {
	case n >= 0 && n <= 127:
		return append(b, byte(n))
	case n >= 0 && n <= 0xff:
		return append(b, 0xcc, byte(n))
	case n >= 0 && n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(n))
	case n >= 0 && n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, 0xce), uint32(n))
	case n >= 0:
		return binary.BigEndian.AppendUint64(append(b, 0xcf), uint64(n))
	case n >= -32:
		return append(b, byte(int8(n)))
	case n >= -128:
		return append(b, 0xd0, byte(int8(n)))
	case n >= -32768:
		return binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(int16(n)))
	case n >= -2147483648:
		return binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(int32(n)))
	}
	return binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(n))
}

// mpHeader appends an array or map header: fix form, 16 or 32 bits.
func mpHeader(b []byte, n int, fix, h16, h32 byte) []byte {
	switch {
	case n <= 15:
		return append(b, fix|byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, h16), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(b, h32), uint32(n))
}

func mpEncodeTable(b []byte, t *lua.LTable, level int) []byte {
	type kv struct{ k, v lua.LValue }
	var items []kv
	count, max, isArray := 0, 0, true
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		items = append(items, kv{k, v})
		count++
		n, ok := k.(lua.LNumber)
		if !ok || n <= 0 || float64(n) != math.Trunc(float64(n)) || float64(n) > math.MaxInt32 {
			isArray = false
			continue
		}
		if int(n) > max {
			max = int(n)
		}
	}
	if isArray && max == count {
		b = mpHeader(b, count, 0x90, 0xdc, 0xdd)
		for i := 1; i <= count; i++ {
			b = mpEncode(b, t.RawGetInt(i), level+1)
		}
		return b
	}
	b = mpHeader(b, len(items), 0x80, 0xde, 0xdf)
	for _, it := range items {
		b = mpEncode(b, it.k, level+1)
		b = mpEncode(b, it.v, level+1)
	}
	return b
}

// mpUnpack decodes up to limit values (0 with offset 0: all, returned as
// values) starting at offset; with a limit or an offset the next offset
// (-1 at the end) comes first.
func mpUnpack(L *lua.LState, limit, offset int64) int {
	s := L.CheckString(1)
	if offset < 0 || limit < 0 {
		L.RaiseError("Invalid request to unpack with offset of %d and limit of %d.", offset, len(s))
	}
	if offset > int64(len(s)) {
		L.RaiseError("Start offset %d greater than input length %d.", offset, len(s))
	}
	all := limit == 0 && offset == 0
	if all {
		limit = math.MaxInt32
	}
	d := &mpDecoder{L: L, p: s[offset:]}
	var out []lua.LValue
	for int64(len(out)) < limit && len(d.p) > 0 {
		v := d.value()
		switch d.err {
		case "eof":
			L.RaiseError("Missing bytes in input.")
		case "format":
			L.RaiseError("Bad data format in input.")
		}
		out = append(out, v)
	}
	if !all {
		next := lua.LNumber(len(s) - len(d.p))
		if len(d.p) == 0 {
			next = -1
		}
		L.Push(next)
	}
	for _, v := range out {
		L.Push(v)
	}
	if all {
		return len(out)
	}
	return len(out) + 1
}

type mpDecoder struct {
	L   *lua.LState
	p   string
	err string
}

// take consumes n bytes, or records EOF.
func (d *mpDecoder) take(n int) string {
	if d.err != "" {
		return ""
	}
	if len(d.p) < n {
		d.err = "eof"
		return ""
	}
	s := d.p[:n]
	d.p = d.p[n:]
	return s
}

func (d *mpDecoder) uint(n int) uint64 {
	s := d.take(n)
	var u uint64
	for i := 0; i < len(s); i++ {
		u = u<<8 | uint64(s[i])
	}
	return u
}

func (d *mpDecoder) value() lua.LValue {
	if d.err != "" {
		return lua.LNil
	}
	c := d.take(1)
	if c == "" {
		return lua.LNil
	}
	b := c[0]
	switch {
	case b <= 0x7f:
		return lua.LNumber(b)
	case b >= 0xe0:
		return lua.LNumber(int8(b))
	case b&0xe0 == 0xa0:
		return lua.LString(d.take(int(b & 0x1f)))
	case b&0xf0 == 0x90:
		return d.array(int(b & 0xf))
	case b&0xf0 == 0x80:
		return d.hash(int(b & 0xf))
	}
	switch b {
	case 0xc0:
		return lua.LNil
	case 0xc2:
		return lua.LFalse
	case 0xc3:
		return lua.LTrue
	case 0xcc, 0xcd, 0xce, 0xcf:
		return lua.LNumber(d.uint(1 << (b - 0xcc)))
	case 0xd0:
		return lua.LNumber(int8(d.uint(1)))
	case 0xd1:
		return lua.LNumber(int16(d.uint(2)))
	case 0xd2:
		return lua.LNumber(int32(d.uint(4)))
	case 0xd3:
		return lua.LNumber(int64(d.uint(8)))
	case 0xca:
		return lua.LNumber(math.Float32frombits(uint32(d.uint(4))))
	case 0xcb:
		return lua.LNumber(math.Float64frombits(d.uint(8)))
	case 0xd9, 0xda, 0xdb:
		n := d.uint(1 << (b - 0xd9))
		if n > uint64(len(d.p)) {
			d.err = "eof"
			return lua.LNil
		}
		return lua.LString(strings.Clone(d.take(int(n))))
	case 0xdc, 0xdd:
		return d.array(int(d.uint(2 << (b - 0xdc))))
	case 0xde, 0xdf:
		return d.hash(int(d.uint(2 << (b - 0xde))))
	}
	d.err = "format"
	return lua.LNil
}

func (d *mpDecoder) array(n int) lua.LValue {
	t := d.L.NewTable()
	for i := 1; i <= n && d.err == ""; i++ {
		t.RawSetInt(i, d.value())
	}
	return t
}

func (d *mpDecoder) hash(n int) lua.LValue {
	t := d.L.NewTable()
	for i := 0; i < n && d.err == ""; i++ {
		k := d.value()
		v := d.value()
		if d.err == "" && k != lua.LNil {
			t.RawSet(k, v)
		}
	}
	return t
}

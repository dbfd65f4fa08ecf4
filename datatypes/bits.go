package datatypes

import (
	"bytes"
	"math"
	"math/bits"

	"github.com/diskcached/diskcached/engine"
)

// Bit numbering follows Redis: bit 0 is the most significant bit of the
// first byte, bit 8 the most significant bit of the second byte, and so on.
// A string is an infinite run of zero bits past its end.

// ParseBitOffset parses a SETBIT/GETBIT/BITFIELD bit offset. With width > 0
// a leading '#' multiplies the number by width (BITFIELD's "#<n>" form).
// Negative offsets, overflow, and offsets whose byte lies at or past
// MaxStringLen are refused (ok false).
func ParseBitOffset(b []byte, width int) (uint64, bool) {
	hash := width > 0 && len(b) > 0 && b[0] == '#'
	if hash {
		b = b[1:]
	}
	n, ok := ParseInt(b)
	if !ok {
		return 0, false
	}
	if hash {
		if n > math.MaxInt64/int64(width) || n < math.MinInt64/int64(width) {
			return 0, false
		}
		n *= int64(width)
	}
	if n < 0 || n>>3 >= MaxStringLen {
		return 0, false
	}
	return uint64(n), true
}

// GetBit returns the bit at off in v (0 past the end).
func GetBit(v []byte, off uint64) int {
	i := off >> 3
	if i >= uint64(len(v)) {
		return 0
	}
	return int(v[i]>>(7-off&7)) & 1
}

// bitString returns a private, writable copy of key's string grown with
// zero bytes to at least size bytes, whether it existed, and its Meta.
// A key of another type fails with engine.ErrWrongType.
func bitString(tx *engine.Tx, db int, key []byte, size uint64) ([]byte, bool, engine.Meta, error) {
	m, ok, err := tx.LookupType(db, key, engine.TypeString)
	if err != nil {
		return nil, false, m, err
	}
	n := uint64(len(m.Value))
	if size < n {
		size = n
	}
	v := make([]byte, size)
	copy(v, m.Value)
	return v, ok, m, nil
}

// SetBit sets the bit at off of key's string to on (0 or 1), creating the
// key or zero-extending the value as needed, and returns the previous bit.
// The expiry is kept. Nothing is written when neither the bit nor the
// length changes.
func SetBit(tx *engine.Tx, db int, key []byte, off uint64, on int) (int, error) {
	v, existed, m, err := bitString(tx, db, key, off>>3+1)
	if err != nil {
		return 0, err
	}
	old := GetBit(v, off)
	grown := !existed || len(v) != len(m.Value)
	if old == on && !grown {
		return old, nil
	}
	mask := byte(1) << (7 - off&7)
	if on == 1 {
		v[off>>3] |= mask
	} else {
		v[off>>3] &^= mask
	}
	putKeepingTTL(tx, db, key, &m, existed, v, true)
	return old, nil
}

// ClampRange resolves Redis's start/end indexes (inclusive, negative counting
// from the end) against a length of n units. empty is true when the range
// selects nothing. Callers handle the "both negative and start > end" rule
// themselves where Redis checks it earlier.
func ClampRange(start, end, n int64) (s, e int64, empty bool) {
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	if start < 0 {
		start = 0
	}
	if end < 0 {
		end = 0
	}
	if end >= n {
		end = n - 1
	}
	return start, end, start > end
}

// BitCount counts the set bits of v between bit positions first and last,
// both inclusive and within v.
func BitCount(v []byte, first, last uint64) int64 {
	if first > last {
		return 0
	}
	fb, lb := first>>3, last>>3
	headMask := byte(0xff) >> (first & 7)
	tailMask := byte(0xff) << (7 - last&7)
	if fb == lb {
		return int64(bits.OnesCount8(v[fb] & headMask & tailMask))
	}
	n := bits.OnesCount8(v[fb]&headMask) + bits.OnesCount8(v[lb]&tailMask)
	return int64(n) + popcount(v[fb+1:lb])
}

func popcount(p []byte) int64 {
	var n int
	for len(p) >= 8 {
		n += bits.OnesCount64(uint64(p[0]) | uint64(p[1])<<8 | uint64(p[2])<<16 | uint64(p[3])<<24 |
			uint64(p[4])<<32 | uint64(p[5])<<40 | uint64(p[6])<<48 | uint64(p[7])<<56)
		p = p[8:]
	}
	for _, c := range p {
		n += bits.OnesCount8(c)
	}
	return int64(n)
}

// BitPos returns the position of the first bit equal to bit (0 or 1)
// between bit positions first and last (inclusive, within v), or -1 when
// there is none.
func BitPos(v []byte, bit int, first, last uint64) int64 {
	skip := byte(0) // a byte made only of unwanted bits
	if bit == 0 {
		skip = 0xff
	}
	for pos := first; pos <= last; {
		b := v[pos>>3]
		if pos&7 == 0 && pos+7 <= last && b == skip {
			pos += 8
			continue
		}
		if int(b>>(7-pos&7))&1 == bit {
			return int64(pos)
		}
		pos++
	}
	return -1
}

// BitOp names.
const (
	BitAnd = iota
	BitOr
	BitXor
	BitNot
)

// BitOp combines the source strings (a missing key is an empty string,
// zero-padded like the others to the longest) and stores the result at
// dest, replacing whatever was there and dropping its expiry. When every
// source is empty or missing, dest is deleted. It returns the result's
// length. A non-string source fails with engine.ErrWrongType.
func BitOp(tx *engine.Tx, db int, op int, dest []byte, srcs [][]byte) (int64, error) {
	vals := make([][]byte, len(srcs))
	maxLen := 0
	for i, k := range srcs {
		v, _, err := GetString(tx, db, k)
		if err != nil {
			return 0, err
		}
		vals[i] = v
		if len(v) > maxLen {
			maxLen = len(v)
		}
	}
	if maxLen == 0 {
		tx.Delete(db, dest)
		return 0, nil
	}
	res := make([]byte, maxLen)
	copy(res, vals[0])
	if op == BitNot {
		for i := range res {
			res[i] = ^res[i]
		}
	}
	for _, v := range vals[1:] {
		for i := range res {
			var c byte
			if i < len(v) {
				c = v[i]
			}
			switch op {
			case BitAnd:
				res[i] &= c
			case BitOr:
				res[i] |= c
			case BitXor:
				res[i] ^= c
			}
		}
	}
	m, existed, err := tx.Lookup(db, dest)
	if err != nil {
		return 0, err
	}
	nm := engine.Meta{Type: engine.TypeString, Value: res, Raw: true}
	if existed {
		nm.Tag = bytes.Clone(m.Tag)
	}
	tx.Put(db, dest, &nm)
	return int64(maxLen), nil
}

// BITFIELD operation kinds and overflow policies.
const (
	FieldGet = iota
	FieldSet
	FieldIncrBy
)

const (
	OverflowWrap = iota
	OverflowSat
	OverflowFail
)

// FieldOp is one parsed BITFIELD operation on a field of Width bits (1..64
// signed, 1..63 unsigned) starting at bit Offset.
type FieldOp struct {
	Kind     int
	Signed   bool
	Width    uint
	Offset   uint64
	Value    int64 // SET's value or INCRBY's increment
	Overflow int   // policy in force for this operation
}

// FieldResult is one BITFIELD reply element; Nil when an OVERFLOW FAIL
// operation was skipped.
type FieldResult struct {
	Value int64
	Nil   bool
}

// Bitfield runs ops in order against key's string. When every op is a GET
// the key is only read (missing = all zero bits). Otherwise the string is
// created or zero-extended up to the farthest written bit before the ops
// run (even if all of them then fail an OVERFLOW FAIL check), the expiry is
// kept, and nothing is written when nothing changed. A key of another type
// fails with engine.ErrWrongType.
func Bitfield(tx *engine.Tx, db int, key []byte, ops []FieldOp) ([]FieldResult, error) {
	var highest uint64
	writes := false
	for _, op := range ops {
		if op.Kind != FieldGet {
			writes = true
			if end := op.Offset + uint64(op.Width) - 1; end > highest {
				highest = end
			}
		}
	}
	res := make([]FieldResult, len(ops))
	if !writes {
		v, _, err := GetString(tx, db, key)
		if err != nil {
			return nil, err
		}
		for i, op := range ops {
			res[i].Value = readField(v, op)
		}
		return res, nil
	}
	v, existed, m, err := bitString(tx, db, key, highest>>3+1)
	if err != nil {
		return nil, err
	}
	changed := !existed || len(v) != len(m.Value)
	for i, op := range ops {
		if op.Kind == FieldGet {
			res[i].Value = readField(v, op)
			continue
		}
		old := readField(v, op)
		var nv, reply int64
		var over bool
		if op.Kind == FieldIncrBy {
			nv, over = fieldAdd(old, op.Value, op)
			reply = nv
		} else {
			nv, over = fieldAdd(op.Value, 0, op)
			reply = old
		}
		if over && op.Overflow == OverflowFail {
			res[i].Nil = true
			continue
		}
		res[i].Value = reply
		if nv != old {
			writeField(v, op.Offset, op.Width, uint64(nv))
			changed = true
		}
	}
	if changed {
		putKeepingTTL(tx, db, key, &m, existed, v, true)
	}
	return res, nil
}

// readField reads op's field from v, sign-extending signed fields.
func readField(v []byte, op FieldOp) int64 {
	var u uint64
	for i := uint64(0); i < uint64(op.Width); i++ {
		u = u<<1 | uint64(GetBit(v, op.Offset+i))
	}
	if op.Signed && op.Width < 64 && u&(1<<(op.Width-1)) != 0 {
		u |= math.MaxUint64 << op.Width
	}
	return int64(u)
}

// writeField stores the low width bits of u at bit off of v (v is long
// enough).
func writeField(v []byte, off uint64, width uint, u uint64) {
	for i := uint64(0); i < uint64(width); i++ {
		pos := off + i
		mask := byte(1) << (7 - pos&7)
		if u>>(uint64(width)-1-i)&1 == 1 {
			v[pos>>3] |= mask
		} else {
			v[pos>>3] &^= mask
		}
	}
}

// fieldAdd computes value+incr for op's field type and reports whether the
// result leaves the type's range; on overflow the result is wrapped or
// saturated according to op.Overflow (meaningless for FAIL).
func fieldAdd(value, incr int64, op FieldOp) (int64, bool) {
	if op.Signed {
		return signedFieldAdd(value, incr, op.Width, op.Overflow)
	}
	r, over := unsignedFieldAdd(uint64(value), incr, op.Width, op.Overflow)
	return int64(r), over
}

func unsignedFieldAdd(value uint64, incr int64, width uint, policy int) (uint64, bool) {
	max := uint64(1)<<width - 1
	wrapped := (value + uint64(incr)) & max
	switch {
	case value > max || (incr > 0 && incr > int64(max-value)):
		if policy == OverflowSat {
			return max, true
		}
		return wrapped, true
	case incr < 0 && incr < -int64(value):
		if policy == OverflowSat {
			return 0, true
		}
		return wrapped, true
	}
	return value + uint64(incr), false
}

func signedFieldAdd(value, incr int64, width uint, policy int) (int64, bool) {
	max := int64(math.MaxInt64)
	if width < 64 {
		max = int64(1)<<(width-1) - 1
	}
	min := -max - 1
	maxIncr := int64(uint64(max) - uint64(value)) // only read when value <= max
	minIncr := min - value                        // only read when value >= min
	wrap := func() int64 {
		c := uint64(value) + uint64(incr)
		if width < 64 {
			high := uint64(math.MaxUint64) << width
			if c&(1<<(width-1)) != 0 {
				c |= high
			} else {
				c &^= high
			}
		}
		return int64(c)
	}
	switch {
	case value > max || (width != 64 && incr > maxIncr) || (value >= 0 && incr > 0 && incr > maxIncr):
		if policy == OverflowSat {
			return max, true
		}
		return wrap(), true
	case value < min || (width != 64 && incr < minIncr) || (value < 0 && incr < 0 && incr < minIncr):
		if policy == OverflowSat {
			return min, true
		}
		return wrap(), true
	}
	return value + incr, false
}

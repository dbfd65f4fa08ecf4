package resp

import (
	"strings"

	"github.com/diskcached/diskcached/datatypes"
)

// bitCommands is redis.io's "bitmap" group: bit operations on string
// values (a missing key reads as an endless run of zero bits).
func bitCommands() []*Command {
	const g = "bitmap"
	w, r := FlagWrite|FlagDenyOOM, FlagReadonly
	return []*Command{
		{Name: "setbit", Arity: 4, Flags: w, FirstKey: 1, LastKey: 1, Group: g, Summary: "Sets or clears the bit at offset of the string value. Creates the key if it doesn't exist.", Run: cmdSetBit},
		{Name: "getbit", Arity: 3, Flags: r | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Returns a bit value by offset.", Run: cmdGetBit},
		{Name: "bitcount", Arity: -2, Flags: r, FirstKey: 1, LastKey: 1, Group: g, Summary: "Counts the number of set bits (population counting) in a string.", Run: cmdBitCount},
		{Name: "bitpos", Arity: -3, Flags: r, FirstKey: 1, LastKey: 1, Group: g, Summary: "Finds the first set (1) or clear (0) bit in a string.", Run: cmdBitPos},
		{Name: "bitop", Arity: -4, Flags: w, FirstKey: 2, LastKey: -1, Step: 1, Group: g, Summary: "Performs bitwise operations on multiple strings, and stores the result.", Run: cmdBitOp},
		{Name: "bitfield", Arity: -2, Flags: w, FirstKey: 1, LastKey: 1, Group: g, Summary: "Performs arbitrary bitfield integer operations on strings.", Run: cmdBitfield},
		{Name: "bitfield_ro", Arity: -2, Flags: r | FlagFast, FirstKey: 1, LastKey: 1, Group: g, Summary: "Performs arbitrary read-only bitfield integer operations on strings.", Run: cmdBitfield},
	}
}

// cmdSetBit implements SETBIT key offset 0|1: the offset is checked first,
// then the bit, then the key's type. It replies with the previous bit.
func cmdSetBit(c *Ctx, args [][]byte) error {
	off, ok := datatypes.ParseBitOffset(args[2], 0)
	if !ok {
		return ErrBitOffset
	}
	on, ok := datatypes.ParseInt(args[3])
	if !ok || (on != 0 && on != 1) {
		return ErrBitValue
	}
	isNew, oldLen := c.creating(args[1]), c.stringLen(args[1])
	old, err := datatypes.SetBit(c.Tx, c.DB, args[1], off, int(on))
	if err != nil {
		return err
	}
	if int64(old) != on || int64(off>>3) >= oldLen { // changed a bit, or created/grew the string
		c.created(isNew, args[1])
		c.event(NotifyString, "setbit", args[1])
	}
	c.W.Int(int64(old))
	return nil
}

// cmdGetBit implements GETBIT key offset: 0 for a missing key or an offset
// past the end.
func cmdGetBit(c *Ctx, args [][]byte) error {
	off, ok := datatypes.ParseBitOffset(args[2], 0)
	if !ok {
		return ErrBitOffset
	}
	v, _, err := readString(c, args[1])
	if err != nil {
		return err
	}
	c.W.Int(int64(datatypes.GetBit(v, off)))
	return nil
}

// bitRange resolves the optional start/end/unit arguments of BITCOUNT and
// BITPOS into an inclusive range of bit positions inside v. empty reports a
// range that selects nothing.
func bitRange(v []byte, start, end int64, isBit bool) (first, last uint64, empty bool) {
	n := int64(len(v))
	if isBit {
		n *= 8
	}
	s, e, empty := datatypes.ClampRange(start, end, n)
	if empty {
		return 0, 0, true
	}
	if isBit {
		return uint64(s), uint64(e), false
	}
	return uint64(s) * 8, uint64(e)*8 + 7, false
}

// parseBitUnit parses BYTE|BIT (case-insensitive); anything else is a
// syntax error.
func parseBitUnit(b []byte) (bool, error) {
	switch strings.ToLower(string(b)) {
	case "bit":
		return true, nil
	case "byte":
		return false, nil
	}
	return false, ErrSyntax
}

// cmdBitCount implements BITCOUNT key [start end [BYTE|BIT]]. Redis's order
// is kept: a missing key answers 0 before the arguments are looked at, and
// two negative indexes with start > end answer 0 before the unit is parsed.
func cmdBitCount(c *Ctx, args [][]byte) error {
	v, ok, err := readString(c, args[1])
	if err != nil {
		return err
	}
	if !ok {
		c.W.Int(0)
		return nil
	}
	first, last := uint64(0), uint64(len(v))*8
	switch len(args) {
	case 2:
		if len(v) == 0 {
			c.W.Int(0)
			return nil
		}
		last--
	case 4, 5:
		start, ok1 := datatypes.ParseInt(args[2])
		if !ok1 {
			return ErrNotInteger
		}
		end, ok2 := datatypes.ParseInt(args[3])
		if !ok2 {
			return ErrNotInteger
		}
		if start < 0 && end < 0 && start > end {
			c.W.Int(0)
			return nil
		}
		isBit := false
		if len(args) == 5 {
			if isBit, err = parseBitUnit(args[4]); err != nil {
				return err
			}
		}
		var empty bool
		if first, last, empty = bitRange(v, start, end, isBit); empty {
			c.W.Int(0)
			return nil
		}
	default:
		return ErrSyntax
	}
	c.W.Int(datatypes.BitCount(v, first, last))
	return nil
}

// cmdBitPos implements BITPOS key bit [start [end [BYTE|BIT]]]. A missing
// key is all zeros (0 for bit 0, -1 for bit 1). Looking for a 0 without an
// explicit end treats the string as zero-padded on the right, so a string
// of all ones answers its length in bits; with an explicit end it answers
// -1.
func cmdBitPos(c *Ctx, args [][]byte) error {
	bit, ok := datatypes.ParseInt(args[2])
	if !ok {
		return ErrNotInteger
	}
	if bit != 0 && bit != 1 {
		return ReplyError("ERR The bit argument must be 1 or 0.")
	}
	v, found, err := readString(c, args[1])
	if err != nil {
		return err
	}
	if !found {
		c.W.Int(-bit)
		return nil
	}
	if len(args) > 6 {
		return ErrSyntax
	}
	var first, last uint64
	empty := len(v) == 0
	endGiven := len(args) >= 5
	if !empty {
		last = uint64(len(v))*8 - 1
	}
	if len(args) >= 4 {
		start, ok := datatypes.ParseInt(args[3])
		if !ok {
			return ErrNotInteger
		}
		isBit := false
		if len(args) == 6 {
			if isBit, err = parseBitUnit(args[5]); err != nil {
				return err
			}
		}
		end := int64(-1) // the last unit
		if endGiven {
			if end, ok = datatypes.ParseInt(args[4]); !ok {
				return ErrNotInteger
			}
		}
		first, last, empty = bitRange(v, start, end, isBit)
	}
	if empty {
		c.W.Int(-1)
		return nil
	}
	pos := datatypes.BitPos(v, int(bit), first, last)
	if pos < 0 && bit == 0 && !endGiven {
		pos = int64(last) + 1
	}
	c.W.Int(pos)
	return nil
}

// cmdBitOp implements BITOP AND|OR|XOR|NOT destkey key [key ...]; it
// replies with the length of the stored result (0, and destkey deleted,
// when all sources are empty or missing).
func cmdBitOp(c *Ctx, args [][]byte) error {
	var op int
	switch strings.ToLower(string(args[1])) {
	case "and":
		op = datatypes.BitAnd
	case "or":
		op = datatypes.BitOr
	case "xor":
		op = datatypes.BitXor
	case "not":
		op = datatypes.BitNot
	default:
		return ErrSyntax
	}
	if op == datatypes.BitNot && len(args) != 4 {
		return ErrBitOpNot
	}
	p := c.probeStore(args[2])
	n, err := datatypes.BitOp(c.Tx, c.DB, op, args[2], args[3:])
	if err != nil {
		return err
	}
	c.stored(p, NotifyString, "set", args[2])
	c.W.Int(n)
	return nil
}

// cmdBitfield implements BITFIELD key [GET type off | SET type off value |
// INCRBY type off incr | OVERFLOW WRAP|SAT|FAIL ...] and BITFIELD_RO (GET
// only). All operations are parsed before anything runs; a failed OVERFLOW
// FAIL operation answers a null element.
func cmdBitfield(c *Ctx, args [][]byte) error {
	ops, err := parseBitfield(args)
	if err != nil {
		return err
	}
	if lowerName(args[0]) == "bitfield_ro" {
		for _, op := range ops {
			if op.Kind != datatypes.FieldGet {
				return ReplyError("ERR BITFIELD_RO only supports the GET subcommand")
			}
		}
	}
	isNew, snap := c.creating(args[1]), c.snapString(args[1])
	res, err := datatypes.Bitfield(c.Tx, c.DB, args[1], ops)
	if err != nil {
		return err
	}
	c.created(isNew, args[1])
	if c.stringChanged(snap, args[1]) {
		c.event(NotifyString, "setbit", args[1])
	}
	c.W.Array(len(res))
	for _, r := range res {
		if r.Nil {
			c.W.Null()
		} else {
			c.W.Int(r.Value)
		}
	}
	return nil
}

const errBitfieldType ReplyError = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."

// parseBitfield parses BITFIELD's operation list with Redis's errors and
// their order: operation name and argument count (syntax error), OVERFLOW
// policy, type, offset, then the value.
func parseBitfield(args [][]byte) ([]datatypes.FieldOp, error) {
	var ops []datatypes.FieldOp
	policy := datatypes.OverflowWrap
	for j := 2; j < len(args); j++ {
		rem := len(args) - j - 1
		var kind int
		switch name := strings.ToLower(string(args[j])); {
		case name == "get" && rem >= 2:
			kind = datatypes.FieldGet
		case name == "set" && rem >= 3:
			kind = datatypes.FieldSet
		case name == "incrby" && rem >= 3:
			kind = datatypes.FieldIncrBy
		case name == "overflow" && rem >= 1:
			j++
			switch strings.ToLower(string(args[j])) {
			case "wrap":
				policy = datatypes.OverflowWrap
			case "sat":
				policy = datatypes.OverflowSat
			case "fail":
				policy = datatypes.OverflowFail
			default:
				return nil, ReplyError("ERR Invalid OVERFLOW type specified")
			}
			continue
		default:
			return nil, ErrSyntax
		}
		op := datatypes.FieldOp{Kind: kind, Overflow: policy}
		t := args[j+1]
		if len(t) < 2 || (t[0] != 'i' && t[0] != 'u') {
			return nil, errBitfieldType
		}
		width, ok := datatypes.ParseInt(t[1:])
		op.Signed = t[0] == 'i'
		if !ok || width < 1 || width > 64 || (!op.Signed && width > 63) {
			return nil, errBitfieldType
		}
		op.Width = uint(width)
		if op.Offset, ok = datatypes.ParseBitOffset(args[j+2], int(width)); !ok {
			return nil, ErrBitOffset
		}
		if kind != datatypes.FieldGet {
			if op.Value, ok = datatypes.ParseInt(args[j+3]); !ok {
				return nil, ErrNotInteger
			}
			j++
		}
		j += 2
		ops = append(ops, op)
	}
	return ops, nil
}

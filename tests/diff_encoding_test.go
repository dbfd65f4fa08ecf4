package tests

import "testing"

// OBJECT ENCODING of strings follows how the value was written: SET picks
// int/embstr/raw by shape, while in-place writes (APPEND to an existing
// value, SETRANGE, SETBIT, BITFIELD, BITOP's result) leave a raw string,
// and INCR/INCRBYFLOAT write a fresh value again.
func TestDiff_Encoding_StringsWrittenInPlace(t *testing.T) {
	runDiffCases(t, []diffCase{
		{name: "encoding_in_place", cmds: cs(`SET a 123`, `OBJECT ENCODING a`, `APPEND a 4`, `OBJECT ENCODING a`,
			`INCR a`, `OBJECT ENCODING a`, `APPEND newkey 5`, `OBJECT ENCODING newkey`,
			`SET b hello`, `SETRANGE b 0 j`, `OBJECT ENCODING b`, `SET b hello`, `OBJECT ENCODING b`,
			`SETRANGE c 2 x`, `OBJECT ENCODING c`, `SETBIT d 3 1`, `OBJECT ENCODING d`,
			`SET e 7`, `SETBIT e 1 1`, `OBJECT ENCODING e`, `BITFIELD f SET u8 0 5`, `OBJECT ENCODING f`,
			`BITOP OR g d e`, `OBJECT ENCODING g`, `SET h 1.5`, `INCRBYFLOAT h 1`, `OBJECT ENCODING h`,
			`APPEND a x`, `COPY a a2`, `OBJECT ENCODING a2`, `RENAME a a3`, `OBJECT ENCODING a3`,
			`EXPIRE a3 100`, `OBJECT ENCODING a3`, `GETEX a3 PERSIST`, `OBJECT ENCODING a3`)},
	})
}

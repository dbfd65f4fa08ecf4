package resp

// bitCommands returns SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP (being written).
func bitCommands() []*Command { return nil }

package resp

// zsetCommands returns the zset command group (not yet implemented).
func zsetCommands() []*Command { return nil }

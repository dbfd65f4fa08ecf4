package resp

// hashCommands returns the hash command group (not yet implemented).
func hashCommands() []*Command { return nil }

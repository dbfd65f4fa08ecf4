package resp

// scriptCommands returns the script command group (not yet implemented).
func scriptCommands() []*Command { return nil }

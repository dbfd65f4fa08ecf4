package resp

// sortCommands returns the sort command group (not yet implemented).
func sortCommands() []*Command { return nil }

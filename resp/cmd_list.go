package resp

// listCommands returns the list command group (not yet implemented).
func listCommands() []*Command { return nil }

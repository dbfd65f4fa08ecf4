package resp

// setCommands returns the set command group (not yet implemented).
func setCommands() []*Command { return nil }

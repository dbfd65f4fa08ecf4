package resp

// cacheCommands returns the cache command group (not yet implemented).
func cacheCommands() []*Command { return nil }

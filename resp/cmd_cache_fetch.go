package resp

func cacheFetchCommands() []*Command { return nil }

package resp

func cacheAdminCommands() []*Command { return nil }

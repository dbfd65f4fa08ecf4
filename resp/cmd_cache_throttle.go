package resp

func cacheThrottleCommands() []*Command { return nil }

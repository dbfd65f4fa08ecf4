package resp

// pubsubCommands returns the pub/sub group (not yet implemented).
func pubsubCommands() []*Command { return nil }

// subState is a client's subscriptions.
type subState struct {
	channels, patterns, shards int
}

// inSubscribedMode reports whether a RESP2 client is limited to the
// subscribe family of commands.
func (c *Client) inSubscribedMode() bool {
	return c.W.Proto() == 2 && c.sub.channels+c.sub.patterns+c.sub.shards > 0
}

func (c *Client) releasePubSub() {}

package resp

// txnCommands returns MULTI/EXEC/DISCARD/WATCH/UNWATCH (not yet implemented).
func txnCommands() []*Command { return nil }

// multiState is a client's MULTI queue.
type multiState struct {
	active bool
	dirty  bool
	queue  []prepared
}

func (c *Client) inMulti() bool { return c.multi.active }

// queueMulti queues a command inside MULTI and replies QUEUED.
func (c *Client) queueMulti(cmd *Command, args [][]byte) {
	cp := make([][]byte, len(args))
	for i, a := range args {
		cp[i] = append([]byte(nil), a...)
	}
	c.multi.queue = append(c.multi.queue, prepared{cmd, cp})
	c.W.Status("QUEUED")
}

// flagMultiError marks the transaction to fail with EXECABORT.
func (c *Client) flagMultiError() { c.multi.dirty = true }

func (c *Client) releaseMulti() { c.multi = multiState{} }

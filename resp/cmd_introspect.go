package resp

import "time"

// introspectCommands returns INFO, CLIENT, COMMAND, SLOWLOG, MONITOR,
// MEMORY and LATENCY (being written).
func introspectCommands() []*Command { return nil }

// feedMonitor sends a command to MONITOR clients.
func (s *Server) feedMonitor(c *Client, args [][]byte) {}

// slowlogAdd records a command slower than slowlog-log-slower-than.
func (s *Server) slowlogAdd(c *Client, args [][]byte, d time.Duration) {}

package resp

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/diskcached/diskcached/datatypes"
	"github.com/diskcached/diskcached/engine"
)

// Introspection: INFO (info.go), CLIENT (cmd_client.go), COMMAND
// (cmd_command.go), SLOWLOG (slowlog.go), MONITOR (monitor.go), MEMORY and
// LATENCY (here). dispatch.go calls feedMonitor and slowlogAdd for every
// command; both return after an atomic load or two when there is nothing
// to do (no MONITOR client, command faster than slowlog-log-slower-than).

// introspectCommands returns INFO, CLIENT, COMMAND, SLOWLOG, MONITOR,
// MEMORY and LATENCY.
func introspectCommands() []*Command {
	const g = "server"
	adm := FlagAdmin | FlagNoScript | FlagLoading | FlagStale
	help := FlagLoading | FlagStale
	return []*Command{
		{Name: "info", Arity: -1, Flags: FlagLoading | FlagStale, Group: g, Summary: "Returns information and statistics about the server.", Run: cmdInfo},
		{Name: "monitor", Arity: 1, Flags: adm, Group: g, Summary: "Listens for all requests received by the server in real-time.", Run: cmdMonitor},
		clientCommand(),
		commandCommand(),
		slowlogCommand(),
		{Name: "memory", Arity: -2, Group: g, Summary: "A container for memory diagnostics commands.", Subs: map[string]*Command{
			"usage":        {Arity: -3, Flags: FlagReadonly, FirstKey: 2, LastKey: 2, Group: g, Summary: "Estimates the memory usage of a key.", Run: cmdMemoryUsage},
			"stats":        {Arity: 2, Group: g, Summary: "Returns details about memory usage.", Run: cmdMemoryStats},
			"doctor":       {Arity: 2, Group: g, Summary: "Outputs a memory problems report.", Run: cmdMemoryDoctor},
			"malloc-stats": {Arity: 2, Group: g, Summary: "Returns the allocator statistics.", Run: cmdMemoryMallocStats},
			"purge":        {Arity: 2, Group: g, Summary: "Asks the allocator to release memory.", Run: cmdOK},
			"help":         {Arity: 2, Flags: help, Group: g, Summary: "Returns helpful text about the different subcommands.", Run: cmdMemoryHelp},
		}},
		{Name: "latency", Arity: -2, Group: g, Summary: "A container for latency diagnostics commands.", Subs: map[string]*Command{
			"latest":    {Arity: 2, Flags: adm, Group: g, Summary: "Returns the latest latency samples for all events.", Run: cmdEmptyArray},
			"history":   {Arity: 3, Flags: adm, Group: g, Summary: "Returns timestamp-latency samples for an event.", Run: cmdEmptyArray},
			"histogram": {Arity: -2, Flags: adm, Group: g, Summary: "Returns the cumulative distribution of latencies of a subset or all commands.", Run: cmdEmptyMap},
			"graph":     {Arity: 3, Flags: adm, Group: g, Summary: "Returns a latency graph for an event.", Run: cmdLatencyGraph},
			"reset":     {Arity: -2, Flags: adm, Group: g, Summary: "Resets the latency data for one or more events.", Run: cmdLatencyReset},
			"doctor":    {Arity: 2, Flags: adm, Group: g, Summary: "Returns a human-readable latency analysis report.", Run: cmdLatencyDoctor},
			"help":      {Arity: 2, Flags: help, Group: g, Summary: "Returns helpful text about the different subcommands.", Run: cmdLatencyHelp},
		}},
	}
}

// introState is the per-server state of the introspection commands. The
// Server struct has no field for it: it is found through a registry whose
// last hit is cached, so the per-command hooks pay one atomic load.
type introState struct {
	s *Server

	// MONITOR (monitor.go)
	monMu sync.Mutex
	mons  map[*Client]*monitorSink

	// SLOWLOG (slowlog.go): cached config, refreshed after CONFIG commands.
	slowThreshold atomic.Int64 // µs; < 0 disables the log
	slowMaxLen    atomic.Int64
	slowMu        sync.Mutex
	slow          []slowEntry // newest first
	slowNextID    int64

	// INFO sampler (info.go)
	sampler  sync.Once
	sampleMu sync.Mutex
	samples  [infoSamples]opsSample
	sampleN  int
	peakMem  atomic.Int64
}

// monitorsTotal counts MONITOR clients of every server in the process:
// feedMonitor's fast path.
var monitorsTotal atomic.Int64

func newIntroState(s *Server) *introState {
	st := &introState{s: s, mons: map[*Client]*monitorSink{}}
	st.loadSlowlogConfig()
	return st
}

// intro returns s's introspection state.
func (s *Server) intro() *introState { return s.introSt }

// feedMonitor sends a command to MONITOR clients, as Redis does after
// running it (so the commands EXEC runs come before the EXEC line; scripts
// feed themselves first: feedMonitorScriptCall). Administrative and
// skip_monitor commands are not shown. Free when there are no monitors. It
// runs on c's own goroutine, where c's db is current.
func (s *Server) feedMonitor(c *Client, args [][]byte) {
	if monitorsTotal.Load() == 0 {
		return
	}
	s.intro().feed(c.db, c.addr, args, false)
}

// feedMonitorScriptCall feeds EVAL, EVALSHA and FCALL (and their _RO
// forms) before they run, so the commands of the script follow them; they
// are skip_monitor for the feed after running.
func (s *Server) feedMonitorScriptCall(c *Client, cmd *Command, args [][]byte) {
	if monitorsTotal.Load() == 0 || !runsScript[cmd.Name] {
		return
	}
	s.intro().feed(c.db, c.addr, args, true)
}

// feedMonitorScript sends a command a script runs in db to MONITOR
// clients, shown as coming from "lua" as Redis does.
func (s *Server) feedMonitorScript(db int, args [][]byte) {
	if monitorsTotal.Load() == 0 {
		return
	}
	s.intro().feed(db, "lua", args, false)
}

// slowlogAdd records a command slower than slowlog-log-slower-than. Its
// fast path is a comparison with a cached threshold (refreshed after every
// CONFIG or EXEC command, the only ways to change it at run time).
func (s *Server) slowlogAdd(c *Client, args [][]byte, d time.Duration) {
	st := s.intro()
	if len(args) > 0 && isConfigOrExec(args[0]) {
		st.loadSlowlogConfig()
	}
	th := st.slowThreshold.Load()
	if th < 0 || d.Microseconds() < th {
		return
	}
	st.slowlogPush(c, args, d)
}

// isConfigOrExec reports whether name is CONFIG or EXEC, any case.
func isConfigOrExec(name []byte) bool {
	switch len(name) {
	case 6:
		return name[0]|0x20 == 'c' && strings.EqualFold(string(name), "config")
	case 4:
		return name[0]|0x20 == 'e' && strings.EqualFold(string(name), "exec")
	}
	return false
}

func cmdOK(c *Ctx, args [][]byte) error         { c.W.OK(); return nil }
func cmdEmptyArray(c *Ctx, args [][]byte) error { c.W.Array(0); return nil }
func cmdEmptyMap(c *Ctx, args [][]byte) error   { c.W.Map(0); return nil }

// cmdMemoryUsage estimates the bytes a key takes: key and value plus a
// fixed per-key overhead; for a collection, its element count times the
// average size of up to SAMPLES elements (0 = all of them). A missing or
// expired key replies null.
func cmdMemoryUsage(c *Ctx, args [][]byte) error {
	samples := int64(5)
	for i := 3; i < len(args); i++ {
		if !strings.EqualFold(string(args[i]), "samples") || i+1 >= len(args) {
			return ErrSyntax
		}
		n, ok := datatypes.ParseInt(args[i+1])
		if !ok {
			return ErrNotInteger
		}
		if n < 0 {
			return ErrSyntax
		}
		samples = n
		i++
	}
	m, ok, err := c.Tx.Lookup(c.DB, args[2])
	if err != nil {
		return err
	}
	if !ok {
		c.W.Null()
		return nil
	}
	c.W.Int(estimateKeyBytes(c.Tx, args[2], &m, samples))
	return nil
}

// Overheads of the estimate: the meta record and its bbolt entry, and each
// element's bbolt entry (key prefix and page bookkeeping).
const (
	keyOverhead  = 56
	elemOverhead = 24
)

func estimateKeyBytes(tx *engine.Tx, key []byte, m *engine.Meta, samples int64) int64 {
	size := int64(keyOverhead + len(key) + len(m.Value) + len(m.Tag))
	if !m.Type.IsCollection() || m.Count == 0 {
		return size
	}
	var seen, bytes int64
	it := tx.Elems(m.Version)
	for ok := it.First(); ok && (samples == 0 || seen < samples); ok = it.Next() {
		bytes += int64(len(it.Sub()) + len(it.Value()))
		seen++
	}
	if seen == 0 {
		return size
	}
	avg := float64(bytes)/float64(seen) + elemOverhead
	return size + int64(avg*float64(m.Count))
}

// cmdMemoryStats replies a map of the few figures diskcached has, with
// Redis's key names.
func cmdMemoryStats(c *Ctx, args [][]byte) error {
	used := diskBytes(c.S)
	peak := c.S.intro().notePeak(used)
	keys, _ := keyspaceTotals(c)
	c.W.Map(6)
	c.W.BulkString("peak.allocated")
	c.W.Int(peak)
	c.W.BulkString("total.allocated")
	c.W.Int(used)
	c.W.BulkString("startup.allocated")
	c.W.Int(0)
	c.W.BulkString("keys.count")
	c.W.Int(keys)
	c.W.BulkString("dataset.bytes")
	c.W.Int(used)
	c.W.BulkString("rss.bytes")
	c.W.Int(rssBytes())
	return nil
}

// keyspaceTotals sums keys and volatile keys over every database.
func keyspaceTotals(c *Ctx) (keys, expires int64) {
	for _, kc := range keyCounts(c) {
		keys += kc[0]
		expires += kc[1]
	}
	return keys, expires
}

func cmdMemoryDoctor(c *Ctx, args [][]byte) error {
	c.W.Verbatim("txt", "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.")
	return nil
}

func cmdMemoryMallocStats(c *Ctx, args [][]byte) error {
	c.W.Verbatim("txt", "Stats not supported for the current allocator")
	return nil
}

func cmdMemoryHelp(c *Ctx, args [][]byte) error {
	writeHelp(c.W, "MEMORY", []string{
		"DOCTOR",
		"    Return memory problems reports.",
		"MALLOC-STATS",
		"    Return internal statistics report from the memory allocator.",
		"PURGE",
		"    Attempt to purge dirty pages for reclamation by the allocator.",
		"STATS",
		"    Return information about the memory usage of the server.",
		"USAGE <key> [SAMPLES <count>]",
		"    Return memory in bytes used by <key> and its value. Nested values are",
		"    sampled up to <count> times (default: 5, 0 means sample all).",
	})
	return nil
}

// cmdLatencyReset: nothing is recorded, so nothing is reset.
func cmdLatencyReset(c *Ctx, args [][]byte) error {
	c.W.Int(0)
	return nil
}

func cmdLatencyGraph(c *Ctx, args [][]byte) error {
	return errQuoted("ERR No samples available for event ", args[2], "")
}

func cmdLatencyDoctor(c *Ctx, args [][]byte) error {
	if c.S.cfg.Int("latency-monitor-threshold") == 0 {
		c.W.Verbatim("txt", "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n")
		return nil
	}
	c.W.Verbatim("txt", "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n")
	return nil
}

func cmdLatencyHelp(c *Ctx, args [][]byte) error {
	writeHelp(c.W, "LATENCY", []string{
		"DOCTOR",
		"    Return a human readable latency analysis report.",
		"GRAPH <event>",
		"    Return an ASCII latency graph for the <event> class.",
		"HISTORY <event>",
		"    Return time-latency samples for the <event> class.",
		"LATEST",
		"    Return the latest latency samples for all events.",
		"RESET [<event> ...]",
		"    Reset latency data of one or more <event> classes.",
		"    (default: reset all data for all event classes)",
		"HISTOGRAM [COMMAND ...]",
		"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
		"    If no commands are specified then all histograms are replied.",
	})
	return nil
}

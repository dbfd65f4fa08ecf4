package resp

import (
	"strings"
	"sync/atomic"
	"time"

	"github.com/diskcached/diskcached/datatypes"
	"github.com/diskcached/diskcached/engine"
)

// serverCommands is redis.io's "server" group: data-wide operations,
// persistence, configuration and shutdown here; introspection (INFO,
// CLIENT, COMMAND, SLOWLOG, MONITOR, MEMORY, LATENCY) in introspectCommands.
func serverCommands() []*Command {
	const g = "server"
	adm := FlagAdmin | FlagNoScript
	cmds := []*Command{
		{Name: "flushdb", Arity: -1, Flags: FlagWrite, Group: g, Summary: "Removes all keys from the current database.", Run: cmdFlush},
		{Name: "flushall", Arity: -1, Flags: FlagWrite, Group: g, Summary: "Removes all keys from all databases.", Run: cmdFlush},
		{Name: "swapdb", Arity: 3, Flags: FlagWrite | FlagFast, Group: g, Summary: "Swaps two Redis databases.", Run: cmdSwapDB},
		{Name: "time", Arity: 1, Flags: FlagLoading | FlagStale | FlagFast, Group: g, Summary: "Returns the server time.", Run: cmdTime},
		{Name: "lastsave", Arity: 1, Flags: FlagLoading | FlagStale | FlagFast, Group: g, Summary: "Returns the Unix timestamp of the last successful save to disk.", Run: cmdLastSave},
		{Name: "save", Arity: 1, Flags: adm | FlagDenyInMulti | FlagNoAsyncLoading, Group: g, Summary: "Synchronously saves the database(s) to disk.", Run: cmdSave},
		{Name: "bgsave", Arity: -1, Flags: adm | FlagNoAsyncLoading, Group: g, Summary: "Asynchronously saves the database(s) to disk.", Run: cmdSave},
		{Name: "bgrewriteaof", Arity: 1, Flags: adm | FlagNoAsyncLoading, Group: g, Summary: "Asynchronously rewrites the append-only file to disk.", Run: cmdBGRewriteAOF},
		{Name: "shutdown", Arity: -1, Flags: adm | FlagLoading | FlagStale | FlagDenyInMulti | FlagAllowBusy, Group: g, Summary: "Synchronously saves the database(s) to disk and shuts down the Redis server.", Run: cmdShutdown},
		{Name: "role", Arity: 1, Flags: FlagNoScript | FlagLoading | FlagStale | FlagFast, Group: g, Summary: "Returns the replication role.", Run: cmdRole},
		{Name: "wait", Arity: 3, Flags: FlagNoScript, Group: "generic", Summary: "Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed.", Run: cmdWait},
		{Name: "debug", Arity: -2, Flags: adm | FlagLoading | FlagStale, Group: g, Summary: "A container for debugging commands.", Run: cmdDebug},
		{Name: "config", Arity: -2, Group: g, Summary: "A container for server configuration commands.", Subs: map[string]*Command{
			"get":       {Arity: -3, Flags: adm | FlagLoading | FlagStale, Run: cmdConfigGet},
			"set":       {Arity: -4, Flags: adm | FlagLoading | FlagStale, Run: cmdConfigSet},
			"resetstat": {Arity: 2, Flags: adm | FlagLoading | FlagStale, Run: cmdConfigResetStat},
			"rewrite":   {Arity: 2, Flags: adm | FlagLoading | FlagStale, Run: cmdConfigRewrite},
			"help":      {Arity: 2, Flags: FlagLoading | FlagStale, Run: cmdConfigHelp},
		}},
	}
	return append(cmds, introspectCommands()...)
}

// cmdFlush serves FLUSHDB and FLUSHALL [ASYNC|SYNC]: O(1) either way, the
// old data is reclaimed in the background.
func cmdFlush(c *Ctx, args [][]byte) error {
	if len(args) > 2 {
		return ErrSyntax
	}
	if len(args) == 2 {
		if m := strings.ToLower(string(args[1])); m != "async" && m != "sync" {
			return ErrSyntax
		}
	}
	if lowerName(args[0]) == "flushall" {
		for db := 0; db < c.S.db.Databases(); db++ {
			c.Tx.FlushDB(db)
		}
	} else {
		c.Tx.FlushDB(c.DB)
	}
	c.W.OK()
	return nil
}

func cmdSwapDB(c *Ctx, args [][]byte) error {
	a, ok1 := datatypes.ParseInt(args[1])
	if !ok1 {
		return ReplyError("ERR invalid first DB index")
	}
	b, ok2 := datatypes.ParseInt(args[2])
	if !ok2 {
		return ReplyError("ERR invalid second DB index")
	}
	n := int64(c.S.db.Databases())
	if a < 0 || a >= n || b < 0 || b >= n {
		return ErrDBIndex
	}
	if a != b {
		c.Tx.SwapDB(int(a), int(b))
		c.S.SignalDBReady(c.Tx, int(a))
		c.S.SignalDBReady(c.Tx, int(b))
	}
	c.W.OK()
	return nil
}

func cmdTime(c *Ctx, args [][]byte) error {
	now := time.Now()
	c.W.Array(2)
	c.W.BulkInt(now.Unix())
	c.W.BulkInt(int64(now.Nanosecond() / 1000))
	return nil
}

func cmdLastSave(c *Ctx, args [][]byte) error {
	c.W.Int(c.S.lastSave.Load())
	return nil
}

// cmdSave serves SAVE and BGSAVE [SCHEDULE]: fsync the store and write a
// consistent snapshot (dump.db beside the data file) for backups.
func cmdSave(c *Ctx, args [][]byte) error {
	bg := lowerName(args[0]) == "bgsave"
	if bg && len(args) > 2 || bg && len(args) == 2 && strings.ToLower(string(args[1])) != "schedule" {
		return ErrSyntax
	}
	save := func() error {
		changes := c.S.db.Stats().Changes.Load()
		if err := c.S.db.Sync(); err != nil {
			return err
		}
		if err := c.S.db.Snapshot(c.S.SnapshotPath()); err != nil {
			return err
		}
		c.S.lastSave.Store(time.Now().Unix())
		c.S.changesAtSave.Store(changes)
		return nil
	}
	if bg {
		log := c.S.log
		go func() {
			if err := save(); err != nil {
				log.Error().Err(err).Msg("background save failed")
			} else {
				log.Info().Msg("background saving terminated with success")
			}
		}()
		c.W.Status("Background saving started")
		return nil
	}
	if err := save(); err != nil {
		return ReplyError("ERR " + err.Error())
	}
	c.W.OK()
	return nil
}

// SnapshotPath is where SAVE and BGSAVE write the consistent copy.
func (s *Server) SnapshotPath() string {
	return strings.TrimSuffix(s.db.Path(), engine.FileName) + "dump.db"
}

// cmdBGRewriteAOF starts an online compaction of the data file (bbolt
// never shrinks; the compacted copy returns free pages to the file system):
// Redis users already run BGREWRITEAOF to compact.
func cmdBGRewriteAOF(c *Ctx, args [][]byte) error {
	if err := c.S.startCompaction(); err != nil {
		return err
	}
	c.W.Status("Background append only file rewriting started")
	return nil
}

// cmdShutdown stops the server gracefully. Like Redis, a successful
// SHUTDOWN sends no reply: the connection just closes.
func cmdShutdown(c *Ctx, args [][]byte) error {
	for _, a := range args[1:] {
		switch strings.ToLower(string(a)) {
		case "nosave", "save", "now", "force":
		case "abort":
			return ReplyError("ERR No shutdown in progress.")
		default:
			return ErrSyntax
		}
	}
	if c.S.shutdown == nil {
		return ErrShutdownRefused
	}
	c.S.log.Warn().Str("addr", c.C.addr).Msg("user requested shutdown")
	if c.C != nil {
		c.C.killed.Store(true)
	}
	go c.S.shutdown()
	return nil
}

func cmdRole(c *Ctx, args [][]byte) error {
	c.W.Array(3)
	c.W.BulkString("master")
	c.W.Int(0)
	c.W.Array(0)
	return nil
}

// cmdWait: there are no replicas, so no replica acknowledges; Redis replies
// 0 at once in that case.
func cmdWait(c *Ctx, args [][]byte) error {
	if _, ok := datatypes.ParseInt(args[1]); !ok {
		return ErrNotInteger
	}
	t, ok := datatypes.ParseInt(args[2])
	if !ok {
		return ErrTimeout
	}
	if t < 0 {
		return ErrTimeoutNegative
	}
	c.W.Int(0)
	return nil
}

// cmdDebug implements the DEBUG subcommands tools and test suites use.
func cmdDebug(c *Ctx, args [][]byte) error {
	switch sub := strings.ToLower(string(args[1])); sub {
	case "sleep":
		if len(args) != 3 {
			return ErrSyntax
		}
		f, ok := datatypes.ParseFloat(args[2])
		if !ok {
			return ErrNotFloat
		}
		time.Sleep(time.Duration(f * float64(time.Second)))
		c.W.OK()
	case "reload", "jmap", "quicklist-packed-threshold", "stringmatch-len", "change-repl-id", "set-disable-deny-scripts", "replybuffer", "dict-resizing":
		c.W.OK()
	case "set-active-expire":
		if len(args) != 3 {
			return ErrSyntax
		}
		c.S.db.SetActiveExpire(string(args[2]) != "0")
		c.W.OK()
	case "object":
		if len(args) != 3 {
			return ErrSyntax
		}
		return c.S.db.View(func(tx *engine.Tx) error {
			m, ok, err := tx.Lookup(c.DB, args[2])
			if err != nil || !ok {
				return ErrNoSuchKey
			}
			cc := *c
			cc.Tx = tx
			idle := (tx.Now - m.AccessAt) / 1000
			c.W.Status("Value at:0x0 refcount:1 encoding:" + objectEncoding(&cc, &m) +
				" serializedlength:" + itoa(int64(len(m.Value))+m.Count) + " lru:0 lru_seconds_idle:" + itoa(idle))
			return nil
		})
	case "help":
		writeHelp(c.W, "DEBUG", []string{"SLEEP <seconds>", "    Stop the server for <seconds>.", "OBJECT <key>", "    Show low level info about the key.", "SET-ACTIVE-EXPIRE <0|1>", "    Setting it to 0 disables active expiry."})
	default:
		return ReplyError("ERR unknown subcommand '" + sanitizePreview(args[1], 128) + "'. Try DEBUG HELP.")
	}
	return nil
}

func cmdConfigGet(c *Ctx, args [][]byte) error {
	pats := make([]string, 0, len(args)-2)
	for _, a := range args[2:] {
		pats = append(pats, string(a))
	}
	pairs := c.S.cfg.ConfigGet(pats)
	c.W.Map(len(pairs))
	for _, p := range pairs {
		c.W.BulkString(p[0])
		c.W.BulkString(p[1])
	}
	return nil
}

func cmdConfigSet(c *Ctx, args [][]byte) error {
	if len(args)%2 != 0 { // a name without its value: Redis says syntax error
		return ErrSyntax
	}
	var pairs [][2]string
	seen := map[string]bool{}
	for i := 2; i+1 < len(args); i += 2 {
		name := strings.ToLower(string(args[i]))
		if seen[name] {
			return errConfigSetFailed(string(args[i]), "duplicate parameter")
		}
		seen[name] = true
		pairs = append(pairs, [2]string{string(args[i]), string(args[i+1])})
	}
	if err := c.S.cfg.ConfigSet(pairs); err != nil {
		return err
	}
	c.W.OK()
	return nil
}

func cmdConfigResetStat(c *Ctx, args [][]byte) error {
	c.S.ResetStats()
	c.W.OK()
	return nil
}

func cmdConfigRewrite(c *Ctx, args [][]byte) error {
	if err := c.S.cfg.Rewrite(); err != nil {
		if re, ok := err.(ReplyError); ok {
			return re
		}
		return ReplyError("ERR Rewriting config file: " + err.Error())
	}
	c.W.OK()
	return nil
}

func cmdConfigHelp(c *Ctx, args [][]byte) error {
	writeHelp(c.W, "CONFIG", []string{
		"GET <pattern>",
		"    Return parameters matching the glob-like <pattern> and their values.",
		"SET <directive> <value>",
		"    Set the configuration <directive> to <value>.",
		"RESETSTAT",
		"    Reset statistics reported by the INFO command.",
		"REWRITE",
		"    Rewrite the configuration file.",
	})
	return nil
}

// ResetStats zeroes INFO's counters (CONFIG RESETSTAT).
func (s *Server) ResetStats() {
	st := &s.stats
	for _, a := range []*atomic.Int64{&st.ConnectionsReceived, &st.CommandsProcessed, &st.RejectedConns,
		&st.NetInput, &st.NetOutput, &st.ErrorReplies, &st.KeyspaceHits, &st.KeyspaceMisses} {
		a.Store(0)
	}
	for _, cmd := range s.table.cmds {
		cmd.stats.reset()
		for _, sub := range cmd.Subs {
			sub.stats.reset()
		}
	}
	s.db.Stats().ExpiredKeys.Store(0)
	s.db.Stats().EvictedKeys.Store(0)
}

func (st *CommandStats) reset() {
	st.Calls.Store(0)
	st.Usec.Store(0)
	st.Failed.Store(0)
	st.Rejected.Store(0)
}

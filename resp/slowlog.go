package resp

import (
	"strconv"
	"strings"
	"time"

	"github.com/diskcached/diskcached/datatypes"
)

// SLOWLOG keeps the last slowlog-max-len commands that ran for at least
// slowlog-log-slower-than microseconds (negative: log nothing, 0: log
// everything). An entry keeps at most 32 arguments (the 32nd then says how
// many more there were) and at most 128 bytes of each ("... (N more
// bytes)"), as Redis does. EXEC (skip_slowlog) is not logged; AUTH and
// HELLO credentials are logged as "(redacted)".

const (
	slowlogMaxArgc   = 32
	slowlogMaxString = 128
)

type slowEntry struct {
	id     int64
	at     int64 // unix seconds
	micros int64
	args   [][]byte
	addr   string
	name   string
}

func slowlogCommand() *Command {
	const g = "server"
	f := FlagAdmin | FlagLoading | FlagStale
	return &Command{Name: "slowlog", Arity: -2, Group: g, Summary: "A container for slow log commands.", Subs: map[string]*Command{
		"get":   {Arity: -2, Flags: f, Group: g, Summary: "Returns the slow log's entries.", Run: cmdSlowlogGet},
		"len":   {Arity: 2, Flags: f, Group: g, Summary: "Returns the number of entries in the slow log.", Run: cmdSlowlogLen},
		"reset": {Arity: 2, Flags: f, Group: g, Summary: "Clears all entries from the slow log.", Run: cmdSlowlogReset},
		"help":  {Arity: 2, Flags: FlagLoading | FlagStale, Group: g, Summary: "Show helpful text about the different subcommands", Run: cmdSlowlogHelp},
	}}
}

// loadSlowlogConfig caches the two slowlog directives for the hot path.
func (st *introState) loadSlowlogConfig() {
	st.slowThreshold.Store(st.s.cfg.Int("slowlog-log-slower-than"))
	st.slowMaxLen.Store(st.s.cfg.Int("slowlog-max-len"))
}

// slowlogPush records one command that was slow enough.
func (st *introState) slowlogPush(c *Client, args [][]byte, d time.Duration) {
	if len(args) == 0 {
		return
	}
	if cmd := st.s.table.Lookup(args[0]); cmd != nil && cmd.Flags&FlagSkipSlowlog != 0 ||
		strings.EqualFold(string(args[0]), "exec") {
		return
	}
	max := st.slowMaxLen.Load()
	e := slowEntry{at: time.Now().Unix(), micros: d.Microseconds(), args: slowlogArgs(args)}
	if c != nil {
		e.addr, e.name = c.addr, c.Name()
	}
	st.slowMu.Lock()
	e.id = st.slowNextID
	st.slowNextID++
	// Newest first; then trim to slowlog-max-len (0 keeps nothing).
	st.slow = append(st.slow, slowEntry{})
	copy(st.slow[1:], st.slow)
	st.slow[0] = e
	if int64(len(st.slow)) > max {
		clear(st.slow[max:])
		st.slow = st.slow[:max]
	}
	st.slowMu.Unlock()
}

// slowlogArgs copies args with Redis's limits and redactions.
func slowlogArgs(args [][]byte) [][]byte {
	n := len(args)
	if n > slowlogMaxArgc {
		n = slowlogMaxArgc
	}
	redact := redactedArgs(args)
	out := make([][]byte, n)
	for i := 0; i < n; i++ {
		a := args[i]
		switch {
		case n != len(args) && i == n-1:
			out[i] = []byte("... (" + strconv.Itoa(len(args)-n+1) + " more arguments)")
		case redact != nil && redact[i]:
			out[i] = []byte("(redacted)")
		case len(a) > slowlogMaxString:
			b := append([]byte(nil), a[:slowlogMaxString]...)
			out[i] = append(b, "... ("+strconv.Itoa(len(a)-slowlogMaxString)+" more bytes)"...)
		default:
			out[i] = append([]byte(nil), a...)
		}
	}
	return out
}

// cmdSlowlogGet replies the newest count entries (default 10, -1 = all).
func cmdSlowlogGet(c *Ctx, args [][]byte) error {
	if len(args) > 3 {
		return errSubcommandSyntax(args[1], "slowlog")
	}
	count := int64(10)
	if len(args) == 3 {
		n, ok := datatypes.ParseInt(args[2])
		if !ok || n < -1 {
			return ErrSlowlogCount
		}
		count = n
	}
	st := c.S.intro()
	st.slowMu.Lock()
	entries := st.slow
	if count >= 0 && int64(len(entries)) > count {
		entries = entries[:count]
	}
	entries = append([]slowEntry(nil), entries...)
	st.slowMu.Unlock()
	w := c.W
	w.Array(len(entries))
	for _, e := range entries {
		w.Array(6)
		w.Int(e.id)
		w.Int(e.at)
		w.Int(e.micros)
		w.Array(len(e.args))
		for _, a := range e.args {
			w.Bulk(a)
		}
		w.BulkString(e.addr)
		w.BulkString(e.name)
	}
	return nil
}

func cmdSlowlogLen(c *Ctx, args [][]byte) error {
	st := c.S.intro()
	st.slowMu.Lock()
	n := len(st.slow)
	st.slowMu.Unlock()
	c.W.Int(int64(n))
	return nil
}

func cmdSlowlogReset(c *Ctx, args [][]byte) error {
	st := c.S.intro()
	st.slowMu.Lock()
	st.slow = nil
	st.slowMu.Unlock()
	c.W.OK()
	return nil
}

func cmdSlowlogHelp(c *Ctx, args [][]byte) error {
	writeHelp(c.W, "SLOWLOG", []string{
		"GET [<count>]",
		"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
		"    Entries are made of:",
		"    id, timestamp, time in microseconds, arguments array, client IP and port,",
		"    client name",
		"LEN",
		"    Return the length of the slowlog.",
		"RESET",
		"    Reset the slowlog.",
	})
	return nil
}

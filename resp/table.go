package resp

import (
	"strings"
	"sync/atomic"
)

// Flag describes a command the way Redis's command table does; the gates in
// dispatch (auth, MULTI queueing, OOM, pub/sub context, transaction kind)
// read them.
type Flag uint32

// Command flags. Write commands run in the committer's write transaction,
// read-only ones in a read transaction, the rest without one.
const (
	FlagWrite        Flag = 1 << iota // modifies data: runs in a write transaction
	FlagReadonly                      // reads data: runs in a read transaction
	FlagDenyOOM                       // refused when over maxmemory
	FlagAdmin                         // administrative
	FlagPubSub                        // pub/sub related
	FlagNoScript                      // not allowed from Lua
	FlagBlocking                      // may block the client
	FlagLoading                       // allowed while loading
	FlagStale                         // allowed on a stale replica
	FlagFast                          // O(1) or O(log N)
	FlagNoAuth                        // allowed before authentication
	FlagNoMulti                       // executed at once inside MULTI, not queued (EXEC, WATCH, QUIT…)
	FlagSubscribed                    // allowed in RESP2 subscribed mode
	FlagAllowBusy                     // allowed while a script runs too long
	FlagMayReplicate                  // may write (scripts)
	FlagSkipMonitor                   // not shown by MONITOR
	FlagSkipSlowlog                   // not logged in SLOWLOG
	FlagDenyInMulti                   // refused inside MULTI (Redis's no_multi: SAVE, SHUTDOWN)
	// FlagOwnTx: the handler opens its own transactions (bounded batches,
	// or waits between them), so the dispatcher gives it none. Internal:
	// COMMAND INFO does not list it.
	FlagOwnTx
	FlagNoMandatoryKeys // may run without keys (scripts, functions: keyspecs.go)
	FlagMovableKeys     // key positions depend on the arguments (set from Keys)
	FlagNoAsyncLoading  // not while loading asynchronously (shown as Redis does; we never load so)
)

var flagNames = []struct {
	f    Flag
	name string
}{
	// Redis 7.0's order; may_replicate is internal there too.
	{FlagWrite, "write"}, {FlagReadonly, "readonly"}, {FlagDenyOOM, "denyoom"},
	{FlagAdmin, "admin"}, {FlagPubSub, "pubsub"}, {FlagNoScript, "noscript"},
	{FlagBlocking, "blocking"}, {FlagLoading, "loading"}, {FlagStale, "stale"},
	{FlagSkipMonitor, "skip_monitor"}, {FlagSkipSlowlog, "skip_slowlog"},
	{FlagFast, "fast"}, {FlagNoAuth, "no_auth"}, {FlagNoMandatoryKeys, "no_mandatory_keys"},
	{FlagNoAsyncLoading, "no_async_loading"}, {FlagDenyInMulti, "no_multi"}, {FlagMovableKeys, "movablekeys"}, {FlagAllowBusy, "allow_busy"},
}

// Names returns the flags as COMMAND INFO lists them.
func (f Flag) Names() []string {
	var out []string
	for _, n := range flagNames {
		if f&n.f != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// Handler runs one command. args[0] is the command name as sent. It either
// writes its reply with c.W and returns nil, or returns an error whose text
// (see errors.go) becomes the reply.
type Handler func(c *Ctx, args [][]byte) error

// Command is one line of the command table.
type Command struct {
	Name     string // lower case; "container|sub" for subcommands
	Arity    int    // Redis rule: > 0 exact, < 0 at least -Arity
	Flags    Flag
	FirstKey int // position of the first key (0 = no keys)
	LastKey  int // position of the last key (negative counts from the end)
	Step     int
	Group    string // redis.io group, for COMMAND DOCS
	Summary  string // one line, for COMMAND DOCS
	Run      Handler
	// Subs holds subcommands of a container command (CONFIG, CLIENT…),
	// keyed by lower-case name. A container's Run, if set, handles HELP.
	Subs map[string]*Command
	// Keys finds the keys of commands whose key positions depend on their
	// arguments (keyspecs.go); nil for the others.
	Keys keyFinder

	stats CommandStats
}

// CommandStats feed INFO commandstats.
type CommandStats struct {
	Calls    atomic.Int64
	Usec     atomic.Int64
	Failed   atomic.Int64
	Rejected atomic.Int64
}

// arityOK applies Redis's arity rule to an argument count (name included).
func (cmd *Command) arityOK(n int) bool {
	if cmd.Arity > 0 {
		return n == cmd.Arity
	}
	return n >= -cmd.Arity
}

// KeyPositions returns the indexes of the key arguments of args.
func (cmd *Command) KeyPositions(args [][]byte) []int {
	if cmd.Keys != nil {
		return cmd.Keys(args)
	}
	if cmd.FirstKey <= 0 || cmd.FirstKey >= len(args) {
		return nil
	}
	last := cmd.LastKey
	if last < 0 {
		last = len(args) + last
	}
	if last >= len(args) {
		last = len(args) - 1
	}
	step := cmd.Step
	if step <= 0 {
		step = 1
	}
	var pos []int
	for i := cmd.FirstKey; i <= last; i += step {
		pos = append(pos, i)
	}
	return pos
}

// Table is the set of commands the server knows.
type Table struct {
	cmds map[string]*Command
}

// newTable builds the table from each group's list. Groups live in their
// cmd_*.go files; this is the one place that assembles them.
func newTable() *Table {
	t := &Table{cmds: make(map[string]*Command, 256)}
	for _, group := range [][]*Command{
		connectionCommands(),
		serverCommands(),
		stringCommands(),
		bitCommands(),
		keyCommands(),
		listCommands(),
		hashCommands(),
		setCommands(),
		zsetCommands(),
		sortCommands(),
		txnCommands(),
		scriptCommands(),
		pubsubCommands(),
		cacheCommands(),
	} {
		for _, c := range group {
			t.add(c)
		}
	}
	return t
}

func (t *Table) add(c *Command) {
	if _, dup := t.cmds[c.Name]; dup {
		panic("duplicate command " + c.Name)
	}
	if c.Step == 0 && c.FirstKey > 0 {
		c.Step = 1
	}
	applyKeySpecs(c)
	for name, sub := range c.Subs {
		sub.Name = c.Name + "|" + name
		if sub.Step == 0 && sub.FirstKey > 0 {
			sub.Step = 1
		}
	}
	t.cmds[c.Name] = c
}

// Lookup finds a command by name, any case, without allocating for names
// already lower case.
func (t *Table) Lookup(name []byte) *Command {
	if c, ok := t.cmds[string(name)]; ok {
		return c
	}
	var buf [32]byte
	if len(name) > len(buf) {
		return nil
	}
	low := buf[:len(name)]
	for i, ch := range name {
		if ch >= 'A' && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		low[i] = ch
	}
	return t.cmds[string(low)]
}

// All returns every top-level command.
func (t *Table) All() []*Command {
	out := make([]*Command, 0, len(t.cmds))
	for _, c := range t.cmds {
		out = append(out, c)
	}
	return out
}

// Count is the number of top-level commands.
func (t *Table) Count() int { return len(t.cmds) }

// lowerName returns s lower-cased.
func lowerName(s []byte) string { return strings.ToLower(string(s)) }

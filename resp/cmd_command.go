package resp

import (
	"sort"
	"strings"

	"github.com/diskcached/diskcached/datatypes"
)

// COMMAND describes the command table in Redis 7.0's shapes. What the table
// does not record (ACL categories, key-spec flags, since/complexity) is
// derived: categories from the flags and the redis.io group as Redis's own
// implicit rules do, key specs from FirstKey/LastKey/Step.

func commandCommand() *Command {
	const g = "server"
	f := FlagLoading | FlagStale
	return &Command{Name: "command", Arity: -1, Flags: f, Group: g, Summary: "Returns detailed information about all commands.", Run: cmdCommandAll, Subs: map[string]*Command{
		"count":   {Arity: 2, Flags: f, Group: g, Summary: "Returns a count of commands.", Run: cmdCommandCount},
		"list":    {Arity: -2, Flags: f, Group: g, Summary: "Returns a list of command names.", Run: cmdCommandList},
		"info":    {Arity: -2, Flags: f, Group: g, Summary: "Returns information about one, multiple or all commands.", Run: cmdCommandInfo},
		"docs":    {Arity: -2, Flags: f, Group: g, Summary: "Returns documentary information about one, multiple or all commands.", Run: cmdCommandDocs},
		"getkeys": {Arity: -4, Flags: f, Group: g, Summary: "Extracts the key names from an arbitrary command.", Run: cmdCommandGetKeys},
		"getkeysandflags": {Arity: -4, Flags: f, Group: g, Summary: "Extracts the key names and access flags for an arbitrary command.",
			Run: cmdCommandGetKeys},
		"help": {Arity: 2, Flags: f, Group: g, Summary: "Returns helpful text about the different subcommands.", Run: cmdCommandHelp},
	}}
}

// sortedCommands returns the top-level commands by name.
func (t *Table) sortedCommands() []*Command {
	all := t.All()
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	return all
}

// sortedSubs returns a container's subcommands by name.
func sortedSubs(cmd *Command) []*Command {
	out := make([]*Command, 0, len(cmd.Subs))
	for _, s := range cmd.Subs {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// lookupFull resolves "name" or "container|sub" (any case).
func (t *Table) lookupFull(name string) *Command {
	base, sub, isSub := strings.Cut(name, "|")
	cmd := t.Lookup([]byte(base))
	if cmd == nil || !isSub {
		return cmd
	}
	if cmd.Subs == nil {
		return nil
	}
	return lookupSub(cmd, []byte(sub))
}

// The ACL categories, in the order Redis lists them.
var aclCategories = []string{"keyspace", "read", "write", "set", "sortedset", "list", "hash",
	"string", "bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
	"blocking", "dangerous", "connection", "transaction", "scripting"}

// groupCategory maps a redis.io group to its ACL category.
var groupCategory = map[string]string{
	"generic": "keyspace", "string": "string", "list": "list", "hash": "hash", "set": "set",
	"sorted-set": "sortedset", "sorted_set": "sortedset", "zset": "sortedset", "bitmap": "bitmap",
	"hyperloglog": "hyperloglog", "geo": "geo", "stream": "stream", "pubsub": "pubsub",
	"connection": "connection", "transactions": "transaction", "transaction": "transaction",
	"scripting": "scripting",
}

// categories returns cmd's ACL categories (without '@').
func (cmd *Command) categories() []string {
	has := map[string]bool{}
	if cmd.Subs == nil { // containers have no category of their own
		if g, ok := groupCategory[cmd.Group]; ok {
			has[g] = true
		}
	}
	if cmd.Flags&FlagWrite != 0 {
		has["write"] = true
	}
	if cmd.Flags&FlagReadonly != 0 && !has["scripting"] {
		has["read"] = true
	}
	if cmd.Flags&FlagAdmin != 0 {
		has["admin"], has["dangerous"] = true, true
	}
	if cmd.Flags&FlagPubSub != 0 {
		has["pubsub"] = true
	}
	if cmd.Flags&FlagFast != 0 {
		has["fast"] = true
	} else {
		has["slow"] = true
	}
	if cmd.Flags&FlagBlocking != 0 {
		has["blocking"] = true
	}
	var out []string
	for _, c := range aclCategories {
		if has[c] {
			out = append(out, c)
		}
	}
	return out
}

// keySpecFlags says how a command uses its keys, in COMMAND INFO's words.
func (cmd *Command) keySpecFlags() []string {
	switch cmd.Name {
	case "set":
		return []string{"RW", "access", "update", "variable_flags"}
	case "del", "unlink", "getdel":
		return []string{"RM", "delete"}
	case "mset", "msetnx", "setex", "psetex", "setnx":
		return []string{"OW", "update"}
	case "append", "rpush", "lpush", "sadd", "hset", "zadd":
		return []string{"RW", "insert"}
	}
	switch {
	case cmd.Flags&FlagWrite != 0:
		return []string{"RW", "access", "update"}
	case cmd.Flags&FlagReadonly != 0:
		return []string{"RO", "access"}
	}
	return []string{"RW"}
}

// writeCommandInfo writes one COMMAND INFO entry (10 fields).
func writeCommandInfo(w *Writer, cmd *Command) {
	w.Array(10)
	w.BulkString(cmd.Name)
	w.Int(int64(cmd.Arity))
	flags := cmd.Flags.Names()
	w.Set(len(flags))
	for _, f := range flags {
		w.Status(f)
	}
	w.Int(int64(cmd.FirstKey))
	w.Int(int64(cmd.LastKey))
	w.Int(int64(cmd.Step))
	cats := cmd.categories()
	w.Set(len(cats))
	for _, c := range cats {
		w.Status("@" + c)
	}
	w.Set(0) // tips
	if cmd.FirstKey > 0 {
		w.Set(1)
		writeKeySpec(w, cmd)
	} else {
		w.Set(0)
	}
	subs := sortedSubs(cmd)
	w.Set(len(subs))
	for _, s := range subs {
		writeCommandInfo(w, s)
	}
}

func writeKeySpec(w *Writer, cmd *Command) {
	last := cmd.LastKey
	if last >= 0 {
		last -= cmd.FirstKey
	}
	step := cmd.Step
	if step <= 0 {
		step = 1
	}
	flags := cmd.keySpecFlags()
	if cmd.Name == "set" {
		w.Map(4)
		w.BulkString("notes")
		w.BulkString("RW and ACCESS due to the optional `GET` argument")
	} else {
		w.Map(3)
	}
	w.BulkString("flags")
	w.Set(len(flags))
	for _, f := range flags {
		w.Status(f)
	}
	w.BulkString("begin_search")
	w.Map(2)
	w.BulkString("type")
	w.BulkString("index")
	w.BulkString("spec")
	w.Map(1)
	w.BulkString("index")
	w.Int(int64(cmd.FirstKey))
	w.BulkString("find_keys")
	w.Map(2)
	w.BulkString("type")
	w.BulkString("range")
	w.BulkString("spec")
	w.Map(3)
	w.BulkString("lastkey")
	w.Int(int64(last))
	w.BulkString("keystep")
	w.Int(int64(step))
	w.BulkString("limit")
	w.Int(0)
}

// cmdCommandAll is COMMAND without a subcommand: every command's info.
func cmdCommandAll(c *Ctx, args [][]byte) error {
	if len(args) > 1 {
		return errUnknownSubcommand(args[1], "command")
	}
	all := c.S.table.sortedCommands()
	c.W.Array(len(all))
	for _, cmd := range all {
		writeCommandInfo(c.W, cmd)
	}
	return nil
}

func cmdCommandCount(c *Ctx, args [][]byte) error {
	c.W.Int(int64(c.S.table.Count()))
	return nil
}

// cmdCommandInfo: no names = every command; an unknown name gives a null.
func cmdCommandInfo(c *Ctx, args [][]byte) error {
	if len(args) == 2 {
		return cmdCommandAll(c, args[:1])
	}
	c.W.Array(len(args) - 2)
	for _, a := range args[2:] {
		cmd := c.S.table.lookupFull(string(a))
		if cmd == nil {
			c.W.Null()
			continue
		}
		writeCommandInfo(c.W, cmd)
	}
	return nil
}

// cmdCommandDocs replies a map name → docs; unknown names are left out.
func cmdCommandDocs(c *Ctx, args [][]byte) error {
	var cmds []*Command
	if len(args) == 2 {
		cmds = c.S.table.sortedCommands()
	} else {
		for _, a := range args[2:] {
			if cmd := c.S.table.lookupFull(string(a)); cmd != nil {
				cmds = append(cmds, cmd)
			}
		}
	}
	c.W.Map(len(cmds))
	for _, cmd := range cmds {
		c.W.BulkString(cmd.Name)
		writeCommandDocs(c.W, cmd)
	}
	return nil
}

// writeCommandDocs writes summary, since, group, complexity and, for a
// container, its subcommands. The table does not record since/complexity:
// they are spelled as unknown.
func writeCommandDocs(w *Writer, cmd *Command) {
	n := 4
	if cmd.Subs != nil {
		n++
	}
	group := cmd.Group
	if group == "" {
		group = "server"
	}
	summary := cmd.Summary
	if summary == "" {
		summary = cmd.Name
	}
	complexity := "O(1)"
	if cmd.Subs != nil {
		complexity = "Depends on subcommand."
	}
	w.Map(n)
	w.BulkString("summary")
	w.BulkString(summary)
	w.BulkString("since")
	w.BulkString("1.0.0")
	w.BulkString("group")
	w.BulkString(group)
	w.BulkString("complexity")
	w.BulkString(complexity)
	if cmd.Subs != nil {
		subs := sortedSubs(cmd)
		w.BulkString("subcommands")
		w.Map(len(subs))
		for _, s := range subs {
			w.BulkString(s.Name)
			writeCommandDocs(w, s)
		}
	}
}

// cmdCommandList lists every command and subcommand name, optionally
// filtered by MODULE (none match), ACLCAT or PATTERN.
func cmdCommandList(c *Ctx, args [][]byte) error {
	var keep func(cmd *Command) bool
	switch {
	case len(args) == 2:
		keep = func(*Command) bool { return true }
	case len(args) == 5 && strings.EqualFold(string(args[2]), "filterby"):
		val := args[4]
		switch strings.ToLower(string(args[3])) {
		case "module":
			keep = func(*Command) bool { return false }
		case "aclcat":
			cat := strings.ToLower(string(val))
			keep = func(cmd *Command) bool {
				for _, c := range cmd.categories() {
					if c == cat {
						return true
					}
				}
				return false
			}
		case "pattern":
			keep = func(cmd *Command) bool { return datatypes.Match(val, []byte(cmd.Name)) }
		default:
			return ErrSyntax
		}
	default:
		return ErrSyntax
	}
	var names []string
	for _, cmd := range c.S.table.sortedCommands() {
		if keep(cmd) {
			names = append(names, cmd.Name)
		}
		for _, s := range sortedSubs(cmd) {
			if keep(s) {
				names = append(names, s.Name)
			}
		}
	}
	c.W.BulkStrings(names)
	return nil
}

// cmdCommandGetKeys serves GETKEYS and GETKEYSANDFLAGS: the keys of the
// command in args[2:], found from the table's key positions.
func cmdCommandGetKeys(c *Ctx, args [][]byte) error {
	withFlags := strings.EqualFold(string(args[1]), "getkeysandflags")
	target := args[2:]
	cmd := c.S.table.Lookup(target[0])
	if cmd != nil && cmd.Subs != nil && len(target) >= 2 {
		cmd = lookupSub(cmd, target[1])
	}
	switch {
	case cmd == nil:
		return ErrInvalidCommand
	case cmd.FirstKey <= 0 && cmd.Keys == nil:
		return ErrNoKeyArgs
	case !cmd.arityOK(len(target)):
		return ErrGetKeysArity
	}
	pos := cmd.KeyPositions(target)
	if len(pos) == 0 {
		if cmd.Flags&FlagNoMandatoryKeys != 0 {
			c.W.Array(0)
			return nil
		}
		return ErrGetKeysInvalid
	}
	c.W.Array(len(pos))
	flags := cmd.keySpecFlags()
	for _, p := range pos {
		if withFlags {
			c.W.Array(2)
			c.W.Bulk(target[p])
			c.W.Set(len(flags))
			for _, f := range flags {
				c.W.Status(f)
			}
			continue
		}
		c.W.Bulk(target[p])
	}
	return nil
}

func cmdCommandHelp(c *Ctx, args [][]byte) error {
	writeHelp(c.W, "COMMAND", []string{
		"(no subcommand)",
		"    Return details about all Redis commands.",
		"COUNT",
		"    Return the total number of commands in this Redis server.",
		"LIST",
		"    Return a list of all commands in this Redis server.",
		"INFO [<command-name> ...]",
		"    Return details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"DOCS [<command-name> ...]",
		"    Return documentation details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"GETKEYS <full-command>",
		"    Return the keys from a full Redis command.",
		"GETKEYSANDFLAGS <full-command>",
		"    Return the keys and the access flags from a full Redis command.",
	})
	return nil
}

package resp

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"github.com/diskcached/diskcached/datatypes"
	"github.com/diskcached/diskcached/engine"
)

// EVAL/EVALSHA/EVAL_RO/EVALSHA_RO and SCRIPT.
//
// A script runs atomically in ONE engine transaction: the committer's write
// transaction for EVAL/EVALSHA (other writers wait; after
// busy-reply-threshold ms other clients get BUSY), a read transaction for
// the _RO variants (write commands refused), or EXEC's transaction when
// queued in MULTI. SCRIPT KILL stops a script that has not written yet.

func scriptCommands() []*Command {
	const g = "scripting"
	ev := FlagNoScript | FlagSkipMonitor | FlagMayReplicate | FlagStale
	evro := FlagNoScript | FlagSkipMonitor | FlagReadonly | FlagStale
	return append(functionCommands(g), []*Command{
		{Name: "eval", Arity: -3, Flags: ev, FirstKey: 0, Group: g, Summary: "Executes a server-side Lua script.", Run: cmdEval},
		{Name: "evalsha", Arity: -3, Flags: ev, Group: g, Summary: "Executes a server-side Lua script by SHA1 digest.", Run: cmdEval},
		{Name: "eval_ro", Arity: -3, Flags: evro | FlagOwnTx, Group: g, Summary: "Executes a read-only server-side Lua script.", Run: cmdEval},
		{Name: "evalsha_ro", Arity: -3, Flags: evro | FlagOwnTx, Group: g, Summary: "Executes a read-only server-side Lua script by SHA1 digest.", Run: cmdEval},
		{Name: "script", Arity: -2, Group: g, Summary: "A container for Lua scripts management commands.", Run: cmdScriptHelp, Subs: map[string]*Command{
			"load":   {Arity: 3, Flags: FlagNoScript | FlagStale, Group: g, Summary: "Loads a server-side Lua script to the script cache.", Run: cmdScriptLoad},
			"exists": {Arity: -3, Flags: FlagNoScript, Group: g, Summary: "Determines whether server-side Lua scripts exist in the script cache.", Run: cmdScriptExists},
			"flush":  {Arity: -2, Flags: FlagNoScript, Group: g, Summary: "Removes all server-side Lua scripts from the script cache.", Run: cmdScriptFlush},
			"kill":   {Arity: 2, Flags: FlagNoScript | FlagAllowBusy, Group: g, Summary: "Terminates a server-side Lua script during execution.", Run: cmdScriptKill},
			"help":   {Arity: 2, Flags: FlagLoading | FlagStale, Group: g, Summary: "Returns helpful text about the different subcommands.", Run: cmdScriptHelp},
		}},
	}...)
}

// scriptCache holds compiled scripts by SHA1 and the scripts running now.
type scriptCache struct {
	mu      sync.RWMutex
	protos  map[string]*lua.FunctionProto
	flags   map[string]evalFlags // scripts with a "#!lua" shebang
	runMu   sync.Mutex
	running map[*scriptRun]struct{}
	nrun    atomic.Int32
	funcs   funcRegistry // FUNCTION libraries (cmd_function.go)
}

func newScriptCache() *scriptCache {
	sc := &scriptCache{protos: make(map[string]*lua.FunctionProto), flags: map[string]evalFlags{},
		running: make(map[*scriptRun]struct{})}
	sc.funcs.init()
	return sc
}

func (sc *scriptCache) get(sha string) *lua.FunctionProto {
	sc.mu.RLock()
	defer sc.mu.RUnlock()
	return sc.protos[sha]
}

// load compiles body (cached by its SHA1) and returns the SHA1.
func (sc *scriptCache) load(body string) (string, *lua.FunctionProto, error) {
	sha := sha1hex(body)
	if p := sc.get(sha); p != nil {
		return sha, p, nil
	}
	flags, skip, msg := evalShebang(body)
	if msg != "" {
		return "", nil, ReplyError("ERR " + msg)
	}
	body = body[skip:] // the shebang's newline stays: line numbers hold
	chunk, err := parse.Parse(strings.NewReader(body), "user_script")
	if err != nil {
		return "", nil, ReplyError("ERR Error compiling script (new function): " + compileMessage(err, body))
	}
	proto, err := lua.Compile(chunk, "user_script")
	if err != nil {
		return "", nil, ReplyError("ERR Error compiling script (new function): " + compileMessage(err, body))
	}
	sc.mu.Lock()
	sc.protos[sha] = proto
	if flags.shebang {
		sc.flags[sha] = flags
	}
	sc.mu.Unlock()
	return sha, proto, nil
}

// evalFlags are the flags of an EVAL script's "#!lua flags=…" line.
type evalFlags struct {
	shebang  bool // not in compatibility mode
	noWrites bool
}

// evalShebang parses an optional "#!lua [flags=a,b]" first line. It returns
// the flags, the length of the line (without its newline) and an error text.
func evalShebang(body string) (f evalFlags, skip int, msg string) {
	if !strings.HasPrefix(body, "#!") {
		return f, 0, ""
	}
	nl := strings.IndexByte(body, '\n')
	if nl < 0 {
		return f, 0, "Invalid script shebang"
	}
	parts, ok := splitArgs(body[:nl])
	if !ok || len(parts) == 0 {
		return f, 0, "Invalid engine in script shebang"
	}
	if parts[0] != "#!lua" {
		return f, 0, "Unexpected engine in script shebang: " + parts[0]
	}
	f.shebang = true
	for _, p := range parts[1:] {
		if !strings.HasPrefix(p, "flags=") {
			return f, 0, "Unknown lua shebang option: " + p
		}
		for _, fl := range strings.Split(p[6:], ",") {
			known := false
			for _, n := range scriptFlagNames {
				known = known || n == fl
			}
			if !known {
				return f, 0, "Unexpected flag in script shebang: " + fl
			}
			f.noWrites = f.noWrites || fl == "no-writes"
		}
	}
	return f, nl, ""
}

// compileMessage rewrites gopher-lua's parse error into Lua's
// "user_script:<line>: <message>" shape.
func compileMessage(err error, body string) string {
	msg := err.Error()
	if pe, ok := err.(*parse.Error); ok {
		line := pe.Pos.Line
		if line <= 0 { // at end of input
			line = strings.Count(body, "\n") + 1
			return fmt.Sprintf("user_script:%d: unexpected symbol near '<eof>'", line)
		}
		return fmt.Sprintf("user_script:%d: %s near '%s'", line, pe.Message, pe.Token)
	}
	return "user_script: " + strings.ReplaceAll(msg, "\n", " ")
}

func (sc *scriptCache) flush() {
	sc.mu.Lock()
	sc.protos = make(map[string]*lua.FunctionProto)
	sc.flags = map[string]evalFlags{}
	sc.mu.Unlock()
}

func (sc *scriptCache) begin(r *scriptRun) {
	sc.runMu.Lock()
	sc.running[r] = struct{}{}
	sc.nrun.Add(1)
	sc.runMu.Unlock()
}

func (sc *scriptCache) end(r *scriptRun) {
	sc.runMu.Lock()
	delete(sc.running, r)
	sc.nrun.Add(-1)
	sc.runMu.Unlock()
}

// busyScript returns a script that has run longer than
// busy-reply-threshold, other than one run by c, or nil.
func (s *Server) busyScript(c *Client) *scriptRun {
	sc := s.ext().scripts
	if sc.nrun.Load() == 0 {
		return nil
	}
	limit := time.Duration(s.cfg.Int("busy-reply-threshold")) * time.Millisecond
	sc.runMu.Lock()
	defer sc.runMu.Unlock()
	for r := range sc.running {
		if r.client != c && time.Since(r.start) >= limit {
			return r
		}
	}
	return nil
}

// BusyGate is the dispatch gate for scripts running too long: it returns
// the BUSY error for commands without FlagAllowBusy while another client's
// script is past busy-reply-threshold. EXEC inside MULTI is answered
// EXECABORT … BUSY … and the transaction discarded.
func (c *Client) BusyGate(cmd *Command) error {
	if cmd.Flags&FlagAllowBusy != 0 || c.srv.ext().scripts.nrun.Load() == 0 {
		return nil
	}
	if r := c.srv.busyScript(c); r != nil {
		busy := r.busyError()
		if cmd.Name == "exec" && c.inMulti() {
			// As in Redis, a rejected EXEC ends the transaction.
			c.endMulti()
			c.unwatchAll()
			return errExecAbortBecause(busy)
		}
		return busy
	}
	return nil
}

// busyError is the BUSY reply while r runs too long: it names the KILL
// command that can stop it.
func (r *scriptRun) busyError() ReplyError {
	if r.isFunc {
		return ErrBusyFunction
	}
	return ErrBusyScript
}

// cmdEval serves the four EVAL variants.
func cmdEval(c *Ctx, args [][]byte) error {
	name := lowerName(args[0])
	bySHA := strings.HasPrefix(name, "evalsha")
	readOnly := strings.HasSuffix(name, "_ro")
	numkeys, ok := datatypes.ParseInt(args[2])
	if !ok {
		return ErrNotInteger
	}
	if numkeys < 0 {
		return ErrNumKeysNegative
	}
	if numkeys > int64(len(args)-3) {
		return ErrNumKeysTooMany
	}
	sc := c.S.ext().scripts
	var sha string
	var proto *lua.FunctionProto
	if bySHA {
		sha = strings.ToLower(string(args[1]))
		if proto = sc.get(sha); proto == nil {
			return ErrNoScript
		}
	} else {
		var err error
		if sha, proto, err = sc.load(string(args[1])); err != nil {
			return err
		}
	}
	sc.mu.RLock()
	flags := sc.flags[sha]
	sc.mu.RUnlock()
	if readOnly && flags.shebang && !flags.noWrites {
		return errROWithWriteFlag
	}
	keys := args[3 : 3+numkeys]
	argv := args[3+numkeys:]
	return runScript(c, sha, proto, keys, argv, readOnly || flags.noWrites)
}

// runScript executes a compiled script in the right transaction.
func runScript(c *Ctx, sha string, proto *lua.FunctionProto, keys, argv [][]byte, readOnly bool) error {
	r := &scriptRun{srv: c.S, client: c.C, db: c.DB, readOnly: readOnly, resp: 2, sha: sha, start: time.Now()}
	return runInTx(c, r, func(vm *luaVM, ctx context.Context) {
		vm.execute(ctx, r, proto, keys, argv, c.W)
	})
}

// runInTx runs body with a pooled interpreter as script r: in c.Tx when
// set (MULTI/EXEC), else in a read transaction for read-only runs or in the
// committer's write transaction. r is registered as running meanwhile
// (BUSY, SCRIPT/FUNCTION KILL).
func runInTx(c *Ctx, r *scriptRun, body func(vm *luaVM, ctx context.Context)) error {
	readOnly := r.readOnly
	sc := c.S.ext().scripts
	vm := getVM()
	defer putVM(vm)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r.cancel = cancel
	sc.begin(r)
	defer sc.end(r)
	inTx := func(tx *engine.Tx) error {
		r.tx = tx
		body(vm, ctx)
		return nil
	}
	mark := c.W.Len()
	var err error
	switch {
	case c.Tx != nil:
		err = inTx(c.Tx)
	case readOnly:
		err = c.S.DB().View(inTx)
	default:
		err = c.S.DB().Update(inTx)
	}
	if err != nil {
		c.W.Truncate(mark)
		return err
	}
	return nil
}

func cmdScriptLoad(c *Ctx, args [][]byte) error {
	sha, _, err := c.S.ext().scripts.load(string(args[2]))
	if err != nil {
		return err
	}
	c.W.BulkString(sha)
	return nil
}

func cmdScriptExists(c *Ctx, args [][]byte) error {
	sc := c.S.ext().scripts
	c.W.Array(len(args) - 2)
	for _, a := range args[2:] {
		if sc.get(strings.ToLower(string(a))) != nil {
			c.W.Int(1)
		} else {
			c.W.Int(0)
		}
	}
	return nil
}

func cmdScriptFlush(c *Ctx, args [][]byte) error {
	if len(args) > 3 {
		return ErrScriptFlushOpt
	}
	if len(args) == 3 {
		if o := lowerName(args[2]); o != "sync" && o != "async" {
			return ErrScriptFlushOpt
		}
	}
	c.S.ext().scripts.flush()
	c.W.OK()
	return nil
}

// cmdScriptKill stops a running script that has not written anything.
func cmdScriptKill(c *Ctx, args [][]byte) error { return killScript(c, false) }

// killScript serves SCRIPT KILL (function false) and FUNCTION KILL: the
// oldest script of another client is stopped unless it has written; a
// script of the other kind answers BUSY naming the right KILL command.
func killScript(c *Ctx, function bool) error {
	sc := c.S.ext().scripts
	sc.runMu.Lock()
	defer sc.runMu.Unlock()
	var target *scriptRun
	for r := range sc.running {
		if r.client != c.C && (target == nil || r.start.Before(target.start)) {
			target = r
		}
	}
	if target == nil {
		return ErrNotBusy
	}
	if target.wrote.Load() {
		return ErrUnkillable
	}
	if target.isFunc != function {
		return target.busyError()
	}
	target.killed.Store(true)
	if target.cancel != nil {
		target.cancel()
	}
	c.W.OK()
	return nil
}

func cmdScriptHelp(c *Ctx, args [][]byte) error {
	writeHelp(c.W, "SCRIPT", []string{
		"DEBUG (YES|SYNC|NO)",
		"    Set the debug mode for subsequent scripts executed.",
		"EXISTS <sha1> [<sha1> ...]",
		"    Return information about the existence of the scripts in the script cache.",
		"FLUSH [ASYNC|SYNC]",
		"    Flush the Lua scripts cache. Very dangerous on replicas.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the scripts cache.",
		"    * SYNC: Synchronously flush the scripts cache.",
		"KILL",
		"    Kill the currently executing Lua script.",
		"LOAD <script>",
		"    Load a script into the scripts cache without executing it.",
	})
	return nil
}

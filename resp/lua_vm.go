package resp

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"math"
	"math/rand"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/diskcached/diskcached/engine"
)

// The Lua sandbox. gopher-lua is a pure-Go Lua 5.1 VM; compiled scripts
// (FunctionProto) are shared, interpreter states are pooled.
//
// A state's globals are reachable only through a read-only proxy: reading
// an unknown global raises "Script attempted to access nonexistent global
// variable", assigning any global raises "Attempt to modify a readonly
// table" (as Redis 7.0). Library tables are read-only proxies too. Only
// Redis's allow-listed builtins exist: no os, io, loadfile, dofile, print,
// require or package. A state whose proxies were tampered with (rawset)
// is dropped instead of returned to the pool.

// luaAllowed are the globals Redis 7.0 keeps (script_lua.c's allow lists).
var luaAllowed = map[string]bool{
	"string": true, "cjson": true, "bit": true, "cmsgpack": true, "math": true, "table": true,
	"struct": true, "redis": true, "xpcall": true, "tostring": true, "getfenv": true,
	"setmetatable": true, "next": true, "assert": true, "tonumber": true, "rawequal": true,
	"collectgarbage": true, "getmetatable": true, "rawset": true, "pcall": true, "coroutine": true,
	"type": true, "_G": true, "select": true, "unpack": true, "gcinfo": true, "pairs": true,
	"rawget": true, "loadstring": true, "ipairs": true, "_VERSION": true, "setfenv": true,
	"load": true, "error": true, "newproxy": true,
}

// luaVM is one pooled interpreter.
type luaVM struct {
	L       *lua.LState
	backing *lua.LTable // the real globals
	gproxy  *lua.LTable
	proxies []*lua.LTable
	mtGuard *lua.LTable // getmetatable of a protected table
	// Functions (cmd_function.go): while loadAPI is set (FUNCTION LOAD),
	// globals resolve in it only; funcs are the library functions loaded in
	// this state, current as of registry generation funcGen.
	loadAPI  *lua.LTable
	libAPI   *lua.LTable // the load-time globals, built once
	redisTbl *lua.LTable // the real redis table behind its proxy
	loading  *libLoad
	funcGen  uint64
	funcs    map[string]*lua.LFunction
	errh     *lua.LFunction
	run      *scriptRun
}

// scriptRun is one script execution.
type scriptRun struct {
	srv      *Server
	client   *Client
	tx       *engine.Tx
	db       int
	readOnly bool
	resp     int
	wrote    atomic.Bool
	sha      string   // the script's SHA1, or the function's name
	isFunc   bool     // FCALL: errors say @user_function, BUSY says FUNCTION KILL
	argv     [][]byte // FCALL's command line (FUNCTION STATS)
	start    time.Time
	killed   atomic.Bool
	cancel   context.CancelFunc
	scratch  Writer
}

var luaPool sync.Pool

func getVM() *luaVM {
	if v, ok := luaPool.Get().(*luaVM); ok {
		return v
	}
	return newVM()
}

// putVM returns vm to the pool unless a script managed to write into one of
// its read-only proxies.
func putVM(vm *luaVM) {
	vm.run = nil
	vm.L.SetTop(0)
	vm.backing.RawSetString("KEYS", lua.LNil)
	vm.backing.RawSetString("ARGV", lua.LNil)
	for _, p := range vm.proxies {
		if k, _ := p.Next(lua.LNil); k != lua.LNil {
			vm.L.Close()
			return
		}
	}
	luaPool.Put(vm)
}

func newVM() *luaVM {
	// The data stack grows on demand (unpack of a few thousand values, as
	// LUAI_MAXCSTACK 8000 allows in Redis's Lua).
	L := lua.NewState(lua.Options{SkipOpenLibs: true, CallStackSize: 256, MinimizeStackMemory: true,
		RegistrySize: 1024, RegistryMaxSize: 16 * 1024, RegistryGrowStep: 1024})
	for _, lib := range []struct {
		name string
		fn   lua.LGFunction
	}{
		{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath}, {lua.CoroutineLibName, lua.OpenCoroutine},
	} {
		L.Push(L.NewFunction(lib.fn))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	vm := &luaVM{L: L, backing: L.G.Global}
	vm.redisTbl = vm.redisLib()
	L.SetGlobal("redis", vm.redisTbl)
	openExtraLibs(L)
	vm.patchBuiltins()
	var drop []lua.LValue
	vm.backing.ForEach(func(k, _ lua.LValue) {
		if s, ok := k.(lua.LString); !ok || !luaAllowed[string(s)] {
			drop = append(drop, k)
		}
	})
	for _, k := range drop {
		vm.backing.RawSet(k, lua.LNil)
	}
	for _, name := range []string{"string", "table", "math", "coroutine", "redis", "cjson", "bit", "struct", "cmsgpack"} {
		if t, ok := vm.backing.RawGetString(name).(*lua.LTable); ok {
			p := vm.readonlyProxy(t, nil)
			vm.backing.RawSetString(name, p)
		}
	}
	vm.gproxy = vm.readonlyProxy(vm.backing, func(L *lua.LState) int {
		k := L.Get(2)
		globals := vm.backing
		if vm.loadAPI != nil {
			globals = vm.loadAPI
		}
		v := globals.RawGet(k)
		if v == lua.LNil {
			L.RaiseError("Script attempted to access nonexistent global variable '%s'", lua.LVAsString(k))
		}
		L.Push(v)
		return 1
	})
	vm.backing.RawSetString("_G", vm.gproxy)
	L.G.Global = vm.gproxy
	L.Env = vm.gproxy
	vm.errh = L.NewFunction(vm.errorHandler)
	return vm
}

// patchBuiltins adapts builtins to Redis's Lua: math.random/randomseed use
// the state's own generator (seedable, numeric strings accepted as Lua 5.1
// coerces them), setmetatable on a protected table
// fails with Redis's read-only error, and tostring formats numbers with 14
// significant digits as Lua 5.1 does.
func (vm *luaVM) patchBuiltins() {
	L := vm.L
	if m, ok := vm.backing.RawGetString("math").(*lua.LTable); ok {
		rng := rand.New(rand.NewSource(time.Now().UnixNano()))
		m.RawSetString("randomseed", L.NewFunction(func(L *lua.LState) int {
			rng.Seed(int64(luaCheckNumber(L, 1)))
			return 0
		}))
		m.RawSetString("random", L.NewFunction(func(L *lua.LState) int {
			r := rng.Float64()
			switch L.GetTop() {
			case 0:
				L.Push(lua.LNumber(r))
			case 1:
				hi := math.Floor(luaCheckNumber(L, 1))
				if hi < 1 {
					L.ArgError(1, "interval is empty")
				}
				L.Push(lua.LNumber(math.Floor(r*hi) + 1))
			case 2:
				lo, hi := math.Floor(luaCheckNumber(L, 1)), math.Floor(luaCheckNumber(L, 2))
				if lo > hi {
					L.ArgError(2, "interval is empty")
				}
				L.Push(lua.LNumber(math.Floor(r*(hi-lo+1)) + lo))
			default:
				L.RaiseError("wrong number of arguments")
			}
			return 1
		}))
	}
	setmt := vm.backing.RawGetString("setmetatable")
	vm.backing.RawSetString("setmetatable", L.NewFunction(func(L *lua.LState) int {
		if t, ok := L.Get(1).(*lua.LTable); ok && vm.isProxy(t) {
			L.Error(lua.LString(ErrLuaReadonlyG), 0)
		}
		return callThrough(L, setmt)
	}))
	tostr := vm.backing.RawGetString("tostring")
	vm.backing.RawSetString("tostring", L.NewFunction(func(L *lua.LState) int {
		if n, ok := L.Get(1).(lua.LNumber); ok && L.GetTop() == 1 {
			L.Push(lua.LString(luaNumberString(float64(n)))) // "%.14g" as Lua 5.1
			return 1
		}
		return callThrough(L, tostr)
	}))
}

// luaCheckNumber reads argument n as a number, accepting numeric strings
// as Lua 5.1's luaL_checknumber does.
func luaCheckNumber(L *lua.LState, n int) float64 {
	switch v := L.Get(n).(type) {
	case lua.LNumber:
		return float64(v)
	case lua.LString:
		if f, err := strconv.ParseFloat(strings.TrimSpace(string(v)), 64); err == nil {
			return f
		}
	}
	L.TypeError(n, lua.LTNumber)
	return 0
}

// callThrough calls fn with the current arguments and returns its results.
func callThrough(L *lua.LState, fn lua.LValue) int {
	n := L.GetTop()
	L.Push(fn)
	for i := 1; i <= n; i++ {
		L.Push(L.Get(i))
	}
	L.Call(n, lua.MultRet)
	return L.GetTop() - n
}

func (vm *luaVM) isProxy(t *lua.LTable) bool {
	for _, p := range vm.proxies {
		if p == t {
			return true
		}
	}
	return false
}

// readonlyProxy returns an empty table reading through to t and refusing
// writes; index, when set, replaces the plain read-through.
func (vm *luaVM) readonlyProxy(t *lua.LTable, index lua.LGFunction) *lua.LTable {
	L := vm.L
	p := L.NewTable()
	mt := L.NewTable()
	if index != nil {
		mt.RawSetString("__index", L.NewFunction(index))
	} else {
		mt.RawSetString("__index", t)
	}
	mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError(string(ErrLuaReadonlyG))
		return 0
	}))
	mt.RawSetString("__metatable", vm.metatableGuard())
	L.SetMetatable(p, mt)
	vm.proxies = append(vm.proxies, p)
	return p
}

// metatableGuard is what getmetatable returns for a protected table: an
// empty table that refuses writes (Redis hands out its read-only
// metatable, so changing it fails with the read-only error).
func (vm *luaVM) metatableGuard() *lua.LTable {
	if vm.mtGuard == nil {
		L := vm.L
		g := L.NewTable()
		mt := L.NewTable()
		mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
			L.RaiseError(string(ErrLuaReadonlyG))
			return 0
		}))
		mt.RawSetString("__metatable", lua.LFalse)
		L.SetMetatable(g, mt)
		vm.mtGuard = g
		vm.proxies = append(vm.proxies, g)
	}
	return vm.mtGuard
}

// errorHandler turns any error into Redis's error table: {err="CODE msg",
// line=N}; plain messages get the ERR code.
func (vm *luaVM) errorHandler(L *lua.LState) int {
	v := L.Get(1)
	t, ok := v.(*lua.LTable)
	if !ok {
		t = L.NewTable()
		msg := lua.LVAsString(v)
		if vm.run != nil && vm.run.killed.Load() {
			t.RawSetString("err", lua.LString(string(ErrLuaKilled)))
		} else {
			t.RawSetString("err", lua.LString("ERR "+msg))
		}
	}
	if t.RawGetString("line") == lua.LNil {
		if line := currentScriptLine(L); line > 0 {
			t.RawSetString("line", lua.LNumber(line))
		}
	}
	L.Push(t)
	return 1
}

// currentScriptLine finds the innermost script frame's line.
func currentScriptLine(L *lua.LState) int {
	for lvl := 0; lvl < 50; lvl++ {
		dbg, ok := L.GetStack(lvl)
		if !ok {
			return 0
		}
		if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil {
			continue
		}
		if (dbg.Source == "user_script" || dbg.Source == "user_function") && dbg.CurrentLine > 0 {
			return dbg.CurrentLine
		}
	}
	return 0
}

// redisLib builds the redis table.
func (vm *luaVM) redisLib() *lua.LTable {
	L := vm.L
	t := L.NewTable()
	set := func(name string, fn lua.LGFunction) { t.RawSetString(name, L.NewFunction(fn)) }
	set("call", func(L *lua.LState) int { return vm.redisCall(L, false) })
	set("pcall", func(L *lua.LState) int { return vm.redisCall(L, true) })
	set("error_reply", func(L *lua.LState) int {
		s, ok := L.Get(1).(lua.LString)
		if L.GetTop() != 1 || !ok {
			L.Push(luaErrorTable(L, "ERR wrong number or type of arguments"))
			return 1
		}
		L.Push(luaErrorTable(L, string(s)))
		return 1
	})
	set("status_reply", func(L *lua.LState) int {
		s, ok := L.Get(1).(lua.LString)
		if L.GetTop() != 1 || !ok {
			L.Push(luaErrorTable(L, "ERR wrong number or type of arguments"))
			return 1
		}
		r := L.NewTable()
		r.RawSetString("ok", s)
		L.Push(r)
		return 1
	})
	set("sha1hex", func(L *lua.LState) int {
		if L.GetTop() != 1 {
			L.RaiseError("wrong number of arguments")
		}
		L.Push(lua.LString(sha1hex(lua.LVAsString(L.Get(1)))))
		return 1
	})
	set("log", func(L *lua.LState) int {
		if L.GetTop() < 2 {
			L.RaiseError("redis.log() requires two arguments or more.")
		}
		lvl, ok := L.Get(1).(lua.LNumber)
		if !ok {
			L.RaiseError("First argument must be a number (log level).")
		}
		var parts []string
		for i := 2; i <= L.GetTop(); i++ {
			parts = append(parts, lua.LVAsString(L.Get(i)))
		}
		if vm.run != nil {
			log := vm.run.srv.log
			msg := strings.Join(parts, " ")
			switch int(lvl) {
			case 0:
				log.Debug().Str("script", vm.run.sha).Msg(msg)
			case 3:
				log.Warn().Str("script", vm.run.sha).Msg(msg)
			default:
				log.Info().Str("script", vm.run.sha).Msg(msg)
			}
		}
		return 0
	})
	set("setresp", func(L *lua.LState) int {
		n, ok := L.Get(1).(lua.LNumber)
		if L.GetTop() != 1 || !ok {
			L.RaiseError("redis.setresp() requires one argument.")
		}
		if n != 2 && n != 3 {
			L.Error(luaErrorTable(L, string(ErrLuaRespVersion)), 0)
		}
		if vm.run != nil {
			vm.run.resp = int(n)
		}
		return 0
	})
	set("set_repl", func(L *lua.LState) int {
		if L.GetTop() != 1 {
			L.RaiseError("redis.set_repl() requires one argument.")
		}
		return 0
	})
	set("replicate_commands", func(L *lua.LState) int { L.Push(lua.LTrue); return 1 })
	set("breakpoint", func(L *lua.LState) int { L.Push(lua.LFalse); return 1 })
	set("debug", func(L *lua.LState) int { return 0 })
	for name, v := range map[string]int{
		"LOG_DEBUG": 0, "LOG_VERBOSE": 1, "LOG_NOTICE": 2, "LOG_WARNING": 3,
		"REPL_NONE": 0, "REPL_AOF": 1, "REPL_SLAVE": 2, "REPL_REPLICA": 2, "REPL_ALL": 3,
	} {
		t.RawSetString(name, lua.LNumber(v))
	}
	t.RawSetString("REDIS_VERSION", lua.LString("7.0.15"))
	t.RawSetString("REDIS_VERSION_NUM", lua.LNumber(0x07000f))
	return t
}

// redisCall is redis.call (raise) and redis.pcall (return the error table).
func (vm *luaVM) redisCall(L *lua.LState, protected bool) int {
	r := vm.run
	reply, err := r.exec(L)
	if err != nil {
		t := luaErrorTable(L, replyText(err))
		if protected {
			L.Push(t)
			return 1
		}
		L.Error(t, 0)
	}
	v, _ := replyToLua(L, reply)
	if !protected && len(reply) > 0 && reply[0] == '-' {
		L.Error(v, 0)
	}
	L.Push(v)
	return 1
}

// exec runs the command in the Lua stack's arguments and returns its
// encoded reply (in the script's protocol). Refusals before running are
// returned as errors.
func (r *scriptRun) exec(L *lua.LState) ([]byte, error) {
	n := L.GetTop()
	if n == 0 {
		return nil, ErrLuaNoArgs
	}
	args := make([][]byte, n)
	for i := range args {
		a, ok := luaArg(L.Get(i + 1))
		if !ok {
			return nil, ErrLuaArgType
		}
		args[i] = a
	}
	cmd := r.srv.table.Lookup(args[0])
	if cmd == nil {
		return nil, ErrLuaUnknownCmd
	}
	if cmd.Subs != nil && len(args) >= 2 {
		sub := lookupSub(cmd, args[1])
		if sub == nil {
			return nil, ErrLuaUnknownCmd
		}
		cmd = sub
	}
	if !cmd.arityOK(len(args)) {
		return nil, ErrLuaArity
	}
	if cmd.Flags&FlagNoScript != 0 {
		return nil, ErrLuaNotAllowed
	}
	if cmd.Flags&FlagWrite != 0 {
		if r.readOnly {
			return nil, ErrLuaWriteInRO
		}
		if cmd.Flags&FlagDenyOOM != 0 && !r.wrote.Load() && (r.srv.overLimit() || r.srv.dbOverLimit(r.db)) {
			return nil, ErrLuaOOM
		}
		r.wrote.Store(true)
	}
	r.srv.feedMonitorScript(r.db, args)
	r.scratch.Reset()
	r.scratch.proto = r.resp
	ctx := &Ctx{S: r.srv, C: r.client, W: &r.scratch, Tx: r.tx, DB: r.db}
	savedDB := r.client.db
	r.client.db = r.db
	err := r.srv.Call(ctx, cmd, args)
	r.db, r.client.db = r.client.db, savedDB
	cmd.stats.Calls.Add(1)
	if err != nil {
		r.scratch.Reset()
		r.scratch.Error(replyText(err))
		cmd.stats.Failed.Add(1)
	}
	return r.scratch.Bytes(), nil
}

// execute runs proto with keys and argv inside r's transaction and writes
// the script's reply (or error) to w.
func (vm *luaVM) execute(ctx context.Context, r *scriptRun, proto *lua.FunctionProto, keys, argv [][]byte, w *Writer) {
	L := vm.L
	vm.run = r
	vm.backing.RawSetString("KEYS", luaStrings(L, keys))
	vm.backing.RawSetString("ARGV", luaStrings(L, argv))
	L.SetContext(ctx)
	defer L.RemoveContext()
	vm.call(r, L.NewFunctionFromProto(proto), nil, w)
}

// call runs fn(args...) as script r and writes its reply or error to w.
func (vm *luaVM) call(r *scriptRun, fn *lua.LFunction, args []lua.LValue, w *Writer) {
	L := vm.L
	L.Push(fn)
	for _, a := range args {
		L.Push(a)
	}
	err := L.PCall(len(args), 1, vm.errh)
	if err != nil {
		var obj lua.LValue = lua.LString(err.Error())
		if ae, ok := err.(*lua.ApiError); ok {
			obj = ae.Object
		}
		writeScriptError(w, obj, r)
		return
	}
	ret := L.Get(-1)
	L.Pop(1)
	luaToReply(w, ret, r.resp, 0)
}

// writeScriptError formats a failed script's error as Redis 7.0:
// "<CODE msg> script: <sha>, on @user_script:<line>.".
func writeScriptError(w *Writer, obj lua.LValue, r *scriptRun) {
	msg, line := "", 0
	if t, ok := obj.(*lua.LTable); ok {
		msg = lua.LVAsString(t.RawGetString("err"))
		if n, ok := t.RawGetString("line").(lua.LNumber); ok {
			line = int(n)
		}
	} else {
		msg = "ERR " + lua.LVAsString(obj)
	}
	if r.killed.Load() {
		msg = string(ErrLuaKilled)
	}
	if msg == "" {
		msg = "ERR unknown error"
	}
	if line > 0 {
		src := "@user_script:"
		if r.isFunc {
			src = "@user_function:"
		}
		msg += " script: " + r.sha + ", on " + src + strconv.Itoa(line) + "."
	}
	w.Error(msg)
}

func luaStrings(L *lua.LState, items [][]byte) *lua.LTable {
	t := L.CreateTable(len(items), 0)
	for i, it := range items {
		t.RawSetInt(i+1, lua.LString(it))
	}
	return t
}

func sha1hex(s string) string {
	h := sha1.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

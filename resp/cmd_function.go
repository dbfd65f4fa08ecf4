package resp

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"github.com/diskcached/diskcached/datatypes"
)

// FUNCTION LOAD|DELETE|FLUSH|LIST|DUMP|RESTORE|STATS|KILL|HELP and
// FCALL/FCALL_RO: Redis 7.0 functions with the Lua engine.
//
// A library is Lua code after a "#!lua name=<lib>" line. Loading runs the
// code once with only the `redis` table visible (register_function, log,
// version fields); every redis.register_function call adds a function to
// the library. Library names are unique (case-sensitive), function names
// unique server-wide (case-insensitive, FCALL finds "TEST" as "test").
// Libraries live in memory only (not in the data files), like a Redis
// server without RDB/AOF.
//
// Interpreters are pooled (lua_vm.go): the registry has a generation
// number, and an interpreter whose functions are older reloads every
// library before running FCALL, so FCALLs never share a state and never
// wait for each other. A function runs like EVAL (one engine transaction;
// read-only with FCALL_RO or the no-writes flag) and gets KEYS and ARGV as
// its two arguments.

// scriptFlagNames are the function flags in Redis's order.
var scriptFlagNames = []string{"no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"}

// funcInfo describes one registered function.
type funcInfo struct {
	name    string
	desc    string
	hasDesc bool
	flags   []string // a subset of scriptFlagNames, in that order
	lib     *funcLib
}

func (f *funcInfo) noWrites() bool { return len(f.flags) > 0 && f.flags[0] == "no-writes" }

// funcLib is one loaded library.
type funcLib struct {
	name  string
	code  string // the whole payload, shebang included (FUNCTION LIST WITHCODE, DUMP)
	proto *lua.FunctionProto
	funcs []*funcInfo // in registration order
}

// funcRegistry holds the libraries. gen changes with every change.
type funcRegistry struct {
	mu    sync.RWMutex
	gen   uint64
	libs  map[string]*funcLib  // by name
	funcs map[string]*funcInfo // by lower-case name
}

func (fr *funcRegistry) init() {
	fr.libs = map[string]*funcLib{}
	fr.funcs = map[string]*funcInfo{}
	fr.gen = 1
}

// libLoad collects the registrations of a library being loaded.
type libLoad struct {
	lib   *funcLib
	fns   map[string]*lua.LFunction // by lower-case name
	check bool                      // validate (FUNCTION LOAD), else trust
}

func functionCommands(g string) []*Command {
	const ns = FlagNoScript
	return []*Command{
		{Name: "fcall", Arity: -3, Flags: FlagNoScript | FlagSkipMonitor | FlagMayReplicate | FlagStale, Group: g, Summary: "Invokes a function.", Run: cmdFCall},
		{Name: "fcall_ro", Arity: -3, Flags: FlagReadonly | FlagOwnTx | FlagNoScript | FlagSkipMonitor | FlagStale, Group: g, Summary: "Invokes a read-only function.", Run: cmdFCall},
		{Name: "function", Arity: -2, Group: g, Summary: "A container for function commands.", Run: cmdFunctionHelp, Subs: map[string]*Command{
			"load":    {Arity: -3, Flags: FlagWrite | FlagDenyOOM | ns, Group: g, Summary: "Creates a library.", Run: cmdFunctionLoad},
			"delete":  {Arity: 3, Flags: FlagWrite | ns, Group: g, Summary: "Deletes a library and its functions.", Run: cmdFunctionDelete},
			"flush":   {Arity: -2, Flags: FlagWrite | ns, Group: g, Summary: "Deletes all libraries and functions.", Run: cmdFunctionFlush},
			"list":    {Arity: -2, Flags: ns, Group: g, Summary: "Returns information about all libraries.", Run: cmdFunctionList},
			"dump":    {Arity: 2, Flags: ns, Group: g, Summary: "Dumps all libraries into a serialized binary payload.", Run: cmdFunctionDump},
			"restore": {Arity: -3, Flags: FlagWrite | FlagDenyOOM | ns, Group: g, Summary: "Restores all libraries from a payload.", Run: cmdFunctionRestore},
			"stats":   {Arity: 2, Flags: ns | FlagAllowBusy, Group: g, Summary: "Returns information about a function during execution.", Run: cmdFunctionStats},
			"kill":    {Arity: 2, Flags: ns | FlagAllowBusy, Group: g, Summary: "Terminates a function during execution.", Run: cmdFunctionKill},
			"help":    {Arity: 2, Flags: FlagLoading | FlagStale, Group: g, Summary: "Returns helpful text about the different subcommands.", Run: cmdFunctionHelp},
		}},
	}
}

// validName reports whether s is a valid library or function name.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '_') {
			return false
		}
	}
	return true
}

const errNameFormat = "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"

// parseLibrary reads the shebang and compiles the code (errors without the
// ERR prefix, as FUNCTION LOAD words them).
func parseLibrary(code string) (*funcLib, string) {
	if !strings.HasPrefix(code, "#!") {
		return nil, "Missing library metadata"
	}
	nl := strings.IndexByte(code, '\n')
	if nl < 0 {
		return nil, "Invalid library metadata"
	}
	parts, ok := splitArgs(code[:nl])
	if !ok || len(parts) == 0 {
		return nil, "Invalid library metadata"
	}
	engine := parts[0][2:]
	name, named := "", false
	for _, p := range parts[1:] {
		if len(p) >= 5 && strings.EqualFold(p[:5], "name=") {
			if named {
				return nil, "Invalid metadata value, name argument was given multiple times"
			}
			name, named = p[5:], true
			continue
		}
		return nil, "Invalid metadata value given: " + p
	}
	if !named {
		return nil, "Library name was not given"
	}
	if !validName(name) {
		return nil, errNameFormat
	}
	if !strings.EqualFold(engine, "lua") {
		return nil, "Engine '" + engine + "' not found"
	}
	body := code[nl:] // keeps the newline so line numbers count the shebang
	chunk, err := parse.Parse(strings.NewReader(body), "user_function")
	if err != nil {
		return nil, "Error compiling function: " + strings.Replace(compileMessage(err, body), "user_script", "user_function", 1)
	}
	proto, err := lua.Compile(chunk, "user_function")
	if err != nil {
		return nil, "Error compiling function: " + err.Error()
	}
	return &funcLib{name: name, code: code, proto: proto}, ""
}

// splitArgs splits a shebang line on spaces, honouring double quotes.
func splitArgs(s string) ([]string, bool) {
	var out []string
	var cur strings.Builder
	in, quoted := false, false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quoted && ch == '"':
			quoted = false
		case quoted:
			cur.WriteByte(ch)
		case ch == '"':
			quoted, in = true, true
		case ch == ' ' || ch == '\t' || ch == '\r':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(ch)
			in = true
		}
	}
	if quoted {
		return nil, false
	}
	if in {
		out = append(out, cur.String())
	}
	return out, true
}

// loadLibrary runs lib's code in vm, registering its functions in ld.
// It returns the load error (without the ERR prefix) or "".
func (vm *luaVM) loadLibrary(ld *libLoad) string {
	L := vm.L
	vm.loadAPI, vm.loading = vm.libraryAPI(), ld
	defer func() { vm.loadAPI, vm.loading = nil, nil }()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	L.SetContext(ctx)
	defer L.RemoveContext()
	L.Push(L.NewFunctionFromProto(ld.lib.proto))
	if err := L.PCall(0, 0, vm.errh); err != nil {
		msg := err.Error()
		if ctx.Err() != nil {
			msg = "FUNCTION LOAD timeout"
		} else if ae, ok := err.(*lua.ApiError); ok {
			if t, ok := ae.Object.(*lua.LTable); ok {
				msg = lua.LVAsString(t.RawGetString("err"))
			}
		}
		L.SetTop(0)
		return "Error registering functions: " + msg
	}
	if len(ld.lib.funcs) == 0 && ld.check {
		return "No functions registered"
	}
	return ""
}

// libraryAPI is the global table a library sees while it loads: only
// `redis`, with register_function, log and the version fields.
func (vm *luaVM) libraryAPI() *lua.LTable {
	if vm.libAPI != nil {
		return vm.libAPI
	}
	L := vm.L
	redis := L.NewTable()
	for _, k := range []string{"log", "LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING", "REDIS_VERSION", "REDIS_VERSION_NUM"} {
		redis.RawSetString(k, vm.redisTbl.RawGetString(k))
	}
	redis.RawSetString("register_function", L.NewFunction(vm.registerFunction))
	vm.libAPI = L.NewTable()
	vm.libAPI.RawSetString("redis", vm.readonlyProxy(redis, func(L *lua.LState) int {
		v := redis.RawGet(L.Get(2))
		if v == lua.LNil {
			L.RaiseError("Script attempted to access nonexistent global variable '%s'", lua.LVAsString(L.Get(2)))
		}
		L.Push(v)
		return 1
	}))
	return vm.libAPI
}

// registerFunction is redis.register_function(name, fn) or
// redis.register_function{function_name=, callback=, flags=, description=}.
func (vm *luaVM) registerFunction(L *lua.LState) int {
	ld := vm.loading
	fail := func(msg string) int {
		L.Error(luaErrorTable(L, "ERR "+msg), 0)
		return 0
	}
	if ld == nil {
		return fail("redis.register_function can only be called on FUNCTION LOAD command")
	}
	f := &funcInfo{lib: ld.lib}
	var cb *lua.LFunction
	switch L.GetTop() {
	case 1:
		t, ok := L.Get(1).(*lua.LTable)
		if !ok {
			return fail("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
		}
		var msg string
		t.ForEach(func(k, v lua.LValue) {
			if msg != "" {
				return
			}
			ks, ok := k.(lua.LString)
			if !ok {
				msg = "named argument key given to redis.register_function is not a string"
				return
			}
			switch strings.ToLower(string(ks)) {
			case "function_name":
				s, ok := luaStringArg(v)
				if !ok {
					msg = "function_name argument given to redis.register_function must be a string"
				}
				f.name = s
			case "description":
				s, ok := luaStringArg(v)
				if !ok {
					msg = "description argument given to redis.register_function must be a string"
				}
				f.desc, f.hasDesc = s, true
			case "callback":
				if cb, ok = v.(*lua.LFunction); !ok {
					msg = "callback argument given to redis.register_function must be a function"
				}
			case "flags":
				ft, ok := v.(*lua.LTable)
				if !ok {
					msg = "flags argument to redis.register_function must be a table representing function flags"
					return
				}
				if f.flags, ok = readScriptFlags(ft); !ok {
					msg = "unknown flag given"
				}
			default:
				msg = "unknown argument given to redis.register_function"
			}
		})
		switch {
		case msg != "":
			return fail(msg)
		case f.name == "":
			return fail("redis.register_function must get a function name argument")
		case cb == nil:
			return fail("redis.register_function must get a callback argument")
		}
	case 2:
		s, ok := luaStringArg(L.Get(1))
		if !ok {
			return fail("first argument to redis.register_function must be a string")
		}
		if cb, ok = L.Get(2).(*lua.LFunction); !ok {
			return fail("second argument to redis.register_function must be a function")
		}
		f.name = s
	default:
		return fail("wrong number of arguments to redis.register_function")
	}
	if !validName(f.name) {
		return fail(errNameFormat)
	}
	for _, other := range ld.lib.funcs {
		if other.name == f.name {
			return fail("Function already exists in the library")
		}
	}
	ld.fns[strings.ToLower(f.name)] = cb
	ld.lib.funcs = append(ld.lib.funcs, f)
	return 0
}

func luaStringArg(v lua.LValue) (string, bool) {
	switch v := v.(type) {
	case lua.LString:
		return string(v), true
	case lua.LNumber:
		return luaNumberString(float64(v)), true
	}
	return "", false
}

// readScriptFlags reads a Lua array of flag names.
func readScriptFlags(t *lua.LTable) ([]string, bool) {
	var set [5]bool
	for i := 1; ; i++ {
		v := t.RawGetInt(i)
		if v == lua.LNil {
			break
		}
		s, ok := luaStringArg(v)
		if !ok {
			return nil, false
		}
		found := false
		for j, n := range scriptFlagNames {
			if strings.EqualFold(n, s) {
				set[j], found = true, true
			}
		}
		if !found {
			return nil, false
		}
	}
	var out []string
	for j, on := range set {
		if on {
			out = append(out, scriptFlagNames[j])
		}
	}
	return out, true
}

// functions returns vm's library functions, reloading every library when
// the registry changed since vm last loaded them.
func (vm *luaVM) functions(fr *funcRegistry) map[string]*lua.LFunction {
	fr.mu.RLock()
	defer fr.mu.RUnlock()
	if vm.funcGen == fr.gen {
		return vm.funcs
	}
	vm.funcs = map[string]*lua.LFunction{}
	for _, lib := range fr.libs {
		ld := &libLoad{lib: &funcLib{name: lib.name, proto: lib.proto}, fns: vm.funcs}
		vm.loadLibrary(ld)
	}
	vm.funcGen = fr.gen
	return vm.funcs
}

// addLibrary validates code and adds its library (replacing one of the
// same name when replace is set). It returns the library name.
func (fr *funcRegistry) addLibrary(code string, replace bool) (string, error) {
	lib, msg := parseLibrary(code)
	if msg != "" {
		return "", ReplyError("ERR " + msg)
	}
	vm := getVM()
	ld := &libLoad{lib: lib, fns: map[string]*lua.LFunction{}, check: true}
	msg = vm.loadLibrary(ld)
	vm.funcGen = 0 // its function table no longer matches the registry
	putVM(vm)
	if msg != "" {
		return "", ReplyError("ERR " + msg)
	}
	fr.mu.Lock()
	defer fr.mu.Unlock()
	if err := fr.linkLocked([]*funcLib{lib}, replace, true); err != nil {
		return "", err
	}
	return lib.name, nil
}

// linkLocked adds libs atomically: all or none. An existing library of the
// same name (library names are case-sensitive) is an error unless replace;
// a function name (case-insensitive) used by another library is always an
// error. quoted picks FUNCTION LOAD's wording of the first error over
// FUNCTION RESTORE's.
func (fr *funcRegistry) linkLocked(libs []*funcLib, replace, quoted bool) error {
	drop := map[string]bool{}
	for _, lib := range libs {
		if _, ok := fr.libs[lib.name]; ok {
			if !replace {
				if quoted {
					return ReplyError("ERR Library '" + lib.name + "' already exists")
				}
				return ReplyError("ERR Library " + lib.name + " already exists")
			}
			drop[lib.name] = true
		}
	}
	for _, lib := range libs {
		for _, f := range lib.funcs {
			if old, ok := fr.funcs[strings.ToLower(f.name)]; ok && !drop[old.lib.name] {
				return ReplyError("ERR Function " + f.name + " already exists")
			}
		}
	}
	for k := range drop {
		fr.unlinkLocked(k)
	}
	for _, lib := range libs {
		fr.libs[lib.name] = lib
		for _, f := range lib.funcs {
			fr.funcs[strings.ToLower(f.name)] = f
		}
	}
	fr.gen++
	return nil
}

func (fr *funcRegistry) unlinkLocked(key string) {
	lib := fr.libs[key]
	for _, f := range lib.funcs {
		delete(fr.funcs, strings.ToLower(f.name))
	}
	delete(fr.libs, key)
	fr.gen++
}

// sortedLibs returns the libraries by name (a stable FUNCTION LIST/DUMP).
func (fr *funcRegistry) sortedLibs() []*funcLib {
	out := make([]*funcLib, 0, len(fr.libs))
	for _, l := range fr.libs {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// cmdFCall serves FCALL and FCALL_RO name numkeys key… arg….
func cmdFCall(c *Ctx, args [][]byte) error {
	ro := strings.HasSuffix(lowerName(args[0]), "_ro")
	fr := &c.S.ext().scripts.funcs
	fr.mu.RLock()
	f := fr.funcs[strings.ToLower(string(args[1]))]
	fr.mu.RUnlock()
	if f == nil {
		return ReplyError("ERR Function not found")
	}
	numkeys, ok := datatypes.ParseInt(args[2])
	switch {
	case !ok:
		return ReplyError("ERR Bad number of keys provided")
	case numkeys > int64(len(args)-3):
		return ErrNumKeysTooMany
	case numkeys < 0:
		return ErrNumKeysNegative
	}
	if ro && !f.noWrites() {
		return errROWithWriteFlag
	}
	keys, argv := args[3:3+numkeys], args[3+numkeys:]
	r := &scriptRun{srv: c.S, client: c.C, db: c.DB, readOnly: ro || f.noWrites(), resp: 2,
		sha: f.name, isFunc: true, start: time.Now()}
	for _, a := range args {
		r.argv = append(r.argv, append([]byte(nil), a...))
	}
	return runInTx(c, r, func(vm *luaVM, ctx context.Context) {
		fn := vm.functions(fr)[strings.ToLower(f.name)]
		if fn == nil { // deleted meanwhile
			c.W.Error("ERR Function not found")
			return
		}
		vm.run = r
		vm.L.SetContext(ctx)
		defer vm.L.RemoveContext()
		vm.call(r, fn, []lua.LValue{luaStrings(vm.L, keys), luaStrings(vm.L, argv)}, c.W)
	})
}

// cmdFunctionLoad implements FUNCTION LOAD [REPLACE] code.
func cmdFunctionLoad(c *Ctx, args [][]byte) error {
	replace := false
	i := 2
	for ; i < len(args)-1; i++ {
		if !strings.EqualFold(string(args[i]), "replace") {
			return ReplyError("ERR Unknown option given: " + string(args[i]))
		}
		replace = true
	}
	name, err := c.S.ext().scripts.funcs.addLibrary(string(args[i]), replace)
	if err != nil {
		return err
	}
	c.W.BulkString(name)
	return nil
}

// cmdFunctionDelete implements FUNCTION DELETE library.
func cmdFunctionDelete(c *Ctx, args [][]byte) error {
	fr := &c.S.ext().scripts.funcs
	fr.mu.Lock()
	defer fr.mu.Unlock()
	k := string(args[2])
	if fr.libs[k] == nil {
		return ReplyError("ERR Library not found")
	}
	fr.unlinkLocked(k)
	c.W.OK()
	return nil
}

// cmdFunctionFlush implements FUNCTION FLUSH [ASYNC|SYNC].
func cmdFunctionFlush(c *Ctx, args [][]byte) error {
	if len(args) > 3 {
		return errSubcommandSyntax(args[1], "FUNCTION")
	}
	if len(args) == 3 {
		if o := lowerName(args[2]); o != "sync" && o != "async" {
			return ReplyError("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
		}
	}
	fr := &c.S.ext().scripts.funcs
	fr.mu.Lock()
	fr.libs, fr.funcs = map[string]*funcLib{}, map[string]*funcInfo{}
	fr.gen++
	fr.mu.Unlock()
	c.W.OK()
	return nil
}

// cmdFunctionList implements FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE].
func cmdFunctionList(c *Ctx, args [][]byte) error {
	withCode := false
	var pattern []byte
	for i := 2; i < len(args); i++ {
		switch {
		case !withCode && strings.EqualFold(string(args[i]), "withcode"):
			withCode = true
		case pattern == nil && strings.EqualFold(string(args[i]), "libraryname"):
			if i >= len(args)-1 {
				return ReplyError("ERR library name argument was not given")
			}
			i++
			pattern = args[i]
		default:
			return ReplyError("ERR Unknown argument " + string(args[i]))
		}
	}
	fr := &c.S.ext().scripts.funcs
	fr.mu.RLock()
	defer fr.mu.RUnlock()
	var libs []*funcLib
	for _, l := range fr.sortedLibs() {
		if pattern == nil || datatypes.MatchFold(pattern, []byte(l.name)) {
			libs = append(libs, l)
		}
	}
	w := c.W
	w.Array(len(libs))
	for _, l := range libs {
		if withCode {
			w.Map(4)
		} else {
			w.Map(3)
		}
		w.BulkString("library_name")
		w.BulkString(l.name)
		w.BulkString("engine")
		w.BulkString("LUA")
		w.BulkString("functions")
		w.Array(len(l.funcs))
		for _, f := range l.funcs {
			w.Map(3)
			w.BulkString("name")
			w.BulkString(f.name)
			w.BulkString("description")
			if f.hasDesc {
				w.BulkString(f.desc)
			} else {
				w.Null()
			}
			w.BulkString("flags")
			w.Set(len(f.flags))
			for _, fl := range f.flags {
				w.Status(fl)
			}
		}
		if withCode {
			w.BulkString("library_code")
			w.BulkString(l.code)
		}
	}
	return nil
}

// cmdFunctionStats implements FUNCTION STATS: the running function (or
// null) and per-engine counts. While an EVAL script is busy it answers
// BUSY, as Redis does.
func cmdFunctionStats(c *Ctx, args [][]byte) error {
	sc := c.S.ext().scripts
	var running *scriptRun
	sc.runMu.Lock()
	for r := range sc.running {
		if r.client != c.C && (running == nil || r.start.Before(running.start)) {
			running = r
		}
	}
	sc.runMu.Unlock()
	if running != nil && !running.isFunc && c.S.busyScript(c.C) != nil {
		return ErrBusyScript
	}
	fr := &sc.funcs
	fr.mu.RLock()
	nlib, nfn := len(fr.libs), len(fr.funcs)
	fr.mu.RUnlock()
	w := c.W
	w.Map(2)
	w.BulkString("running_script")
	if running == nil || !running.isFunc {
		w.Null()
	} else {
		w.Map(3)
		w.BulkString("name")
		w.BulkString(running.sha)
		w.BulkString("command")
		w.Array(len(running.argv))
		for _, a := range running.argv {
			w.Bulk(a)
		}
		w.BulkString("duration_ms")
		w.Int(time.Since(running.start).Milliseconds())
	}
	w.BulkString("engines")
	w.Map(1)
	w.BulkString("LUA")
	w.Map(2)
	w.BulkString("libraries_count")
	w.Int(int64(nlib))
	w.BulkString("functions_count")
	w.Int(int64(nfn))
	return nil
}

// cmdFunctionKill implements FUNCTION KILL.
func cmdFunctionKill(c *Ctx, args [][]byte) error { return killScript(c, true) }

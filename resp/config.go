package resp

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/diskcached/diskcached/engine"
)

// Config holds every directive. The startup file, command-line flags,
// CONFIG GET and CONFIG SET all go through the same directive table, so a
// name, its units and its error texts are defined once.
type Config struct {
	mu     sync.RWMutex
	values map[string]string // canonical name → current value (canonical spelling)
	file   string            // config file path, for CONFIG REWRITE
	dbs    dbDirectives      // db-maxmemory, db-maxmemory-policy (cmd_cache_config.go)

	onChange func(name string) // set by the server to apply runtime changes
}

// directive describes one config name.
type directive struct {
	name      string
	alias     []string
	def       string
	immutable bool
	// check validates a value and returns its canonical spelling, or the
	// reason (Redis's wording) it is rejected.
	check func(v string) (string, error)
}

type reason string

func (r reason) Error() string { return string(r) }

func boolDirective(name, def string) directive {
	return directive{name: name, def: def, check: func(v string) (string, error) {
		switch strings.ToLower(v) {
		case "yes":
			return "yes", nil
		case "no":
			return "no", nil
		}
		return "", reason("argument must be 'yes' or 'no'")
	}}
}

func intDirective(name, def string, min, max int64) directive {
	return directive{name: name, def: def, check: func(v string) (string, error) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return "", reason("argument couldn't be parsed into an integer")
		}
		if n < min || n > max {
			return "", reason(fmt.Sprintf("argument must be between %d and %d inclusive", min, max))
		}
		return strconv.FormatInt(n, 10), nil
	}}
}

func memoryDirective(name, def string, min int64) directive {
	return directive{name: name, def: def, check: func(v string) (string, error) {
		n, ok := ParseMemory(v)
		if !ok {
			return "", reason("argument must be a memory value")
		}
		if n < min {
			return "", reason(fmt.Sprintf("argument must be between %d and %d inclusive", min, int64(1<<63-1)))
		}
		return strconv.FormatInt(n, 10), nil
	}}
}

func enumDirective(name, def string, values ...string) directive {
	return directive{name: name, def: def, check: func(v string) (string, error) {
		lv := strings.ToLower(v)
		for _, ok := range values {
			if lv == ok {
				return ok, nil
			}
		}
		return "", reason("argument(s) must be one of the following: " + strings.Join(values, ", "))
	}}
}

func stringDirective(name, def string) directive {
	return directive{name: name, def: def, check: func(v string) (string, error) { return v, nil }}
}

func immutable(d directive) directive { d.immutable = true; return d }

// checkProcs validates procs: "auto" (cmd/diskcached tunes the processor
// count by measured throughput) or a fixed count from 1 to 1024.
func checkProcs(v string) (string, error) {
	if strings.EqualFold(v, "auto") {
		return "auto", nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 || n > 1024 {
		return "", reason("argument must be 'auto' or a number between 1 and 1024")
	}
	return strconv.FormatInt(n, 10), nil
}

// checkPageSize accepts the data file's page size: a power of two from
// 4kb to 64kb, as a number or a memory value. It applies when the file is
// created (or rewritten by a compaction); an existing file keeps its own.
func checkPageSize(v string) (string, error) {
	n, ok := ParseMemory(v)
	if !ok || n < 4096 || n > 65536 || n&(n-1) != 0 {
		return "", reason("argument must be a power of two between 4096 and 65536")
	}
	return strconv.FormatInt(n, 10), nil
}

// checkDaemonize accepts "no" only: diskcached runs in the foreground
// (under systemd, Docker or a shell), so a config file asking for a daemon
// stops startup instead of being silently ignored.
func checkDaemonize(v string) (string, error) {
	if strings.EqualFold(v, "no") {
		return "no", nil
	}
	if strings.EqualFold(v, "yes") {
		return "", reason("diskcached does not daemonize; run it in the foreground under a supervisor")
	}
	return "", reason("argument must be 'yes' or 'no'")
}

// checkMaxmemoryClients validates maxmemory-clients: a memory value or a
// percentage of maxmemory up to 100%.
func checkMaxmemoryClients(v string) (string, error) {
	if pct, ok := strings.CutSuffix(v, "%"); ok {
		n, err := strconv.ParseInt(pct, 10, 64)
		if err != nil || n < 0 {
			return "", reason("argument must be a memory or percent value")
		}
		if n > 100 {
			return "", reason("percentage argument must be less or equal to 100")
		}
		return strconv.FormatInt(n, 10) + "%", nil
	}
	n, ok := ParseMemory(v)
	if !ok {
		return "", reason("argument must be a memory or percent value")
	}
	return strconv.FormatInt(n, 10), nil
}

// directives is the table of every config name diskcached knows.
var directives = func() map[string]*directive {
	list := []directive{
		// port and bind are read when the server starts listening; Redis
		// rebinds on CONFIG SET, diskcached refuses the change rather than
		// report an address it does not listen on.
		immutable(intDirective("port", "6379", 0, 65535)),
		immutable(stringDirective("bind", "127.0.0.1")),
		boolDirective("protected-mode", "yes"),
		stringDirective("requirepass", ""),
		intDirective("timeout", "0", 0, 1<<31-1),
		intDirective("tcp-keepalive", "300", 0, 1<<31-1),
		immutable(intDirective("databases", "16", 1, 1024)),
		intDirective("maxclients", "10000", 1, 1<<31-1),
		immutable(stringDirective("dir", "./data")),
		enumDirective("appendfsync", "everysec", "always", "everysec", "no"),
		boolDirective("appendonly", "yes"),
		memoryDirective("maxmemory", "0", 0),
		enumDirective("maxmemory-policy", "noeviction", "noeviction", "allkeys-lru", "allkeys-lfu",
			"allkeys-lrs", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-lrs",
			"volatile-random", "volatile-ttl"),
		intDirective("maxmemory-samples", "5", 1, 64),
		intDirective("lfu-log-factor", "10", 0, 1<<31-1),
		intDirective("lfu-decay-time", "1", 0, 1<<31-1),
		enumDirective("loglevel", "notice", "debug", "verbose", "notice", "warning", "nothing"),
		immutable(stringDirective("logfile", "")),
		immutable(enumDirective("log-format", "console", "console", "json")),
		stringDirective("save", ""),
		memoryDirective("proto-max-bulk-len", "536870912", 1024*1024),
		memoryDirective("client-query-buffer-limit", "1073741824", 1024*1024),
		intDirective("hz", "10", 1, 500),
		intDirective("slowlog-log-slower-than", "10000", -1, 1<<62),
		intDirective("slowlog-max-len", "128", 0, 1<<31-1),
		intDirective("latency-monitor-threshold", "0", 0, 1<<62),
		{name: "notify-keyspace-events", check: checkNotifyFlags},
		intDirective("busy-reply-threshold", "5000", 0, 1<<62),
		stringDirective("client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"),
		immutable(stringDirective("pprof-addr", "")),
		immutable(memoryDirective("overlay-size", "33554432", 1<<20)),
		immutable(directive{name: "page-size", def: "16384", check: checkPageSize}),
		immutable(stringDirective("pidfile", "")),
		intDirective("hash-max-listpack-entries", "512", 0, 1<<31-1),
		intDirective("hash-max-listpack-value", "64", 0, 1<<31-1),
		intDirective("set-max-intset-entries", "512", 0, 1<<31-1),
		intDirective("zset-max-listpack-entries", "128", 0, 1<<31-1),
		intDirective("zset-max-listpack-value", "64", 0, 1<<31-1),
		intDirective("list-max-listpack-size", "-2", -5, 1<<31-1),
		intDirective("list-compress-depth", "0", 0, 1<<31-1),
		boolDirective("lazyfree-lazy-user-del", "no"),
		boolDirective("lazyfree-lazy-user-flush", "no"),
		intDirective("active-expire-effort", "1", 1, 10),
		intDirective("compact-free-ratio", "0", 0, 100),
		immutable(directive{name: "procs", def: "auto", check: checkProcs}),
		// Redis's, for tools that read them: diskcached does not
		// daemonize, replicate, or evict clients by memory.
		immutable(directive{name: "daemonize", def: "no", check: checkDaemonize}),
		immutable(stringDirective("replicaof", "")),
		{name: "maxmemory-clients", def: "0", check: checkMaxmemoryClients},
	}
	m := make(map[string]*directive, len(list)*2)
	for i := range list {
		d := &list[i]
		m[d.name] = d
	}
	// Aliases Redis keeps for old names.
	m["lua-time-limit"] = m["busy-reply-threshold"]
	m["hash-max-ziplist-entries"] = m["hash-max-listpack-entries"]
	m["hash-max-ziplist-value"] = m["hash-max-listpack-value"]
	m["zset-max-ziplist-entries"] = m["zset-max-listpack-entries"]
	m["zset-max-ziplist-value"] = m["zset-max-listpack-value"]
	m["list-max-ziplist-size"] = m["list-max-listpack-size"]
	m["size-limit"] = m["maxmemory"]
	m["slaveof"] = m["replicaof"]
	return m
}()

// NewConfig returns a Config holding every default.
func NewConfig() *Config {
	c := &Config{values: make(map[string]string, len(directives))}
	for _, d := range directives {
		c.values[d.name] = d.def
	}
	return c
}

// Set validates and stores one directive (startup path: immutables allowed).
func (c *Config) Set(name, value string) error {
	if ok, err := c.setDBDirective(name, value); ok { // per-db (cmd_cache_config.go)
		return err
	}
	d, ok := directives[strings.ToLower(name)]
	if !ok {
		return fmt.Errorf("unknown directive '%s'", name)
	}
	v, err := d.check(value)
	if err != nil {
		return fmt.Errorf("bad value for '%s' ('%s'): %s", d.name, value, err)
	}
	c.mu.Lock()
	c.values[d.name] = v
	c.mu.Unlock()
	return nil
}

// Get returns a directive's current value ("" for unknown names).
func (c *Config) Get(name string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if d, ok := directives[name]; ok {
		return c.values[d.name]
	}
	return ""
}

// Int returns a numeric directive.
func (c *Config) Int(name string) int64 {
	n, _ := strconv.ParseInt(c.Get(name), 10, 64)
	return n
}

// Bool returns a yes/no directive.
func (c *Config) Bool(name string) bool { return c.Get(name) == "yes" }

// Fsync returns appendfsync as the engine's type.
func (c *Config) Fsync() engine.Fsync {
	f, _ := engine.ParseFsync(c.Get("appendfsync"))
	return f
}

// File is the config file the server started with ("" if none).
func (c *Config) File() string { return c.file }

// LoadFile reads a redis.conf-style file: one directive a line, '#'
// comments, quoted arguments, the last occurrence wins. The first error
// names the line.
func (c *Config) LoadFile(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	c.file = p
	return c.Load(f, p)
}

// Load parses redis.conf text from r (name is used in errors).
func (c *Config) Load(r io.Reader, name string) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		args, err := splitConfigLine(text)
		if err != nil || len(args) < 1 {
			return fmt.Errorf("%s:%d: '%s': unbalanced quotes", name, line, text)
		}
		if len(args) == 1 {
			args = append(args, "")
		}
		if err := c.Set(args[0], strings.Join(args[1:], " ")); err != nil {
			return fmt.Errorf("%s:%d: %v", name, line, err)
		}
	}
	return sc.Err()
}

// splitConfigLine splits a line into arguments, honouring "…" and '…'.
func splitConfigLine(s string) ([]string, error) {
	var out []string
	for i := 0; i < len(s); {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			break
		}
		if q := s[i]; q == '"' || q == '\'' {
			j := i + 1
			var sb strings.Builder
			for ; j < len(s) && s[j] != q; j++ {
				if s[j] == '\\' && j+1 < len(s) && q == '"' {
					j++
					switch s[j] {
					case 'n':
						sb.WriteByte('\n')
					case 't':
						sb.WriteByte('\t')
					default:
						sb.WriteByte(s[j])
					}
					continue
				}
				sb.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unbalanced quotes")
			}
			out = append(out, sb.String())
			i = j + 1
			continue
		}
		j := i
		for j < len(s) && s[j] != ' ' && s[j] != '\t' {
			j++
		}
		out = append(out, s[i:j])
		i = j
	}
	return out, nil
}

// ConfigGet returns name/value pairs for every directive matching any of the
// glob patterns, sorted by name. Aliases match too, as in Redis 7.0
// (`CONFIG GET *of` gives replicaof and slaveof).
func (c *Config) ConfigGet(patterns []string) [][2]string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	seen := map[string]bool{}
	var out [][2]string
	for _, p := range patterns {
		p = strings.ToLower(p)
		for name, d := range directives {
			if seen[name] {
				continue
			}
			if ok, _ := path.Match(p, name); ok || p == name {
				seen[name] = true
				out = append(out, [2]string{name, c.values[d.name]})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// ConfigSet applies CONFIG SET name value pairs atomically: every pair is
// validated first; nothing changes if one fails.
func (c *Config) ConfigSet(pairs [][2]string) error {
	type change struct {
		d *directive
		v string
	}
	var changes []change
	for _, p := range pairs {
		d, ok := directives[strings.ToLower(p[0])]
		if !ok {
			return errConfigSetUnknown(p[0])
		}
		if d.immutable {
			return errConfigSetFailed(p[0], "can't set immutable config")
		}
		v, err := d.check(p[1])
		if err != nil {
			return errConfigSetFailed(p[0], err.Error())
		}
		changes = append(changes, change{d, v})
	}
	c.mu.Lock()
	for _, ch := range changes {
		c.values[ch.d.name] = ch.v
	}
	c.mu.Unlock()
	if c.onChange != nil {
		for _, ch := range changes {
			c.onChange(ch.d.name)
		}
	}
	return nil
}

// Rewrite writes the current non-default values back to the config file.
func (c *Config) Rewrite() error {
	if c.file == "" {
		return ErrNoConfigFile
	}
	c.mu.RLock()
	var names []string
	for name, d := range directives {
		if name == d.name && c.values[name] != d.def {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var sb strings.Builder
	sb.WriteString("# Written by diskcached CONFIG REWRITE\n")
	for _, n := range names {
		fmt.Fprintf(&sb, "%s %s\n", n, quoteConfig(c.values[n]))
	}
	c.rewriteDB(&sb) // per-db directives (cmd_cache_config.go)
	c.mu.RUnlock()
	tmp := c.file + ".tmp"
	if err := os.WriteFile(tmp, []byte(sb.String()), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, c.file)
}

func quoteConfig(v string) string {
	if v == "" || strings.ContainsAny(v, " \t\"'") {
		return strconv.Quote(v)
	}
	return v
}

// ParseMemory parses a memory amount with Redis's units: plain bytes,
// k/m/g (powers of 1000) and kb/mb/gb (powers of 1024), any case.
func ParseMemory(s string) (int64, bool) {
	ls := strings.ToLower(strings.TrimSpace(s))
	mul := int64(1)
	for _, u := range []struct {
		suffix string
		mul    int64
	}{{"kb", 1024}, {"mb", 1024 * 1024}, {"gb", 1024 * 1024 * 1024},
		{"k", 1000}, {"m", 1000 * 1000}, {"g", 1000 * 1000 * 1000}, {"b", 1}} {
		if strings.HasSuffix(ls, u.suffix) {
			ls, mul = strings.TrimSuffix(ls, u.suffix), u.mul
			break
		}
	}
	n, err := strconv.ParseInt(ls, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	if n > (1<<63-1)/mul {
		return 0, false
	}
	return n * mul, true
}

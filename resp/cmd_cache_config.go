package resp

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/diskcached/diskcached/datatypes"
	"github.com/diskcached/diskcached/engine"
)

// Per-database limits: CACHE.CONFIG, the db-maxmemory and
// db-maxmemory-policy directives, and their INFO lines.
//
// Where settings live: CACHE.CONFIG SET and RESET write them into the
// store (sys bucket), so they survive restarts as DiskCache's Settings
// table does. A db-maxmemory / db-maxmemory-policy directive (config file
// or command line) wins at startup for the setting it names: it is applied
// (and persisted) over the stored value; settings it does not name keep
// their stored value. CONFIG REWRITE writes one directive per setting every
// db has at that moment, however it was set.

// dbSetting names CACHE.CONFIG's settings, in CONFIG GET's (sorted) order.
var dbSettingNames = []string{"maxmemory", "maxmemory-policy"}

// dbDirectives are the per-database directives of a Config: the values
// the file or command line named (applied at startup), then kept equal to
// the live settings for CONFIG REWRITE.
type dbDirectives map[int]*dbDirective

type dbDirective struct {
	limit, policy       string // canonical values
	hasLimit, hasPolicy bool
}

const (
	dirDBMaxMemory = "db-maxmemory"
	dirDBPolicy    = "db-maxmemory-policy"
)

// setDBDirective handles "db-maxmemory <db> <bytes>" and
// "db-maxmemory-policy <db> <policy>" (repeatable: one line per db). It
// reports whether name was one of them.
func (c *Config) setDBDirective(name, value string) (bool, error) {
	lname := strings.ToLower(name)
	if lname != dirDBMaxMemory && lname != dirDBPolicy {
		return false, nil
	}
	f := strings.Fields(value)
	if len(f) != 2 {
		return true, fmt.Errorf("'%s' needs two arguments: <db> <value>", lname)
	}
	d, err := strconv.Atoi(f[0])
	if err != nil || d < 0 || d >= 1024 {
		return true, fmt.Errorf("bad value for '%s' ('%s'): db must be between 0 and 1023", lname, value)
	}
	setting := strings.TrimPrefix(lname, "db-")
	v, err := directives[setting].check(f[1])
	if err != nil {
		return true, fmt.Errorf("bad value for '%s' ('%s'): %s", lname, value, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dbs == nil {
		c.dbs = dbDirectives{}
	}
	e := c.dbs[d]
	if e == nil {
		e = &dbDirective{}
		c.dbs[d] = e
	}
	if setting == "maxmemory" {
		e.limit, e.hasLimit = v, true
	} else {
		e.policy, e.hasPolicy = v, true
	}
	return true, nil
}

// noteDB records db d's live settings for CONFIG REWRITE.
func (c *Config) noteDB(d int, s engine.DBSettings) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.IsZero() {
		delete(c.dbs, d)
		return
	}
	if c.dbs == nil {
		c.dbs = dbDirectives{}
	}
	e := &dbDirective{}
	if s.MaxMemory > 0 {
		e.limit, e.hasLimit = strconv.FormatInt(s.MaxMemory, 10), true
	}
	if s.HasPolicy {
		e.policy, e.hasPolicy = s.Policy.String(), true
	}
	c.dbs[d] = e
}

// rewriteDB appends the per-database directives (caller holds c.mu).
func (c *Config) rewriteDB(sb *strings.Builder) {
	for d := 0; d < 1024; d++ {
		e := c.dbs[d]
		if e == nil {
			continue
		}
		if e.hasLimit {
			fmt.Fprintf(sb, "%s %d %s\n", dirDBMaxMemory, d, e.limit)
		}
		if e.hasPolicy {
			fmt.Fprintf(sb, "%s %d %s\n", dirDBPolicy, d, e.policy)
		}
	}
}

// applyDBConfig applies the directives the config named over the stored
// settings, then records every db's live settings (server start).
func (s *Server) applyDBConfig() {
	if s.db == nil {
		return
	}
	s.cfg.mu.RLock()
	named := make(map[int]dbDirective, len(s.cfg.dbs))
	for d, e := range s.cfg.dbs {
		named[d] = *e
	}
	s.cfg.mu.RUnlock()
	for d, e := range named {
		if d >= s.db.Databases() {
			s.log.Warn().Int("db", d).Msg("db-maxmemory directive for a db past 'databases' ignored")
			continue
		}
		cur := s.db.DBSettings(d)
		if e.hasLimit {
			cur.MaxMemory, _ = strconv.ParseInt(e.limit, 10, 64)
		}
		if e.hasPolicy {
			cur.Policy, cur.HasPolicy = engine.ParsePolicy(e.policy)
		}
		if err := s.db.SetDBSettings(d, cur); err != nil {
			s.log.Error().Err(err).Int("db", d).Msg("applying db-maxmemory directives failed")
		}
	}
	s.cfg.mu.Lock()
	s.cfg.dbs = nil
	s.cfg.mu.Unlock()
	for d := 0; d < s.db.Databases(); d++ {
		if st := s.db.DBSettings(d); !st.IsZero() {
			s.cfg.noteDB(d, st)
		}
	}
}

// cmdCacheConfig: CACHE.CONFIG <db> GET <pattern> [pattern …] |
// SET <name> <value> [<name> <value> …] | RESET.
//
// GET → a flat name/value array like CONFIG GET for the names matching any
// glob (maxmemory: the db's own limit in bytes, 0 = none;
// maxmemory-policy: its own policy, "" = the server-wide one applies).
// SET → OK (maxmemory-policy "" = back to the server-wide policy); every
// pair is checked first, nothing changes if one fails
// (CONFIG SET's error texts; an unknown name → "ERR Unknown option …"; a
// name given twice → "… - duplicate parameter"); the settings are
// persisted. RESET → OK, the db's own settings removed. A bad db → ERR DB
// index is out of range (not a number → ERR value is not an integer …).
func cmdCacheConfig(c *Ctx, args [][]byte) error {
	n, ok := datatypes.ParseInt(args[1])
	if !ok {
		return ErrNotInteger
	}
	db := c.S.DB()
	if n < 0 || n >= int64(db.Databases()) {
		return ErrDBIndex
	}
	d := int(n)
	switch sub := strings.ToLower(string(args[2])); sub {
	case "get":
		if len(args) < 4 {
			return errArity("cache.config|get")
		}
		cur := db.DBSettings(d)
		vals := map[string]string{"maxmemory": strconv.FormatInt(cur.MaxMemory, 10), "maxmemory-policy": ""}
		if cur.HasPolicy {
			vals["maxmemory-policy"] = cur.Policy.String()
		}
		var out []string
		for _, name := range dbSettingNames {
			for _, p := range args[3:] {
				if datatypes.MatchFold(p, []byte(name)) {
					out = append(out, name, vals[name])
					break
				}
			}
		}
		c.W.Array(len(out))
		for _, s := range out {
			c.W.BulkString(s)
		}
		return nil
	case "set":
		if len(args) < 5 || len(args)%2 == 0 {
			return errArity("cache.config|set")
		}
		cur := db.DBSettings(d)
		seen := map[string]bool{}
		for i := 3; i < len(args); i += 2 {
			name := strings.ToLower(string(args[i]))
			if name != "maxmemory" && name != "maxmemory-policy" {
				return errConfigSetUnknown(string(args[i]))
			}
			if seen[name] {
				return errConfigSetFailed(name, "duplicate parameter")
			}
			seen[name] = true
			if name == "maxmemory-policy" && len(args[i+1]) == 0 {
				cur.HasPolicy = false // "": the server-wide policy applies
				continue
			}
			v, err := directives[name].check(string(args[i+1]))
			if err != nil {
				return errConfigSetFailed(name, err.Error())
			}
			if name == "maxmemory" {
				cur.MaxMemory, _ = strconv.ParseInt(v, 10, 64)
			} else {
				cur.Policy, cur.HasPolicy = engine.ParsePolicy(v)
			}
		}
		return setDBSettings(c, d, cur)
	case "reset":
		if len(args) != 3 {
			return errArity("cache.config|reset")
		}
		return setDBSettings(c, d, engine.DBSettings{})
	}
	return ErrSyntax
}

func setDBSettings(c *Ctx, d int, s engine.DBSettings) error {
	if err := c.S.DB().SetDBSettings(d, s); err != nil {
		return err
	}
	c.S.cfg.noteDB(d, s)
	c.W.OK()
	return nil
}

// dbOverLimit reports whether denyoom writes to db must be refused for
// db's own limit (engine.DB.DBOverLimit).
func (s *Server) dbOverLimit(db int) bool { return s.db != nil && s.db.DBOverLimit(db) }

// infoDBLimits adds, for every db with own settings or keys, its used
// bytes, own limit and the policy applying to that limit (INFO's
// diskcache section; INFO keyspace stays Redis's).
func infoDBLimits(ic *infoCtx) {
	db := ic.s.db
	for d, kc := range keyCounts(ic.c) {
		st := db.DBSettings(d)
		if kc[0] == 0 && st.IsZero() {
			continue
		}
		p := fmt.Sprintf("db%d_", d)
		ic.num(p+"used_memory", db.DBUsedBytes(d))
		ic.num(p+"maxmemory", st.MaxMemory)
		ic.kv(p+"maxmemory_policy", db.DBPolicy(d).String())
	}
}

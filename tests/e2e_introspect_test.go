package tests

import (
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// End-to-end checks of the introspection commands on the shared diskcached:
// what monitoring tools and client libraries parse.

// infoFields parses an INFO payload into section → field → value, failing
// on any line that is not "# Section", "key:value" or empty, or that does
// not end in CRLF.
func infoFields(t *testing.T, payload string) map[string]map[string]string {
	t.Helper()
	if payload != "" && !strings.HasSuffix(payload, "\r\n") {
		t.Fatalf("INFO payload does not end in CRLF: %q", tail(payload, 40))
	}
	out := map[string]map[string]string{}
	section := ""
	for _, line := range strings.Split(strings.TrimSuffix(payload, "\r\n"), "\r\n") {
		switch {
		case line == "":
		case strings.HasPrefix(line, "# "):
			section = strings.ToLower(line[2:])
			out[section] = map[string]string{}
		default:
			k, v, ok := strings.Cut(line, ":")
			if !ok || section == "" || strings.ContainsAny(line, "\r\n") {
				t.Fatalf("bad INFO line %q", line)
			}
			out[section][k] = v
		}
	}
	return out
}

// infoPayload runs INFO args on rc and returns the bulk/verbatim payload.
func infoPayload(t *testing.T, rc *respConn, args ...string) (payload string, typ byte) {
	t.Helper()
	raw := rc.mustDo(t, append([]string{"INFO"}, args...)...)
	v, err := parseReply(raw)
	if err != nil {
		t.Fatalf("INFO reply unparsable: %v (%q)", err, raw)
	}
	switch v.typ {
	case '$':
		return v.str, v.typ
	case '=':
		if !strings.HasPrefix(v.str, "txt:") {
			t.Fatalf("verbatim INFO without txt: prefix: %q", v.str[:10])
		}
		return v.str[4:], v.typ
	}
	t.Fatalf("INFO replied %q", raw)
	return "", 0
}

func TestIntrospect_InfoAll_ReferenceFieldsPresentAndNumeric(t *testing.T) {
	srv := freshShared(t)
	rc := mustDial(t, srv.addr)
	rc.expect(t, "+OK\r\n", "SET", "info:a", "1")
	rc.expect(t, "+OK\r\n", "SET", "info:b", "2", "EX", "100")
	rc.mustDo(t, "GET", "info:a")
	payload, _ := infoPayload(t, rc, "ALL")
	info := infoFields(t, payload)
	want := map[string][]string{
		"server":       {"redis_version", "redis_mode", "os", "tcp_port", "run_id", "process_id", "uptime_in_seconds", "uptime_in_days", "arch_bits", "hz", "executable", "config_file"},
		"clients":      {"connected_clients", "blocked_clients", "maxclients"},
		"memory":       {"used_memory", "used_memory_human", "used_memory_rss", "used_memory_peak", "maxmemory", "maxmemory_human", "maxmemory_policy"},
		"persistence":  {"loading", "rdb_changes_since_last_save", "rdb_last_save_time", "aof_enabled"},
		"stats":        {"total_connections_received", "total_commands_processed", "instantaneous_ops_per_sec", "rejected_connections", "total_net_input_bytes", "total_net_output_bytes", "expired_keys", "evicted_keys", "keyspace_hits", "keyspace_misses", "total_error_replies"},
		"replication":  {"role", "connected_slaves", "master_repl_offset"},
		"cpu":          {"used_cpu_sys", "used_cpu_user"},
		"commandstats": {"cmdstat_get", "cmdstat_set"},
		"keyspace":     {"db0"},
		"diskcache":    {"disk_file_bytes", "commits", "batched_writes", "avg_batch", "syncs", "gc_reclaimed", "appendfsync"},
	}
	for sec, fields := range want {
		if info[sec] == nil {
			t.Errorf("INFO ALL lacks section %q", sec)
			continue
		}
		for _, f := range fields {
			if _, ok := info[sec][f]; !ok {
				t.Errorf("INFO %s lacks %s", sec, f)
			}
		}
	}
	numeric := []string{"process_id", "uptime_in_seconds", "connected_clients", "blocked_clients", "maxclients",
		"used_memory", "used_memory_rss", "used_memory_peak", "maxmemory", "loading", "rdb_last_save_time",
		"total_connections_received", "total_commands_processed", "total_net_input_bytes", "keyspace_hits",
		"keyspace_misses", "expired_keys", "evicted_keys", "total_error_replies", "connected_slaves", "master_repl_offset",
		"used_cpu_sys", "used_cpu_user", "disk_file_bytes", "commits"}
	for _, f := range numeric {
		found := false
		for _, sec := range info {
			if v, ok := sec[f]; ok {
				found = true
				if _, err := strconv.ParseFloat(v, 64); err != nil {
					t.Errorf("INFO %s=%q is not a number", f, v)
				}
			}
		}
		if !found {
			t.Errorf("INFO lacks numeric field %s", f)
		}
	}
	if got := info["server"]["redis_version"]; got != "7.0.15" {
		t.Errorf("redis_version = %q", got)
	}
	if got := info["server"]["tcp_port"]; got != strconv.Itoa(srv.port) {
		t.Errorf("tcp_port = %q, want %d", got, srv.port)
	}
	if got := info["persistence"]["loading"]; got != "0" {
		t.Errorf("loading = %q", got)
	}
	if got := info["replication"]["role"]; got != "master" {
		t.Errorf("role = %q", got)
	}
	if got := info["keyspace"]["db0"]; got != "keys=2,expires=1,avg_ttl=0" {
		t.Errorf("db0 = %q, want keys=2,expires=1,avg_ttl=0", got)
	}
	if hits, _ := strconv.Atoi(info["stats"]["keyspace_hits"]); hits < 1 {
		t.Errorf("keyspace_hits = %d after a GET hit", hits)
	}
	cmdstat := regexp.MustCompile(`^calls=[1-9]\d*,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=\d+,failed_calls=\d+$`)
	if v := info["commandstats"]["cmdstat_get"]; !cmdstat.MatchString(v) {
		t.Errorf("cmdstat_get = %q", v)
	}
	if v := info["commandstats"]["cmdstat_info"]; v != "" {
		// INFO is counted after it replies: the first INFO cannot see itself.
		if !cmdstat.MatchString(v) {
			t.Errorf("cmdstat_info = %q", v)
		}
	}
	// Sections asked by name come in Redis's order, once each.
	payload, _ = infoPayload(t, rc, "keyspace", "SERVER", "server")
	if !strings.HasPrefix(payload, "# Server\r\n") || strings.Count(payload, "# Server") != 1 ||
		!strings.Contains(payload, "\r\n\r\n# Keyspace\r\n") {
		t.Errorf("INFO keyspace SERVER server = %q", payload)
	}
	// Subcommands are reported as container|sub.
	rc.mustDo(t, "CONFIG", "GET", "maxclients")
	payload, _ = infoPayload(t, rc, "commandstats")
	if !strings.Contains(payload, "cmdstat_config|get:calls=") {
		t.Errorf("INFO commandstats lacks cmdstat_config|get:\n%s", payload)
	}
}

func TestIntrospect_InfoAfterHello3_IsVerbatimTxt(t *testing.T) {
	srv := needShared(t)
	rc := mustDial(t, srv.addr)
	if raw := rc.mustDo(t, "HELLO", "3"); raw[0] != '%' {
		t.Fatalf("HELLO 3 replied %q", raw)
	}
	raw := rc.mustDo(t, "INFO")
	if !strings.HasPrefix(string(raw), "=") || !strings.Contains(string(raw[:min(len(raw), 40)]), "\r\ntxt:# Server\r\n") {
		t.Fatalf("INFO after HELLO 3 is not a verbatim txt string: %q", raw[:min(len(raw), 60)])
	}
	payload, typ := infoPayload(t, rc, "keyspace")
	if typ != '=' || !strings.HasPrefix(payload, "# Keyspace\r\n") {
		t.Fatalf("INFO keyspace in RESP3: type %q payload %q", typ, payload)
	}
	rc.mustDo(t, "HELLO", "2")
	if _, typ := infoPayload(t, rc, "server"); typ != '$' {
		t.Fatalf("INFO after HELLO 2 has type %q, want bulk", typ)
	}
}

// clientListLine matches Redis 7.0's CLIENT LIST fields, in order (plus
// 7.2's lib-name and lib-ver).
var clientListLine = regexp.MustCompile(`^id=(\d+) addr=(\S+) laddr=(\S+) fd=-?\d+ name=(\S*) age=\d+ idle=\d+ flags=([A-Za-z]+) db=(\d+) sub=\d+ psub=\d+ ssub=\d+ multi=-?\d+ qbuf=\d+ qbuf-free=\d+ argv-mem=\d+ multi-mem=\d+ rbs=\d+ rbp=\d+ obl=\d+ oll=\d+ omem=\d+ tot-mem=\d+ events=\w* cmd=(\S+) user=\S+ redir=-?\d+ resp=([23]) lib-name=\S* lib-ver=\S*$`)

func TestIntrospect_ClientList_ParsesEveryLine(t *testing.T) {
	srv := needShared(t)
	me := mustDial(t, srv.addr)
	other := mustDial(t, srv.addr)
	other.expect(t, "+OK\r\n", "CLIENT", "SETNAME", "worker-1")
	other.expect(t, "+OK\r\n", "SELECT", "5")
	other.expect(t, "+OK\r\n", "CLIENT", "SETINFO", "LIB-NAME", "go-test")
	otherID := strings.Trim(string(other.mustDo(t, "CLIENT", "ID")), ":\r\n")
	myID := strings.Trim(string(me.mustDo(t, "CLIENT", "ID")), ":\r\n")
	v, err := parseReply(me.mustDo(t, "CLIENT", "LIST"))
	if err != nil || v.typ != '$' {
		t.Fatalf("CLIENT LIST: %v %q", err, v.raw)
	}
	if !strings.HasSuffix(v.str, "\n") {
		t.Fatalf("CLIENT LIST does not end in a newline: %q", v.str)
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSuffix(v.str, "\n"), "\n") {
		m := clientListLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("CLIENT LIST line does not parse:\n%s", line)
		}
		seen[m[1]] = true
		switch m[1] {
		case otherID:
			if m[4] != "worker-1" || m[6] != "5" || m[7] != "client|id" || !strings.Contains(line, " lib-name=go-test ") {
				t.Errorf("other client's line: %s", line)
			}
		case myID:
			if m[7] != "client|list" || m[5] != "N" {
				t.Errorf("own line: %s", line)
			}
		}
	}
	if !seen[otherID] || !seen[myID] {
		t.Fatalf("CLIENT LIST misses %s or %s:\n%s", otherID, myID, v.str)
	}
	// LIST ID filters; INFO is this connection's line.
	v, _ = parseReply(me.mustDo(t, "CLIENT", "LIST", "ID", otherID, "999999999"))
	if strings.Count(v.str, "\n") != 1 || !strings.HasPrefix(v.str, "id="+otherID+" ") {
		t.Errorf("CLIENT LIST ID %s = %q", otherID, v.str)
	}
	v, _ = parseReply(me.mustDo(t, "CLIENT", "INFO"))
	if !strings.HasPrefix(v.str, "id="+myID+" ") || !clientListLine.MatchString(strings.TrimSuffix(v.str, "\n")) {
		t.Errorf("CLIENT INFO = %q", v.str)
	}
}

func TestIntrospect_ClientKillID_ClosesTarget(t *testing.T) {
	srv := needShared(t)
	killer := mustDial(t, srv.addr)
	victim := mustDial(t, srv.addr)
	id := strings.Trim(string(victim.mustDo(t, "CLIENT", "ID")), ":\r\n")
	killer.expect(t, ":1\r\n", "CLIENT", "KILL", "ID", id)
	victim.timeout = 3 * time.Second
	if raw, err := victim.Do("PING"); err == nil {
		t.Fatalf("killed client still answers: %q", raw)
	}
	killer.expect(t, ":0\r\n", "CLIENT", "KILL", "ID", id)
	// SKIPME yes (default) spares the caller; the old form may kill itself.
	myID := strings.Trim(string(killer.mustDo(t, "CLIENT", "ID")), ":\r\n")
	killer.expect(t, ":0\r\n", "CLIENT", "KILL", "ID", myID)
	addr := killer.c.LocalAddr().String()
	killer.expect(t, "+OK\r\n", "CLIENT", "KILL", addr)
	killer.timeout = 3 * time.Second
	if raw, err := killer.Do("PING"); err == nil {
		t.Fatalf("client killed by old-form CLIENT KILL still answers: %q", raw)
	}
	assertAlive(t, srv.addr)
}

func TestIntrospect_ClientReplyOffSkip_SuppressReplies(t *testing.T) {
	srv := needShared(t)
	rc := mustDial(t, srv.addr)
	var b []byte
	for _, cmd := range [][]string{
		{"CLIENT", "REPLY", "OFF"}, {"SET", "reply:k", "1"}, {"GET", "reply:k"},
		{"CLIENT", "REPLY", "ON"}, {"CLIENT", "REPLY", "SKIP"}, {"PING", "skipped"}, {"ECHO", "shown"},
		// ON right after SKIP clears it and is answered (Redis's TCL
		// "CLIENT REPLY ON: unset SKIP flag"); SKIP after SKIP skips the
		// command after it.
		{"CLIENT", "REPLY", "SKIP"}, {"CLIENT", "REPLY", "ON"}, {"ECHO", "after-on"},
		{"CLIENT", "REPLY", "SKIP"}, {"CLIENT", "REPLY", "SKIP"}, {"ECHO", "skipped"}, {"ECHO", "last"},
	} {
		b = append(b, encodeCommand(cmd...)...)
	}
	if err := rc.WriteRaw(b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"+OK\r\n", "$5\r\nshown\r\n", "+OK\r\n", "$8\r\nafter-on\r\n", "$4\r\nlast\r\n"} {
		got, err := rc.ReadReply()
		if err != nil || string(got) != want {
			t.Fatalf("got %q (%v), want %q", got, err, want)
		}
	}
	rc.expect(t, "$1\r\n1\r\n", "GET", "reply:k")
}

// monitorLine matches one MONITOR line for the given command text, from a
// client (from "") or from a script (from "lua").
func monitorLineRE(cmd, from string) *regexp.Regexp {
	src := `127\.0\.0\.1:\d+`
	if from != "" {
		src = regexp.QuoteMeta(from)
	}
	return regexp.MustCompile(`^\+\d{10}\.\d{6} \[(\d+) ` + src + `\] ` + regexp.QuoteMeta(cmd) + `\r\n$`)
}

func TestIntrospect_Monitor_SeesOtherConnections(t *testing.T) {
	srv := needShared(t)
	mon := mustDial(t, srv.addr)
	mon.expect(t, "+OK\r\n", "MONITOR")
	rc := mustDial(t, srv.addr)
	rc.mustDo(t, "SET", "mon:k", "a b\n\"\x01")
	rc.mustDo(t, "CONFIG", "GET", "maxclients") // admin: not shown
	rc.mustDo(t, "AUTH", "secret")              // shown redacted
	rc.mustDo(t, "SELECT", "2")
	rc.mustDo(t, "GET", "mon:k")
	rc.mustDo(t, "MULTI")
	rc.mustDo(t, "SET", "mon:m", "1")
	rc.mustDo(t, "EXEC")
	rc.mustDo(t, "EVAL", "redis.call('set','mon:lua','b')", "0")
	// As Redis 7.0: a command is shown after it ran (SELECT with its new
	// db; EXEC after the commands it ran), EVAL before its script's.
	wants := []struct {
		cmd, db, from string
	}{
		{`"SET" "mon:k" "a b\n\"\x01"`, "0", ""},
		{`"AUTH" "(redacted)"`, "0", ""},
		{`"SELECT" "2"`, "2", ""},
		{`"GET" "mon:k"`, "2", ""},
		{`"MULTI"`, "2", ""},
		{`"SET" "mon:m" "1"`, "2", ""},
		{`"EXEC"`, "2", ""},
		{`"EVAL" "redis.call('set','mon:lua','b')" "0"`, "2", ""},
		{`"set" "mon:lua" "b"`, "2", "lua"},
	}
	own := rc.c.LocalAddr().String() // the server shows the client's address
	mon.timeout = 5 * time.Second
	for _, w := range wants {
		var line []byte
		for {
			raw, err := mon.ReadReply()
			if err != nil {
				t.Fatalf("MONITOR: waiting for %s: %v", w.cmd, err)
			}
			if strings.Contains(string(raw), `"CONFIG"`) {
				t.Fatalf("MONITOR showed an admin command: %q", raw)
			}
			if w.from == "" && !strings.Contains(string(raw), " "+own+"] ") ||
				w.from == "lua" && !strings.Contains(string(raw), `"mon:lua"`) {
				continue // other tests' commands on the shared server
			}
			line = raw
			break
		}
		m := monitorLineRE(w.cmd, w.from).FindStringSubmatch(string(line))
		if m == nil || m[1] != w.db {
			t.Fatalf("MONITOR line %q, want db %s and %s", line, w.db, w.cmd)
		}
	}
}

func TestIntrospect_Slowlog_RecordsAndTruncates(t *testing.T) {
	srv := needShared(t)
	rc := mustDial(t, srv.addr)
	t.Cleanup(func() {
		if c, err := dialResp(srv.addr); err == nil {
			c.Do("CONFIG", "SET", "slowlog-log-slower-than", "10000")
			c.Do("SLOWLOG", "RESET")
			c.Close()
		}
	})
	rc.expect(t, "+OK\r\n", "CLIENT", "SETNAME", "slowpoke")
	rc.expect(t, "+OK\r\n", "CONFIG", "SET", "slowlog-log-slower-than", "0")
	rc.expect(t, "+OK\r\n", "SLOWLOG", "RESET")
	long := strings.Repeat("x", 200)
	rc.mustDo(t, "ECHO", long)
	many := []string{"DEL"}
	for i := 0; i < 40; i++ {
		many = append(many, fmt.Sprintf("k%d", i))
	}
	rc.mustDo(t, many...)
	rc.mustDo(t, "AUTH", "pw")
	v, err := parseReply(rc.mustDo(t, "SLOWLOG", "GET", "3"))
	if err != nil || len(v.elems) != 3 {
		t.Fatalf("SLOWLOG GET 3: %v %q", err, v.raw)
	}
	args := func(e value) []string {
		var out []string
		for _, a := range e.elems[3].elems {
			out = append(out, a.str)
		}
		return out
	}
	auth, del, echo := v.elems[0], v.elems[1], v.elems[2]
	if got := strings.Join(args(auth), " "); got != "AUTH (redacted)" {
		t.Errorf("AUTH entry args = %q", got)
	}
	if a := args(del); len(a) != 32 || a[31] != "... (10 more arguments)" || a[30] != "k29" {
		t.Errorf("DEL entry args = %q", a)
	}
	if a := args(echo); len(a) != 2 || a[1] != strings.Repeat("x", 128)+"... (72 more bytes)" {
		t.Errorf("ECHO entry args = %q", a)
	}
	id0, _ := strconv.Atoi(auth.elems[0].str)
	id1, _ := strconv.Atoi(del.elems[0].str)
	if id0 != id1+1 {
		t.Errorf("entry ids not consecutive newest first: %d, %d", id0, id1)
	}
	if ts, _ := strconv.ParseInt(echo.elems[1].str, 10, 64); time.Since(time.Unix(ts, 0)) > time.Minute {
		t.Errorf("entry time %d is not now", ts)
	}
	if echo.elems[4].str != rc.c.LocalAddr().String() || echo.elems[5].str != "slowpoke" {
		t.Errorf("entry client = %q %q", echo.elems[4].str, echo.elems[5].str)
	}
}

func TestIntrospect_RedisCliStat_CountsKeysOfEveryDB(t *testing.T) {
	needRedisCli(t)
	srv := freshShared(t)
	rc := mustDial(t, srv.addr)
	rc.expect(t, "+OK\r\n", "SET", "a", "1")
	rc.expect(t, "+OK\r\n", "SET", "b", "1")
	rc.expect(t, "+OK\r\n", "SELECT", "1")
	rc.expect(t, "+OK\r\n", "SET", "c", "1")
	stdbuf, err := exec.LookPath("stdbuf")
	if err != nil {
		t.Fatalf("stdbuf not found: %v", err)
	}
	args := append([]string{"-oL", redisCliPath}, cliArgs(srv.port, "--stat", "-i", "0.2")...)
	out, errs, _ := runTool(t, 1500*time.Millisecond, "", stdbuf, args...)
	found := false
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) >= 6 && f[0] == "3" {
			found = true
		}
	}
	if !found || strings.Contains(out, "ERR") {
		t.Fatalf("redis-cli --stat shows no line with 3 keys:\n%s\nstderr:\n%s", out, errs)
	}
}

func TestIntrospect_CommandDocs_EveryCommandHasSummaryAndGroup(t *testing.T) {
	srv := needShared(t)
	rc := mustDial(t, srv.addr)
	rc.mustDo(t, "HELLO", "3")
	v, err := parseReply(rc.mustDo(t, "COMMAND", "DOCS"))
	if err != nil || v.typ != '%' {
		t.Fatalf("COMMAND DOCS: %v %q", err, v.raw[:min(len(v.raw), 80)])
	}
	count, _ := parseReply(rc.mustDo(t, "COMMAND", "COUNT"))
	if n, _ := strconv.Atoi(count.str); n != len(v.elems)/2 || n < 50 {
		t.Fatalf("COMMAND DOCS has %d entries, COMMAND COUNT says %d", len(v.elems)/2, n)
	}
	for i := 0; i < len(v.elems); i += 2 {
		name, doc := v.elems[i].str, v.elems[i+1]
		keys := map[string]bool{}
		for j := 0; j < len(doc.elems); j += 2 {
			keys[doc.elems[j].str] = true
		}
		if !keys["summary"] || !keys["group"] || !keys["since"] {
			t.Errorf("COMMAND DOCS %s lacks summary/group/since: %q", name, doc.raw)
		}
	}
	// redis-cli's help (built from COMMAND DOCS) works.
	needRedisCli(t)
	out, errs, err := runTool(t, 10*time.Second, "", redisCliPath, cliArgs(srv.port, "COMMAND", "DOCS", "get")...)
	if err != nil || !strings.Contains(out, "summary") {
		t.Fatalf("redis-cli COMMAND DOCS get: %v\n%s\n%s", err, out, errs)
	}
}

func TestIntrospect_MemoryUsage_GrowsWithValue(t *testing.T) {
	srv := freshShared(t)
	rc := mustDial(t, srv.addr)
	rc.expect(t, "+OK\r\n", "SET", "mu:small", "x")
	rc.expect(t, "+OK\r\n", "SET", "mu:big", strings.Repeat("x", 10000))
	small, _ := strconv.Atoi(strings.Trim(string(rc.mustDo(t, "MEMORY", "USAGE", "mu:small")), ":\r\n"))
	big, _ := strconv.Atoi(strings.Trim(string(rc.mustDo(t, "MEMORY", "USAGE", "mu:big", "SAMPLES", "0")), ":\r\n"))
	if small <= 0 || big < 10000 || big <= small {
		t.Fatalf("MEMORY USAGE small=%d big=%d", small, big)
	}
	rc.expect(t, "$-1\r\n", "MEMORY", "USAGE", "mu:missing")
}

package tests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

func needRedisCli(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(redisCliPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s required in CI", redisCliPath)
		}
		t.Skipf("SKIPPING: %s not installed (apt-get install redis-tools)", redisCliPath)
	}
}

// runTool runs a command with a deadline and stdin; it returns stdout,
// stderr and the exit error (a *exec.ExitError or a timeout error).
func runTool(t *testing.T, timeout time.Duration, stdin string, name string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Stdin = strings.NewReader(stdin)
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after %v: %w", timeout, ctx.Err())
	}
	return out.String(), errb.String(), err
}

func cliArgs(port int, args ...string) []string {
	return append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(port)}, args...)
}

// freshShared returns the shared diskcached after FLUSHALL.
func freshShared(t *testing.T) *serverProc {
	t.Helper()
	srv := needShared(t)
	mustDial(t, srv.addr).expect(t, "+OK\r\n", "FLUSHALL")
	return srv
}

func TestRedisCli_Ping_Pong(t *testing.T) {
	needRedisCli(t)
	srv := freshShared(t)
	out, errs, err := runTool(t, 10*time.Second, "", redisCliPath, cliArgs(srv.port, "ping")...)
	if err != nil || strings.TrimSpace(out) != "PONG" {
		t.Fatalf("redis-cli ping: out %q err %v stderr %q", out, err, errs)
	}
	out, _, err = runTool(t, 10*time.Second, "", redisCliPath, cliArgs(srv.port, "set", "k", "hello world")...)
	if err != nil || strings.TrimSpace(out) != "OK" {
		t.Fatalf("redis-cli set: %q %v", out, err)
	}
	out, _, err = runTool(t, 10*time.Second, "", redisCliPath, cliArgs(srv.port, "get", "k")...)
	if err != nil || strings.TrimSpace(out) != "hello world" {
		t.Fatalf("redis-cli get: %q %v", out, err)
	}
}

func TestRedisCli_Hello3_ShowsMap(t *testing.T) {
	needRedisCli(t)
	srv := freshShared(t)
	out, errs, err := runTool(t, 10*time.Second, "", redisCliPath, cliArgs(srv.port, "-3", "hello", "3")...)
	if err != nil {
		t.Fatalf("redis-cli -3 hello: %v %q", err, errs)
	}
	for _, want := range []string{"server", "version", "proto", "id", "mode", "role", "modules"} {
		if !strings.Contains("\n"+out, "\n"+want+" ") && !strings.Contains(out, `"`+want+`"`) {
			t.Fatalf("redis-cli -3 hello 3 output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "\nproto 3\n") && !strings.Contains(out, "(integer) 3") {
		t.Fatalf("redis-cli -3 hello 3: proto 3 not shown:\n%s", out)
	}
}

func TestRedisCli_Scan_ListsAllKeys(t *testing.T) {
	needRedisCli(t)
	srv := freshShared(t)
	rc := mustDial(t, srv.addr)
	var want []string
	args := []string{"MSET"}
	for i := 0; i < 250; i++ {
		k := fmt.Sprintf("cli:%d", i)
		want = append(want, k)
		args = append(args, k, "v")
	}
	rc.expect(t, "+OK\r\n", args...)
	out, errs, err := runTool(t, 20*time.Second, "", redisCliPath, cliArgs(srv.port, "--scan")...)
	if err != nil {
		t.Fatalf("redis-cli --scan: %v %q", err, errs)
	}
	got := strings.Fields(out)
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("redis-cli --scan returned %d keys, want %d; first: %v", len(got), len(want), got[:min(5, len(got))])
	}
	out, _, err = runTool(t, 20*time.Second, "", redisCliPath, cliArgs(srv.port, "--scan", "--pattern", "cli:1?")...)
	if err != nil || len(strings.Fields(out)) != 10 {
		t.Fatalf("redis-cli --scan --pattern cli:1?: %v %q", err, out)
	}
}

func TestRedisCli_Bigkeys_Summary(t *testing.T) {
	needRedisCli(t)
	srv := freshShared(t)
	rc := mustDial(t, srv.addr)
	rc.expect(t, "+OK\r\n", "SET", "small", "x")
	rc.expect(t, "+OK\r\n", "SET", "biggest", strings.Repeat("y", 5000))
	out, errs, err := runTool(t, 30*time.Second, "", redisCliPath, cliArgs(srv.port, "--bigkeys")...)
	if err != nil {
		t.Fatalf("redis-cli --bigkeys: %v\nstdout:\n%s\nstderr:\n%s", err, out, errs)
	}
	if !strings.Contains(out, `Biggest string found '"biggest"' has 5000 bytes`) &&
		!strings.Contains(out, `Biggest string found "biggest" has 5000 bytes`) {
		t.Fatalf("redis-cli --bigkeys output lacks the biggest string:\n%s", out)
	}
	if !strings.Contains(out, "2 keys") && !strings.Contains(out, "Sampled 2 keys") {
		t.Fatalf("redis-cli --bigkeys did not sample 2 keys:\n%s", out)
	}
}

func TestRedisCli_Stat_PrintsLine(t *testing.T) {
	needRedisCli(t)
	srv := freshShared(t)
	mustDial(t, srv.addr).expect(t, "+OK\r\n", "SET", "a", "1")
	// --stat loops forever; give it ~1.5 s and read what it printed.
	// stdbuf: redis-cli does not flush stdout when it is not a terminal.
	stdbuf, lerr := exec.LookPath("stdbuf")
	if lerr != nil {
		t.Fatalf("stdbuf (coreutils) not found: %v", lerr)
	}
	args := append([]string{"-oL", redisCliPath}, cliArgs(srv.port, "--stat", "-i", "0.2")...)
	out, errs, err := runTool(t, 1500*time.Millisecond, "", stdbuf, args...)
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("redis-cli --stat exited early: %v\nstdout:\n%s\nstderr:\n%s", err, out, errs)
	}
	lines := strings.Split(out, "\n")
	if len(lines) < 3 || !strings.Contains(out, "keys") || !strings.Contains(out, "clients") {
		t.Fatalf("redis-cli --stat output has no header:\n%s", out)
	}
	// A data line: the keys column then mem, clients, ... ; first field is the key count.
	found := false
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) >= 5 && f[0] == "1" {
			found = true
		}
	}
	if !found || strings.Contains(out, "ERR") {
		t.Fatalf("redis-cli --stat shows no data line with 1 key:\n%s\nstderr:\n%s", out, errs)
	}
}

func TestRedisCli_Pipe_MassInsert(t *testing.T) {
	needRedisCli(t)
	srv := freshShared(t)
	var in bytes.Buffer
	for i := 0; i < 100; i++ {
		in.Write(encodeCommand("SET", fmt.Sprintf("pipe:%d", i), fmt.Sprint(i)))
	}
	in.Write(encodeCommand("INCR", "pipe:5"))
	in.WriteString("PING\r\n") // an inline command
	out, errs, err := runTool(t, 20*time.Second, in.String(), redisCliPath, cliArgs(srv.port, "--pipe")...)
	if err != nil {
		t.Fatalf("redis-cli --pipe: %v\nstdout:\n%s\nstderr:\n%s", err, out, errs)
	}
	if !strings.Contains(out, "errors: 0, replies: 102") {
		t.Fatalf("redis-cli --pipe summary wrong:\n%s", out)
	}
	rc := mustDial(t, srv.addr)
	rc.expect(t, ":100\r\n", "DBSIZE")
	rc.expect(t, "$1\r\n6\r\n", "GET", "pipe:5")
}

func TestRedisPy_SetGetPipeline_Works(t *testing.T) {
	const py = "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skipf("SKIPPING: %s missing", py)
	}
	if _, _, err := runTool(t, 10*time.Second, "", py, "-c", "import redis"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("python3-redis required in CI: %v", err)
		}
		t.Skipf("SKIPPING: python3-redis not installed: %v", err)
	}
	srv := freshShared(t)
	script := fmt.Sprintf(`
import redis, sys
r = redis.Redis(host="127.0.0.1", port=%d, db=0, socket_timeout=10, client_name="pytest")
assert r.ping() is True
assert r.set("py:k", b"v\x00bin") is True
assert r.get("py:k") == b"v\x00bin", r.get("py:k")
assert r.get("py:missing") is None
p = r.pipeline(transaction=False)
for i in range(100):
    p.set("py:%%d" %% i, i)
p.incr("py:0")
res = p.execute()
assert res[-1] == 1, res[-1]
t = r.pipeline(transaction=True)
t.set("py:t", 5).incrby("py:t", 2).get("py:t")
assert t.execute() == [True, 7, b"7"]
assert r.dbsize() == 102, r.dbsize()
r1 = redis.Redis(host="127.0.0.1", port=%d, db=3, socket_timeout=10)
r1.set("in3", "x")
assert r1.get("in3") == b"x" and r.get("in3") is None
print("ok")
`, srv.port, srv.port)
	out, errs, err := runTool(t, 30*time.Second, "", py, "-c", script)
	var ee *exec.ExitError
	if err != nil || strings.TrimSpace(out) != "ok" {
		if errors.As(err, &ee) {
			t.Fatalf("redis-py script failed (exit %d):\n%s\n%s", ee.ExitCode(), out, errs)
		}
		t.Fatalf("redis-py script: %v\n%s\n%s", err, out, errs)
	}
}

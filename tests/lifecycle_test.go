package tests

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	bolt "go.etcd.io/bbolt"
)

const dbFileName = "diskcached.db"

func TestLifecycle_Restart_KeepsAllKeys(t *testing.T) {
	dir := t.TempDir()
	srv := startDiskcached(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := newGoRedis(t, srv.addr, 0)
	const n = 1000
	pipe := c.Pipeline()
	for i := 0; i < n; i++ {
		pipe.Set(ctx, fmt.Sprintf("r:%d", i), fmt.Sprintf("value-%d", i), 0)
	}
	pipe.Set(ctx, "ttl", "x", time.Hour)
	pipe.Do(ctx, "SELECT", "3") // a pipeline shares one connection
	pipe.Set(ctx, "in-db3", "three", 0)
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatalf("writes: %v", err)
	}
	_ = c.Close()
	if err := srv.stop(); err != nil {
		t.Fatalf("SIGTERM: %v\n%s", err, tail(srv.output.String(), 4096))
	}
	if code := srv.exitCode(); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d, want 0", code)
	}

	srv2 := startDiskcached(t, dir)
	c2 := newGoRedis(t, srv2.addr, 0)
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("r:%d", i)
	}
	vals, err := c2.MGet(ctx, keys...).Result()
	if err != nil {
		t.Fatalf("MGET after restart: %v", err)
	}
	for i, v := range vals {
		if want := fmt.Sprintf("value-%d", i); v != want {
			t.Fatalf("after restart %s = %#v, want %q", keys[i], v, want)
		}
	}
	if size := c2.DBSize(ctx).Val(); size != n+1 {
		t.Fatalf("DBSIZE after restart = %d, want %d", size, n+1)
	}
	if ttl := c2.TTL(ctx, "ttl").Val(); ttl < 59*time.Minute || ttl > time.Hour {
		t.Fatalf("TTL after restart = %v, want ~1h", ttl)
	}
	rc := mustDial(t, srv2.addr)
	rc.expect(t, "+OK\r\n", "SELECT", "3")
	rc.expect(t, "$5\r\nthree\r\n", "GET", "in-db3")
	if err := srv2.stop(); err != nil {
		t.Fatalf("second SIGTERM: %v", err)
	}
}

func TestLifecycle_Kill9_AcknowledgedWritesSurvive(t *testing.T) {
	dir := t.TempDir()
	srv := startDiskcached(t, dir, "--appendfsync", "always")
	acked := writeUntilKilled(t, srv, "crash", 8, 40, time.Second)
	srv2 := startDiskcached(t, dir, "--appendfsync", "always")
	verifyAcked(t, srv2, acked)
	if err := srv2.stop(); err != nil {
		t.Fatalf("SIGTERM after restart: %v", err)
	}
	checkBoltFile(t, filepath.Join(dir, dbFileName))
}

// TestLifecycle_CrashLoop_Kill9MidFlush_NoLoss kills the server repeatedly
// while a 1 MiB overlay makes it flush to bbolt several times a second, in
// every fsync mode. A process crash must lose no acknowledged write in any
// mode (the log was written before the reply), and the data file as each
// crash left it must pass bbolt's check.
func TestLifecycle_CrashLoop_Kill9MidFlush_NoLoss(t *testing.T) {
	dir := t.TempDir()
	all := map[string]string{}
	for round, mode := range []string{"always", "everysec", "no", "everysec"} {
		srv := startDiskcached(t, dir, "--appendfsync", mode, "--overlay-size", "1mb")
		acked := writeUntilKilled(t, srv, fmt.Sprintf("loop%d", round), 6, 600, 700*time.Millisecond)
		checkBoltFile(t, filepath.Join(dir, dbFileName))
		for k, v := range acked {
			all[k] = v
		}
	}
	srv := startDiskcached(t, dir, "--overlay-size", "1mb")
	verifyAcked(t, srv, all)
	if err := srv.stop(); err != nil {
		t.Fatalf("SIGTERM after the crash loop: %v", err)
	}
	checkBoltFile(t, filepath.Join(dir, dbFileName))
}

// writeUntilKilled runs writers that SET unique keys (values up to
// maxPad extra bytes) and record every acknowledged write, kills the server
// with SIGKILL after d, and returns what was acknowledged.
func writeUntilKilled(t *testing.T, srv *serverProc, prefix string, writers, maxPad int, d time.Duration) map[string]string {
	t.Helper()
	var (
		mu    sync.Mutex
		acked = map[string]string{}
		stop  atomic.Bool
		wg    sync.WaitGroup
	)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: srv.addr, MaxRetries: -1,
				DialTimeout: time.Second, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second})
			defer c.Close()
			for i := 0; !stop.Load(); i++ {
				k := fmt.Sprintf("%s:%d:%d", prefix, w, i)
				v := fmt.Sprintf("v-%d-%d-%s", w, i, strings.Repeat("z", i%(maxPad+1)))
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				err := c.Set(ctx, k, v, 0).Err()
				cancel()
				if err != nil {
					return // the server died under us
				}
				mu.Lock()
				acked[k] = v
				mu.Unlock()
			}
		}(w)
	}
	time.Sleep(d)
	srv.kill()
	stop.Store(true)
	wg.Wait()
	if len(acked) < 10 {
		t.Fatalf("only %d writes acknowledged in %v; output:\n%s", len(acked), d, tail(srv.output.String(), 4096))
	}
	t.Logf("%s: %d writes acknowledged before kill -9", prefix, len(acked))
	return acked
}

// verifyAcked checks every acknowledged key holds its value.
func verifyAcked(t *testing.T, srv *serverProc, acked map[string]string) {
	t.Helper()
	c := newGoRedis(t, srv.addr, 0)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	keys := make([]string, 0, len(acked))
	for k := range acked {
		keys = append(keys, k)
	}
	missing := 0
	for start := 0; start < len(keys); start += 500 {
		batch := keys[start:min(start+500, len(keys))]
		vals, err := c.MGet(ctx, batch...).Result()
		if err != nil {
			t.Fatalf("MGET after crash restart: %v", err)
		}
		for i, v := range vals {
			if v != acked[batch[i]] {
				missing++
				if missing <= 5 {
					t.Errorf("acknowledged key %s = %#v after kill -9, want %q", batch[i], v, acked[batch[i]])
				}
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged writes lost or wrong after kill -9", missing, len(acked))
	}
}

// checkBoltFile opens a bbolt file read-only and runs tx.Check.
func checkBoltFile(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("bbolt file: %v", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 3 * time.Second})
	if err != nil {
		t.Fatalf("open %s read-only: %v", path, err)
	}
	defer db.Close()
	var errs []string
	err = db.View(func(tx *bolt.Tx) error {
		for e := range tx.Check() {
			errs = append(errs, e.Error())
		}
		return nil
	})
	if err != nil {
		t.Fatalf("bbolt view: %v", err)
	}
	if len(errs) > 0 {
		t.Fatalf("bbolt Check found %d problems in %s: %v", len(errs), path, errs[:min(10, len(errs))])
	}
}

// assertStartupFailure checks a failed start: exit code 1, a clear message
// matching one of wants, no panic trace.
func assertStartupFailure(t *testing.T, code int, out string, wants ...string) {
	t.Helper()
	if code != 1 {
		t.Fatalf("exit code %d, want 1; output:\n%s", code, out)
	}
	if strings.Contains(out, "goroutine ") || strings.Contains(out, "panic:") {
		t.Fatalf("startup failure printed a panic/stack trace:\n%s", out)
	}
	low := strings.ToLower(out)
	for _, w := range wants {
		if strings.Contains(low, w) {
			return
		}
	}
	t.Fatalf("startup failure output mentions none of %q:\n%s", wants, out)
}

func TestLifecycle_PortInUse_ExitsWithError(t *testing.T) {
	needBinary(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()
	start := time.Now()
	code, out := runDiskcachedExpectExit(t, 3*time.Second, dir, diskcachedArgs(port, dir, nil)...)
	assertStartupFailure(t, code, out, "address already in use", "in use")
	if lines := nonEmptyLines(out); len(lines) != 1 {
		t.Fatalf("want a single clear stderr line, got %d:\n%s", len(lines), out)
	}
	t.Logf("exited in %v with: %s", time.Since(start), strings.TrimSpace(out))
}

func TestLifecycle_DirLockedByOtherInstance_ExitsWithError(t *testing.T) {
	dir := t.TempDir()
	first := startDiskcached(t, dir)
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	code, out := runDiskcachedExpectExit(t, 3*time.Second, dir, diskcachedArgs(port, dir, nil)...)
	assertStartupFailure(t, code, out, "lock", "in use", "another", "timeout")
	assertAlive(t, first.addr)
	if err := first.stop(); err != nil {
		t.Fatalf("first instance: %v", err)
	}
}

func TestLifecycle_UnwritableDir_ExitsWithError(t *testing.T) {
	needBinary(t)
	// A path below a regular file can never be created, even by root.
	parent := t.TempDir()
	file := filepath.Join(parent, "not-a-dir")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(file, "data")
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	code, out := runDiskcachedExpectExit(t, 3*time.Second, parent, diskcachedArgs(port, dir, nil)...)
	assertStartupFailure(t, code, out, "not a directory", "dir", "permission")
}

func TestLifecycle_BadDirective_ExitsWithError(t *testing.T) {
	needBinary(t)
	dir := t.TempDir()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	code, out := runDiskcachedExpectExit(t, 3*time.Second, dir,
		diskcachedArgs(port, dir, []string{"--appendfsync", "sometimes"})...)
	assertStartupFailure(t, code, out, "appendfsync")
	// A config asking for a daemon is refused, not silently ignored.
	code, out = runDiskcachedExpectExit(t, 3*time.Second, dir,
		diskcachedArgs(port, dir, []string{"--daemonize", "yes"})...)
	assertStartupFailure(t, code, out, "daemonize")
}

func TestLifecycle_ConfigFile_Applied(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "test.conf")
	body := "# comment\nrequirepass first\nrequirepass s3cret\ndatabases 16\ndaemonize no\n"
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	needBinary(t)
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := launchDiskcachedConf(conf, port, data)
	if err != nil {
		// PING is refused with NOAUTH, so readiness is checked by AUTH below.
		t.Fatalf("start with config file: %v", err)
	}
	t.Cleanup(p.kill)
	rc := mustDial(t, p.addr)
	rc.expect(t, "-NOAUTH Authentication required.\r\n", "GET", "x")
	rc.expect(t, "-WRONGPASS invalid username-password pair or user is disabled.\r\n", "AUTH", "first")
	rc.expect(t, "+OK\r\n", "AUTH", "s3cret")
	rc.expect(t, "$-1\r\n", "GET", "x")
	// The listening address is fixed once the server listens.
	for _, name := range []string{"port", "bind"} {
		rc.expect(t, "-ERR CONFIG SET failed (possibly related to argument '"+name+"') - can't set immutable config\r\n",
			"CONFIG", "SET", name, "1")
	}
	if err := p.stop(); err != nil {
		t.Fatal(err)
	}
}

// launchDiskcachedConf starts diskcached with a config file and waits until
// the port accepts connections (PING needs AUTH there).
func launchDiskcachedConf(conf string, port int, dir string) (*serverProc, error) {
	p := &serverProc{name: "diskcached", addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		port: port, dir: dir, output: &syncBuffer{}, done: make(chan struct{})}
	args := append([]string{conf}, diskcachedArgs(port, dir, nil)...)
	p.cmd = newCmd(binPath, dir, p.output, args...)
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	deadline := time.Now().Add(readyTimeout)
	for time.Now().Before(deadline) {
		if !p.alive() {
			return nil, fmt.Errorf("exited: %v\n%s", p.err, p.output.String())
		}
		if c, err := net.DialTimeout("tcp", p.addr, 200*time.Millisecond); err == nil {
			c.Close()
			return p, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.kill()
	return nil, fmt.Errorf("not listening after %v\n%s", readyTimeout, p.output.String())
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

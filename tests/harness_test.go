// Package tests holds diskcached's end-to-end tests: differential tests
// that send the same commands to a real redis-server and to diskcached and
// compare the reply bytes, tests through real clients (go-redis, redis-cli,
// redis-py), lifecycle tests (restart, crash, startup errors) and bad-input
// tests on raw TCP.
//
// TestMain builds the diskcached binary once, starts one redis-server and one
// shared diskcached for the differential tests, and stops both at the end.
// Tests that need their own server (lifecycle) start it with startDiskcached.
package tests

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	redisServerPath = "/usr/bin/redis-server"
	redisCliPath    = "/usr/bin/redis-cli"
	readyTimeout    = 5 * time.Second
	stopTimeout     = 10 * time.Second
)

var (
	binPath  string // the built diskcached binary; "" when the build failed
	buildErr error  // why the build failed
	tmpRoot  string // removed at the end of TestMain

	redisSrv  *serverProc // shared redis-server, nil if absent or failed
	redisErr  error       // why redisSrv is nil
	sharedSrv *serverProc // shared diskcached for differential / e2e tests
	sharedErr error
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	var err error
	tmpRoot, err = os.MkdirTemp("", "diskcached-tests-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "tests: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(tmpRoot)

	binPath, buildErr = buildBinary(filepath.Join(tmpRoot, "diskcached"))
	if buildErr != nil {
		binPath = ""
		fmt.Fprintln(os.Stderr, "tests: building diskcached failed:", buildErr)
	}

	if _, err := os.Stat(redisServerPath); err != nil {
		redisErr = fmt.Errorf("%s is not installed (apt-get install redis-server); .ci/run installs it", redisServerPath)
	} else {
		redisSrv, redisErr = startRedisServer()
	}
	if redisErr != nil {
		fmt.Fprintln(os.Stderr, "tests: redis-server unavailable:", redisErr)
	}
	if os.Getenv("DIFF_SELFTEST") != "" {
		// Validate the differential tables: compare redis-server with a
		// second redis-server; every mismatch is then a flaky case.
		sharedSrv, sharedErr = startRedisServer()
	} else if buildErr == nil {
		sharedSrv, sharedErr = startDiskcachedProc(filepath.Join(tmpRoot, "shared"), nil)
		if sharedErr != nil {
			fmt.Fprintln(os.Stderr, "tests: shared diskcached failed to start:", sharedErr)
		}
	} else {
		sharedErr = fmt.Errorf("build failed: %w", buildErr)
	}

	code := m.Run()
	printDiffSummary()

	if sharedSrv != nil {
		if err := sharedSrv.stop(); err != nil {
			fmt.Fprintln(os.Stderr, "tests: stopping shared diskcached:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	if redisSrv != nil {
		_ = redisSrv.stop()
	}
	return code
}

// buildBinary runs `go build` for ./cmd/diskcached from the module root.
func buildBinary(out string) (string, error) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Dir(filepath.Dir(file))
	cmd := exec.Command("go", "build", "-o", out, "./cmd/diskcached")
	cmd.Dir = root
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		return "", err
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return "", fmt.Errorf("%v\n%s", err, buf.String())
		}
	case <-time.After(5 * time.Minute):
		_ = cmd.Process.Kill()
		return "", errors.New("go build timed out after 5m")
	}
	return out, nil
}

// syncBuffer is a goroutine-safe bytes.Buffer for a child's stderr.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serverProc is a running server child process.
type serverProc struct {
	name   string
	addr   string // 127.0.0.1:port
	port   int
	dir    string
	cmd    *exec.Cmd
	output *syncBuffer // stdout+stderr
	done   chan struct{}
	err    error // Wait's result, valid after done is closed
	mu     sync.Mutex
	exited bool
}

func (p *serverProc) exitCode() int {
	if p.cmd.ProcessState == nil {
		return -1
	}
	return p.cmd.ProcessState.ExitCode()
}

// stop sends SIGTERM and waits (bounded) for the process to exit; it returns
// an error if the process did not exit in time or exited non-zero.
func (p *serverProc) stop() error {
	select {
	case <-p.done:
		return fmt.Errorf("%s had already exited: %v", p.name, p.err)
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not exit within %v of SIGTERM; killed", p.name, stopTimeout)
	}
	if p.err != nil {
		return fmt.Errorf("%s exited after SIGTERM with %v (code %d)", p.name, p.err, p.exitCode())
	}
	return nil
}

// kill sends SIGKILL and waits for the process to be reaped.
func (p *serverProc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
	}
}

func (p *serverProc) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// launch starts a child and returns once it answers PING (or fails).
func launch(name, path string, args []string, port int, dir string) (*serverProc, error) {
	p := &serverProc{
		name:   name,
		addr:   net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		port:   port,
		dir:    dir,
		output: &syncBuffer{},
		done:   make(chan struct{}),
	}
	p.cmd = newCmd(path, dir, p.output, args...)
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	if err := waitReady(p, readyTimeout); err != nil {
		p.kill()
		return nil, fmt.Errorf("%s %v: %w\noutput:\n%s", name, args, err, p.output.String())
	}
	return p, nil
}

// newCmd prepares a child process running in dir with output captured.
func newCmd(path, dir string, out *syncBuffer, args ...string) *exec.Cmd {
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Dir = dir
	return cmd
}

// waitReady polls PING until +PONG, the process exits, or timeout passes.
func waitReady(p *serverProc, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if !p.alive() {
			return fmt.Errorf("exited before ready: %v", p.err)
		}
		last = pingOnce(p.addr)
		if last == nil || strings.Contains(last.Error(), "-NOAUTH") {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("not ready after %v: %v", timeout, last)
}

func pingOnce(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

func startRedisServer() (*serverProc, error) { return startRedisServerArgs() }

// startRedisServerArgs starts a redis-server on a free port with extra
// arguments; the caller stops it.
func startRedisServerArgs(extra ...string) (*serverProc, error) {
	dir, err := os.MkdirTemp(tmpRoot, "redis-")
	if err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no",
			"--protected-mode", "no", "--logfile", ""}
		args = append(args, extra...)
		p, err := launch("redis-server", redisServerPath, args, port, dir)
		if err == nil {
			return p, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

// diskcachedArgs builds the command line for a diskcached on port with dir.
func diskcachedArgs(port int, dir string, extra []string) []string {
	args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir}
	return append(args, extra...)
}

// startDiskcachedProc starts diskcached with data dir dir (created if
// missing) on a free port; extra are more `--directive value` arguments.
func startDiskcachedProc(dir string, extra []string) (*serverProc, error) {
	if binPath == "" {
		return nil, fmt.Errorf("diskcached binary not built: %v", buildErr)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		p, err := launch("diskcached", binPath, diskcachedArgs(port, dir, extra), port, dir)
		if err == nil {
			return p, nil
		}
		lastErr = err
		if !strings.Contains(err.Error(), "in use") {
			break
		}
	}
	return nil, lastErr
}

// startDiskcached starts a private diskcached for one test; it is killed
// when the test ends if the test did not stop it. dir "" means a new temp dir.
func startDiskcached(t testing.TB, dir string, extra ...string) *serverProc {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	p, err := startDiskcachedProc(dir, extra)
	if err != nil {
		t.Fatalf("start diskcached: %v", err)
	}
	t.Cleanup(func() {
		if p.alive() {
			p.kill()
		}
		if t.Failed() {
			t.Logf("diskcached output (last 4 KiB):\n%s", tail(p.output.String(), 4096))
		}
	})
	return p
}

// runDiskcachedExpectExit runs diskcached with args and waits at most limit
// for it to exit; it returns the exit code and combined output, or fails the
// test if the process is still running after limit.
func runDiskcachedExpectExit(t *testing.T, limit time.Duration, dir string, args ...string) (int, string) {
	t.Helper()
	needBinary(t)
	cmd := exec.Command(binPath, args...)
	cmd.Dir = dir
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("diskcached %v still running after %v (expected a quick exit); output:\n%s", args, limit, out.String())
	}
	return cmd.ProcessState.ExitCode(), out.String()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

func needBinary(t testing.TB) {
	t.Helper()
	if binPath == "" {
		t.Fatalf("diskcached binary not built: %v", buildErr)
	}
}

// needRedis returns the shared redis-server, skipping loudly if absent.
func needRedis(t testing.TB) *serverProc {
	t.Helper()
	if redisSrv == nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("redis-server required in CI: %v", redisErr)
		}
		t.Skipf("SKIPPING differential test: redis-server unavailable: %v", redisErr)
	}
	return redisSrv
}

// needShared returns the shared diskcached, failing the test if it is down.
func needShared(t testing.TB) *serverProc {
	t.Helper()
	if sharedSrv == nil {
		t.Fatalf("shared diskcached not running: %v", sharedErr)
	}
	if !sharedSrv.alive() {
		t.Fatalf("shared diskcached has exited (%v); output:\n%s", sharedSrv.err, tail(sharedSrv.output.String(), 4096))
	}
	return sharedSrv
}

// assertAlive fails the test unless a fresh connection to addr gets +PONG.
func assertAlive(t testing.TB, addr string) {
	t.Helper()
	if err := pingOnce(addr); err != nil {
		t.Fatalf("server at %s no longer answers PING: %v", addr, err)
	}
}

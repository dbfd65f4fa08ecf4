package tests

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// redis-py against diskcached: Lock (EVALSHA, NOSCRIPT → SCRIPT LOAD),
// transaction() with WATCH retries, pub/sub in RESP2.

const pythonPath = "/usr/bin/python3"

// needPython skips (loudly) unless python3 can import every module; in CI
// (CI set) a missing module fails the test instead.
func needPython(t *testing.T, modules ...string) {
	t.Helper()
	if _, err := os.Stat(pythonPath); err != nil {
		t.Skipf("SKIPPING: %s missing", pythonPath)
	}
	for _, m := range modules {
		if _, _, err := runTool(t, 20*time.Second, "", pythonPath, "-c", "import "+m); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("python module %s required in CI (.ci/run installs it): %v", m, err)
			}
			t.Skipf("SKIPPING: python module %s not installed (apt-get install python3-redis python3-django python3-django-redis): %v", m, err)
		}
	}
}

// runPython runs script (which must print "ok" last) and fails with its
// output otherwise. env adds environment variables.
func runPython(t *testing.T, timeout time.Duration, script string, env ...string) string {
	t.Helper()
	cmd := exec.Command(pythonPath, "-c", script)
	cmd.Env = append(os.Environ(), env...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if err != nil || lines[len(lines)-1] != "ok" {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				t.Fatalf("python failed (exit %d):\nstdout:\n%s\nstderr:\n%s", ee.ExitCode(), out.String(), errb.String())
			}
			t.Fatalf("python: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
		}
		for _, l := range lines {
			if strings.HasPrefix(l, "PENDING") {
				t.Log(l)
			}
		}
	case <-time.After(timeout):
		cmd.Process.Kill()
		<-done
		t.Fatalf("python timed out after %v\nstdout:\n%s\nstderr:\n%s", timeout, out.String(), errb.String())
	}
	return out.String()
}

func TestRedisPy_Lock_SurvivesScriptFlush(t *testing.T) {
	needPython(t, "redis")
	srv := startDiskcached(t, "")
	runPython(t, 60*time.Second, fmt.Sprintf(`
import redis, time
r = redis.Redis(host="127.0.0.1", port=%d, socket_timeout=10)
lock = r.lock("py:lock", timeout=5)
assert lock.acquire(blocking=False)
other = r.lock("py:lock", timeout=5)
assert not other.acquire(blocking=False), "second acquire must fail"
r.script_flush()               # next EVALSHA gets NOSCRIPT, redis-py reloads
assert lock.extend(10)
ttl = r.pttl("py:lock")
assert 10000 < ttl <= 15000, ttl
r.script_flush()
assert lock.reacquire()
assert 4000 < r.pttl("py:lock") <= 5000, r.pttl("py:lock")  # reacquire resets to timeout
r.script_flush()
lock.release()
assert r.get("py:lock") is None
stale = r.lock("py:lock", timeout=5)
stale.local.token = b"not-the-owner"
try:
    stale.release()
    raise SystemExit("release of an unowned lock must fail")
except redis.exceptions.LockNotOwnedError:
    pass
with r.lock("py:lock2", timeout=2, blocking_timeout=1) as l2:
    assert r.get("py:lock2") == l2.local.token
print("ok")
`, srv.port))
}

func TestRedisPy_TransactionWatch_RetriesAndCounts(t *testing.T) {
	needPython(t, "redis")
	srv := startDiskcached(t, "")
	runPython(t, 90*time.Second, fmt.Sprintf(`
import redis, threading
PORT = %d
r = redis.Redis(host="127.0.0.1", port=PORT, socket_timeout=10)
r.set("py:ctr", 0)
retries = [0]
def incr(pipe):
    v = int(pipe.get("py:ctr"))
    pipe.multi()
    pipe.set("py:ctr", v + 1)
def worker():
    c = redis.Redis(host="127.0.0.1", port=PORT, socket_timeout=10)
    for _ in range(100):
        c.transaction(incr, "py:ctr")
threads = [threading.Thread(target=worker) for _ in range(4)]
for th in threads: th.start()
for th in threads: th.join()
assert int(r.get("py:ctr")) == 400, r.get("py:ctr")

# a WATCHed key changed by someone else aborts EXEC
p = r.pipeline()
p.watch("py:w")
r2 = redis.Redis(host="127.0.0.1", port=PORT)
r2.set("py:w", "other")
p.multi()
p.set("py:w", "mine")
try:
    p.execute()
    raise SystemExit("EXEC must abort")
except redis.exceptions.WatchError:
    pass
assert r.get("py:w") == b"other"

# queue-time error → EXECABORT
p = r.pipeline()
p.set("a", 1)
p.execute_command("NOSUCHCMD")
try:
    p.execute()
    raise SystemExit("must fail")
except redis.exceptions.ResponseError as e:
    assert "EXECABORT" in str(e) or "unknown command" in str(e), str(e)
print("ok")
`, srv.port))
}

func TestRedisPy_PubSubResp2_DeliversMessages(t *testing.T) {
	needPython(t, "redis")
	srv := startDiskcached(t, "")
	runPython(t, 60*time.Second, fmt.Sprintf(`
import redis, time
PORT = %d
r = redis.Redis(host="127.0.0.1", port=PORT, socket_timeout=10)
ps = r.pubsub()
ps.subscribe("news")
ps.psubscribe("ne*")
m = ps.get_message(timeout=5); assert m["type"] == "subscribe" and m["data"] == 1, m
m = ps.get_message(timeout=5); assert m["type"] == "psubscribe" and m["data"] == 2, m
assert r.publish("news", "hello") == 2
got = []
deadline = time.time() + 5
while len(got) < 2 and time.time() < deadline:
    m = ps.get_message(timeout=1)
    if m: got.append(m)
types = sorted(m["type"] for m in got)
assert types == ["message", "pmessage"], got
assert all(m["data"] == b"hello" for m in got), got
assert r.pubsub_numsub("news") == [(b"news", 1)]
assert r.pubsub_numpat() == 1
assert b"news" in r.pubsub_channels()
# subscribed mode refuses other commands in RESP2
try:
    ps.execute_command("GET", "x")
    ps.parse_response(timeout=5)
    raise SystemExit("GET in subscribed mode must fail")
except redis.exceptions.ResponseError as e:
    assert "only (P|S)SUBSCRIBE" in str(e), str(e)
ps.unsubscribe("news"); ps.punsubscribe("ne*")
time.sleep(0.2)
assert r.publish("news", "x") == 0
# keyspace notifications
r.config_set("notify-keyspace-events", "KEA")
ps2 = r.pubsub()
ps2.psubscribe("__key*__:*")
ps2.get_message(timeout=5)
r.set("nk", "v")
r.delete("nk")
r.set("ek", "v", px=50)
evs = []
deadline = time.time() + 5
while time.time() < deadline and (b"__keyevent@0__:expired", b"ek") not in evs:
    m = ps2.get_message(timeout=1)
    if m and m["type"] == "pmessage": evs.append((m["channel"], m["data"]))
assert (b"__keyevent@0__:expired", b"ek") in evs, evs
for want in [(b"__keyspace@0__:nk", b"set"), (b"__keyevent@0__:del", b"nk"), (b"__keyevent@0__:expire", b"ek")]:
    assert want in evs, (want, evs)
print("ok")
`, srv.port))
}

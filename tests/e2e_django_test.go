package tests

import (
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// django-redis's cache API against diskcached, unmodified: the settings
// module is tests/django/dcsettings.py.
func TestDjangoRedis_CacheAPI_Works(t *testing.T) {
	needPython(t, "redis", "django", "django_redis")
	srv := startDiskcached(t, "")
	_, self, _, _ := runtime.Caller(0)
	settingsDir := filepath.Join(filepath.Dir(self), "django")
	runPython(t, 90*time.Second, `
import django, time
django.setup()
from django.core.cache import cache
from django_redis import get_redis_connection

cache.clear()
assert cache.set("k", {"a": [1, 2]}, timeout=100)
assert cache.get("k") == {"a": [1, 2]}, cache.get("k")
assert cache.get("missing", "dflt") == "dflt"
assert cache.add("k", "other") is False
assert cache.set("n", 10)
assert cache.incr("n") == 11
assert cache.incr("n", 5) == 16
assert cache.decr("n") == 15
assert cache.decr("n", 10) == 5
try:
    cache.incr("nope")
    raise SystemExit("incr of a missing key must raise ValueError")
except ValueError:
    pass
assert cache.get_or_set("gos", lambda: "computed", timeout=50) == "computed"
assert cache.get_or_set("gos", "ignored") == "computed"
cache.set_many({"m1": 1, "m2": 2})
assert cache.get_many(["m1", "m2", "m3"]) == {"m1": 1, "m2": 2}
for i in range(30):
    cache.set("pat:%d" % i, i)
cache.set("other:1", 1)
assert cache.delete_pattern("pat:*") == 30
assert cache.keys("pat:*") == []
assert cache.get("other:1") == 1
ttl = cache.ttl("k")
assert 95 <= ttl <= 100, ttl
assert cache.touch("k", 500)
assert 495 <= cache.ttl("k") <= 500, cache.ttl("k")
assert cache.persist("k")
assert cache.ttl("k") is None
assert cache.expire("k", 20)
assert 15 <= cache.ttl("k") <= 20
assert cache.delete("k")
assert cache.get("k") is None
assert cache.has_key("other:1")
with cache.lock("dj:lock", timeout=5):
    assert get_redis_connection("default").exists(cache.make_key("dj:lock")) == 1
assert get_redis_connection("default").exists(cache.make_key("dj:lock")) == 0
cache.set("short", 1, timeout=1)
time.sleep(1.2)
assert cache.get("short") is None
cache.clear()
assert cache.get("other:1") is None
print("ok")
`, "DJANGO_SETTINGS_MODULE=dcsettings", "PYTHONPATH="+settingsDir, fmt.Sprintf("DISKCACHED_URL=redis://127.0.0.1:%d/1", srv.port))
}

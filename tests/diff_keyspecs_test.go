package tests

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Movable-key commands: COMMAND GETKEYS must find the keys a numkeys
// argument counts, SORT's STORE target, and reply as Redis does when the
// count is bad (an error, or an empty array for scripts and functions).
var keyspecCases = []diffCase{
	{name: "getkeys_numkeys", cmds: cs(`COMMAND GETKEYS eval "return 1" 2 k1 k2 a1`, `COMMAND GETKEYS eval "return 1" 0`,
		`COMMAND GETKEYS eval "return 1" abc`, `COMMAND GETKEYS eval "return 1" 5 a`, `COMMAND GETKEYS eval "return 1" -1`,
		`COMMAND GETKEYS evalsha abc 1 k`, `COMMAND GETKEYS eval_ro "return 1" 1 k`, `COMMAND GETKEYS fcall f 2 k1 k2 x`,
		`COMMAND GETKEYS fcall f 0`, `COMMAND GETKEYS fcall_ro f 1 k`,
		`COMMAND GETKEYS zunionstore d 2 a b weights 1 2`, `COMMAND GETKEYS zinterstore d 2 a b`,
		`COMMAND GETKEYS zunionstore d 0 a`, `COMMAND GETKEYS zunionstore d 5 a`, `COMMAND GETKEYS zdiffstore d 1 a`,
		`COMMAND GETKEYS zunion 2 a b`, `COMMAND GETKEYS zinter 1 a`, `COMMAND GETKEYS zdiff 2 a b`,
		`COMMAND GETKEYS lmpop 2 a b left`, `COMMAND GETKEYS lmpop 0 a left`, `COMMAND GETKEYS lmpop 3 a left`,
		`COMMAND GETKEYS blmpop 0 2 a b left`, `COMMAND GETKEYS zmpop 2 a b min`, `COMMAND GETKEYS bzmpop 1 2 a b min`,
		`COMMAND GETKEYS sintercard 2 a b`, `COMMAND GETKEYS sintercard 0 a`, `COMMAND GETKEYS zintercard 2 a b limit 1`)},
	{name: "getkeys_sort", cmds: cs(`COMMAND GETKEYS sort a store b`, `COMMAND GETKEYS sort a by x get y store b`,
		`COMMAND GETKEYS sort a limit 0 1 store b store c`, `COMMAND GETKEYS sort a store`,
		`COMMAND GETKEYS sort a get store store b`, `COMMAND GETKEYS sort_ro a`, `COMMAND GETKEYS sort a STORE b`)},
}

func TestDiff_Keyspecs_GetKeys(t *testing.T) { runDiffCases(t, keyspecCases) }

// Every command both servers know has Redis 7.0's COMMAND INFO head: name,
// arity, flags (incl. movablekeys, no_mandatory_keys; without the hidden
// may_replicate) and the legacy first/last/step triple.
func TestDiff_Keyspecs_CommandInfoHeads(t *testing.T) {
	r, d := needRedis(t), needShared(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rc := redis.NewClient(&redis.Options{Addr: r.addr, Protocol: 2})
	dc := redis.NewClient(&redis.Options{Addr: d.addr, Protocol: 2})
	defer rc.Close()
	defer dc.Close()
	names, err := dc.Do(ctx, "command", "list").StringSlice()
	if err != nil {
		t.Fatal(err)
	}
	head := func(c *redis.Client, name string) (string, bool) {
		v, err := c.Do(ctx, "command", "info", name).Slice()
		if err != nil || len(v) != 1 || v[0] == nil {
			return "", false
		}
		info := v[0].([]any)
		return fmt.Sprint(info[:6]...), true
	}
	compared := 0
	for _, n := range names {
		want, ok := head(rc, n)
		if !ok {
			continue // ours only (CACHE.*, CL.THROTTLE) or newer than 7.0
		}
		got, _ := head(dc, n)
		if got != want {
			t.Errorf("COMMAND INFO %s: got %s, redis %s", n, got, want)
		}
		compared++
	}
	if compared < 150 {
		t.Fatalf("compared only %d commands", compared)
	}
	if !strings.Contains(fmt.Sprint(names), "sort") {
		t.Fatal("COMMAND LIST without sort")
	}
}

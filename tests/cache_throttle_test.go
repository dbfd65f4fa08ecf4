package tests

import (
	"strconv"
	"testing"
	"time"
)

// TestCache_Throttle_RedisCellExamples replays redis-cell's documented
// examples: the README's first call and its end-to-end test (max burst 0,
// 1 token per 2 s: allowed, limited with retry after 2 s, allowed again
// after waiting that long).
func TestCache_Throttle_RedisCellExamples(t *testing.T) {
	srv := startDiskcached(t, "")
	for _, proto := range []int{2, 3} {
		c := newGoRedis(t, srv.addr, proto)
		cdo(t, c, "FLUSHDB")
		cwant(t, c, "[0 16 15 -1 2]", "CL.THROTTLE", "user123", "15", "30", "60")
		cwant(t, c, "[0 16 14 -1 4]", "CL.THROTTLE", "user123", "15", "30", "60", "1")
		cwant(t, c, "[0 16 4 -1 24]", "CL.THROTTLE", "user123", "15", "30", "60", "10")
		cwant(t, c, "[1 16 4 2 24]", "CL.THROTTLE", "user123", "15", "30", "60", "5")
		if ttl := cdo(t, c, "PTTL", "user123").(int64); ttl < 23000 || ttl > 24000 {
			t.Fatalf("PTTL = %d, want about 24 s", ttl)
		}
		tat, err := strconv.ParseInt(cdo(t, c, "GET", "user123").(string), 10, 64)
		if err != nil || tat < time.Now().UnixNano() {
			t.Fatalf("stored TAT %d, %v", tat, err)
		}
	}
	c := newGoRedis(t, srv.addr, 2)
	cwant(t, c, "[0 1 0 -1 2]", "CL.THROTTLE", "e2e", "0", "1", "2", "1")
	cwant(t, c, "[1 1 0 2 2]", "CL.THROTTLE", "e2e", "0", "1", "2", "1")
	time.Sleep(2 * time.Second)
	cwant(t, c, "[0 1 0 -1 2]", "CL.THROTTLE", "e2e", "0", "1", "2", "1")

	usage := "Cell error: Store error: Usage: cl.throttle <key> <max_burst> <count per period> <period> [<quantity>]"
	cerr(t, c, usage, "CL.THROTTLE", "k", "1", "2")
	cerr(t, c, usage, "CL.THROTTLE", "k", "1", "2", "3", "4", "5")
	cerr(t, c, "Cell error: Store error: Couldn't parse as integer: x", "CL.THROTTLE", "k", "x", "2", "3")
	cerr(t, c, "Cell error: Store error: Zero rates are not supported", "CL.THROTTLE", "k", "1", "0", "3")
	cdo(t, c, "HSET", "h", "f", "v")
	cerr(t, c, "WRONGTYPE Operation against a key holding the wrong kind of value", "CL.THROTTLE", "h", "1", "2", "3")
}

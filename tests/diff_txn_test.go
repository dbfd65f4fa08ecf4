package tests

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/redis/go-redis/v9"
)

// MULTI/EXEC/DISCARD/WATCH edge cases, compared byte for byte with
// redis-server. A single connection modifying its own watched key is
// enough to break a WATCH (Redis flags every watcher, the toucher included).
var txnCases = []diffCase{
	{name: "multi_exec_basic", cmds: cs(`MULTI`, `SET a 1`, `INCR a`, `GET a`, `EXEC`, `GET a`)},
	{name: "multi_empty_exec", cmds: cs(`MULTI`, `EXEC`)},
	{name: "multi_nested", cmds: cs(`MULTI`, `MULTI`, `SET a 1`, `EXEC`, `GET a`)},
	{name: "exec_without_multi", cmds: cs(`EXEC`, `DISCARD`)},
	{name: "discard", cmds: cs(`MULTI`, `SET a 1`, `DISCARD`, `GET a`, `EXEC`)},
	{name: "execabort_unknown", cmds: cs(`MULTI`, `SET a 1`, `NOSUCHCMD x`, `SET b 2`, `EXEC`, `GET a`, `GET b`)},
	{name: "execabort_arity", cmds: cs(`MULTI`, `SET a`, `SET b 2`, `EXEC`, `GET b`)},
	{name: "runtime_error_no_rollback", cmds: cs(`SET s str`, `MULTI`, `SET a 1`, `INCR s`, `LPUSH s x`, `SET b 2`, `EXEC`, `MGET a b s`)},
	{name: "watch_inside_multi", cmds: cs(`MULTI`, `WATCH a`, `SET a 1`, `EXEC`, `GET a`)},
	{name: "watch_untouched", cmds: cs(`SET a 1`, `WATCH a`, `MULTI`, `INCR a`, `EXEC`, `GET a`)},
	{name: "watch_touched_self", cmds: cs(`SET a 1`, `WATCH a`, `SET a 2`, `MULTI`, `INCR a`, `EXEC`, `GET a`)},
	{name: "watch_missing_then_created", cmds: cs(`WATCH a`, `SET a 1`, `MULTI`, `INCR a`, `EXEC`, `GET a`)},
	{name: "watch_del", cmds: cs(`SET a 1`, `WATCH a`, `DEL a`, `MULTI`, `SET a 5`, `EXEC`, `GET a`)},
	{name: "watch_unwatch", cmds: cs(`SET a 1`, `WATCH a`, `SET a 2`, `UNWATCH`, `MULTI`, `INCR a`, `EXEC`)},
	{name: "watch_cleared_by_exec", cmds: cs(`SET a 1`, `WATCH a`, `MULTI`, `INCR a`, `EXEC`, `SET a 9`, `MULTI`, `INCR a`, `EXEC`)},
	{name: "watch_cleared_by_discard", cmds: cs(`SET a 1`, `WATCH a`, `MULTI`, `DISCARD`, `SET a 9`, `MULTI`, `INCR a`, `EXEC`)},
	{name: "watch_flushdb_existing", cmds: cs(`SET a 1`, `WATCH a`, `FLUSHDB`, `MULTI`, `SET b 1`, `EXEC`)},
	{name: "watch_flushdb_missing", cmds: cs(`WATCH a`, `FLUSHDB`, `MULTI`, `SET b 1`, `EXEC`)},
	{name: "watch_flushall_existing", cmds: cs(`SET a 1`, `WATCH a`, `FLUSHALL`, `MULTI`, `SET b 1`, `EXEC`)},
	{name: "watch_swapdb", cmds: cs(`SELECT 1`, `SET a 1`, `SELECT 0`, `WATCH a`, `SWAPDB 0 1`, `MULTI`, `GET a`, `EXEC`, `SWAPDB 0 1`)},
	{name: "watch_rename_dst", cmds: cs(`SET a 1`, `SET b 2`, `WATCH b`, `RENAME a b`, `MULTI`, `GET b`, `EXEC`)},
	{name: "watch_expire_cmd", cmds: cs(`SET a 1`, `WATCH a`, `EXPIRE a 100`, `MULTI`, `GET a`, `EXEC`)},
	{name: "watch_expired_since", cmds: cs(`SET a 1 PX 30`, `WATCH a`, mSleep+` 60`, `MULTI`, `SET b 1`, `EXEC`)},
	{name: "watch_stale_key", cmds: cs(mSkip+` DEBUG SET-ACTIVE-EXPIRE 0`, `SET a 1 PX 1`, mSleep+` 10`, `WATCH a`, `GET a`, `MULTI`, `SET b 1`, `EXEC`, mSkip+` DEBUG SET-ACTIVE-EXPIRE 1`)},
	{name: "watch_other_db", cmds: cs(`SET a 1`, `WATCH a`, `SELECT 1`, `SET a 2`, `SELECT 0`, `MULTI`, `GET a`, `EXEC`)},
	{name: "watch_many_keys", cmds: cs(`WATCH a b c`, `SET c 1`, `MULTI`, `SET a 1`, `EXEC`, `EXISTS a`)},
	{name: "watch_arity", cmds: cs(`WATCH`, `UNWATCH x`)},
	{name: "multi_select_inside", cmds: cs(`MULTI`, `SELECT 1`, `SET a 1`, `SELECT 0`, `EXEC`, `GET a`, `SELECT 1`, `GET a`)},
	{name: "multi_wrongtype_reply", cmds: cs(`SET s x`, `MULTI`, `GET s`, `HGET s f`, `EXEC`)},
	{name: "multi_ping_echo", cmds: cs(`MULTI`, `PING`, `ECHO hi`, `EXEC`)},
	{name: "multi_exec_after_abort_clean", cmds: cs(`MULTI`, `FOO`, `EXEC`, `MULTI`, `SET a 1`, `EXEC`)},
	{name: "multi_queued_errors_flag", cmds: cs(`MULTI`, `GET`, `DISCARD`, `MULTI`, `SET k v`, `EXEC`)},
}

func TestDiffTxn_Cases_MatchRedis(t *testing.T) { runDiffCases(t, txnCases) }

// --- go-redis transactions (not differential: real client behaviour) ---

func TestGoRedisTx_TxPipelined_Atomic(t *testing.T) {
	goRedisProtocols(t, func(t *testing.T, c *redis.Client) {
		ctx := context.Background()
		cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "tx:a", "1", 0)
			p.Incr(ctx, "tx:a")
			p.Get(ctx, "tx:a")
			return nil
		})
		if err != nil {
			t.Fatalf("TxPipelined: %v", err)
		}
		if got := cmds[2].(*redis.StringCmd).Val(); got != "2" {
			t.Fatalf("GET inside tx = %q, want 2", got)
		}
		// A runtime error is reported for its command only; the others ran.
		c.Set(ctx, "tx:s", "str", 0)
		cmds, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Incr(ctx, "tx:s")
			p.Set(ctx, "tx:b", "ok", 0)
			return nil
		})
		if err == nil || cmds[0].Err() == nil || cmds[1].Err() != nil {
			t.Fatalf("want INCR error only: err=%v cmds=%v", err, cmds)
		}
		if v := c.Get(ctx, "tx:b").Val(); v != "ok" {
			t.Fatalf("tx:b = %q", v)
		}
	})
}

// TestGoRedisTx_WatchRetries_NoLostUpdate runs concurrent optimistic
// increments; every increment must land exactly once.
func TestGoRedisTx_WatchRetries_NoLostUpdate(t *testing.T) {
	goRedisProtocols(t, func(t *testing.T, c *redis.Client) {
		ctx := context.Background()
		const workers, each = 8, 50
		var wg sync.WaitGroup
		var retries atomic.Int64
		errs := make(chan error, workers)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					for {
						err := c.Watch(ctx, func(tx *redis.Tx) error {
							n, err := tx.Get(ctx, "tx:ctr").Int()
							if err != nil && err != redis.Nil {
								return err
							}
							_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
								p.Set(ctx, "tx:ctr", n+1, 0)
								return nil
							})
							return err
						}, "tx:ctr")
						if err == redis.TxFailedErr {
							retries.Add(1)
							continue
						}
						if err != nil {
							errs <- err
							return
						}
						break
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("worker: %v", err)
		}
		if n, _ := c.Get(ctx, "tx:ctr").Int(); n != workers*each {
			t.Fatalf("counter = %d, want %d (lost updates; %d retries)", n, workers*each, retries.Load())
		}
		t.Logf("%d retries", retries.Load())
	})
}

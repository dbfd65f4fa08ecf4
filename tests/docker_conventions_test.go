package tests

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// The Docker image runs `diskcached --bind 0.0.0.0 --dir /data
// --protected-mode yes` (docker/Dockerfile). These tests check what the
// image relies on without a Docker engine; the protected-mode decision for
// non-loopback peers is unit-tested in resp (tests never leave 127.0.0.1).

// TestDocker_Bind0000ProtectedMode_ServesLoopback starts the server the
// way the image does and checks a loopback client (the built-in
// healthcheck, docker exec redis-cli) is served without a password.
func TestDocker_Bind0000ProtectedMode_ServesLoopback(t *testing.T) {
	srv := startDiskcached(t, "", "--bind", "0.0.0.0", "--protected-mode", "yes")
	rc, err := dialResp(srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	rc.expect(t, "+PONG\r\n", "PING")
	rc.expect(t, "+OK\r\n", "SET", "k", "v")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, binPath, "healthcheck", "--addr", srv.addr).CombinedOutput()
	if err != nil {
		t.Fatalf("healthcheck against a 0.0.0.0-bound server: %v\n%s", err, out)
	}
}

// TestDocker_BGSAVEBackup_RestoresEveryKey follows docs/docker.md's backup
// and restore: write, BGSAVE while serving, copy dump.db over diskcached.db
// of a fresh data directory, start there, and find every key written
// before the save started.
func TestDocker_BGSAVEBackup_RestoresEveryKey(t *testing.T) {
	dir := t.TempDir()
	srv := startDiskcached(t, dir, "--overlay-size", "1mb")
	c := newGoRedis(t, srv.addr, 0)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const n = 5000
	for i := 0; i < n; i++ { // more than the overlay: some in bbolt, some in memory
		if err := c.Set(ctx, fmt.Sprint("key", i), fmt.Sprint("value", i), 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	c.HSet(ctx, "h", "f1", "v1", "f2", "v2")
	before, _ := c.LastSave(ctx).Result()
	time.Sleep(1100 * time.Millisecond) // LASTSAVE has one-second resolution
	if err := c.BgSave(ctx).Err(); err != nil {
		t.Fatalf("BGSAVE: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		at, _ := c.LastSave(ctx).Result()
		if at > before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("LASTSAVE did not move after BGSAVE")
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.Set(ctx, "after-save", "x", 0) // written after the snapshot: not required in it

	restored := t.TempDir()
	dump, err := os.ReadFile(filepath.Join(dir, "dump.db"))
	if err != nil {
		t.Fatalf("read dump.db: %v", err)
	}
	if err := os.WriteFile(filepath.Join(restored, dbFileName), dump, 0o644); err != nil {
		t.Fatal(err)
	}
	checkBoltFile(t, filepath.Join(restored, dbFileName))
	srv2 := startDiskcached(t, restored)
	c2 := newGoRedis(t, srv2.addr, 0)
	for i := 0; i < n; i++ {
		if v, err := c2.Get(ctx, fmt.Sprint("key", i)).Result(); err != nil || v != fmt.Sprint("value", i) {
			t.Fatalf("restored key%d = %q, %v", i, v, err)
		}
	}
	if v, _ := c2.HGet(ctx, "h", "f2").Result(); v != "v2" {
		t.Fatalf("restored hash field = %q", v)
	}
	if n2, _ := c2.DBSize(ctx).Result(); n2 < n+1 {
		t.Fatalf("restored DBSIZE = %d, want at least %d", n2, n+1)
	}
}

package tests

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// badInputTarget returns the address of a private diskcached (or, with
// DIFF_SELFTEST set, the shared redis-server, to validate expectations).
func badInputTarget(t *testing.T) string {
	t.Helper()
	if os.Getenv("DIFF_SELFTEST") != "" {
		return needRedis(t).addr
	}
	return startDiskcached(t, "").addr
}

// sendAndCollect writes payload on a new connection and reads until the
// server closes the connection or idle passes without data. closed reports
// whether the server closed (EOF or reset).
func sendAndCollect(t *testing.T, addr string, payload []byte, idle time.Duration) (got []byte, closed bool) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	_ = c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(payload); err != nil {
		// The server may close while we are still writing: that is a close.
		return nil, true
	}
	buf := make([]byte, 4096)
	for {
		_ = c.SetReadDeadline(time.Now().Add(idle))
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return got, false
			}
			return got, true // EOF or connection reset
		}
	}
}

// assertErrorOrClose requires that the server answered with an error whose
// text has one of wantPrefixes, or closed the connection without answering.
func assertErrorOrClose(t *testing.T, name string, got []byte, closed bool, wantPrefixes ...string) {
	t.Helper()
	if len(got) == 0 {
		if !closed {
			t.Errorf("%s: no reply and connection left open (server waits on bad input)", name)
		}
		return
	}
	for _, p := range wantPrefixes {
		if bytes.HasPrefix(got, []byte(p)) {
			return
		}
	}
	t.Errorf("%s: reply %q, want an error starting with one of %q or a close", name, got, wantPrefixes)
}

func TestBadInput_MalformedResp_ErrorOrClose(t *testing.T) {
	addr := badInputTarget(t)
	cases := []struct {
		name    string
		payload string
		want    []string
	}{
		{"multibulk_not_number", "*abc\r\n", []string{"-ERR Protocol error: invalid multibulk length"}},
		{"bulk_negative", "*1\r\n$-5\r\n", []string{"-ERR Protocol error: invalid bulk length"}},
		{"bulk_not_number", "*1\r\n$x\r\n", []string{"-ERR Protocol error: invalid bulk length"}},
		{"not_bulk_in_multibulk", "*2\r\n$3\r\nGET\r\n:1\r\n", []string{"-ERR Protocol error: expected '$', got ':'", "-ERR Protocol error"}},
		{"bulk_2gb", "*1\r\n$2147483648\r\n", []string{"-ERR Protocol error: invalid bulk length"}},
		{"bulk_1gb", "*1\r\n$1000000000\r\n", []string{"-ERR Protocol error: invalid bulk length"}},
		{"multibulk_huge", "*4294967296\r\n", []string{"-ERR Protocol error: invalid multibulk length"}},
		{"unbalanced_quotes", "SET \"foo bar\r\n", []string{"-ERR Protocol error: unbalanced quotes in request", "-ERR Protocol error"}},
		{"unbalanced_single_quotes", "SET 'foo bar\r\n", []string{"-ERR Protocol error: unbalanced quotes in request", "-ERR Protocol error"}},
		// Lines that never end (Redis's "protocol desync" tests): cut at
		// the 64 KiB inline limit.
		{"endless_inline", "\x00" + strings.Repeat("payload", 20000), []string{"-ERR Protocol error: too big inline request"}},
		{"endless_multibulk_header", "*\x00" + strings.Repeat("payload", 20000), []string{"-ERR Protocol error: too big mbulk count string"}},
		{"endless_bulk_header", "*1\r\n$\x00" + strings.Repeat("payload", 20000), []string{"-ERR Protocol error: too big bulk count string"}},
		// Not errors: an empty or negative multibulk is skipped.
		{"negative_multibulk_skipped", "*-10\r\n*0\r\n*1\r\n$4\r\nPING\r\n", []string{"+PONG\r\n"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, closed := sendAndCollect(t, addr, []byte(c.payload), 3*time.Second)
			assertErrorOrClose(t, c.name, got, closed, c.want...)
			assertAlive(t, addr)
		})
	}
}

func TestBadInput_MissingCRLF_ServerSurvives(t *testing.T) {
	addr := badInputTarget(t)
	for _, payload := range []string{
		"*1\r\n$4\r\nPINGxx",              // bulk without its CRLF
		"*1\r\n$4\r\nPING\n",              // LF only
		"*1\n$4\nPING\n",                  // LF-only framing
		"*2\r\n$3\r\nGET\r\n$1\r\nab\r\n", // bulk longer than declared
		"*1\r\n$4\r\nPI",                  // truncated
	} {
		sendAndCollect(t, addr, []byte(payload), 300*time.Millisecond)
		assertAlive(t, addr)
	}
}

func TestBadInput_Garbage_ServerSurvives(t *testing.T) {
	addr := badInputTarget(t)
	rng := rand.New(rand.NewSource(42))
	for round := 0; round < 5; round++ {
		payload := make([]byte, 16<<10)
		rng.Read(payload)
		if round%2 == 1 {
			payload[0] = '*' // look like a multibulk
		}
		got, _ := sendAndCollect(t, addr, payload, 500*time.Millisecond)
		if bytes.Contains(got, []byte("+OK")) {
			t.Errorf("random bytes (round %d) produced +OK: %q", round, got[:min(200, len(got))])
		}
		assertAlive(t, addr)
	}
}

func TestBadInput_InlineCommands_Parsed(t *testing.T) {
	addr := badInputTarget(t)
	rc := mustDial(t, addr)
	if err := rc.WriteRaw([]byte("\r\nSET \"a b\" \"c d\"\r\nGET \"a b\"\r\nPING\r\nDEL 'a b'\r\n")); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"+OK\r\n", "$3\r\nc d\r\n", "+PONG\r\n", ":1\r\n"} {
		got, err := rc.ReadReply()
		if err != nil || string(got) != want {
			t.Fatalf("inline command reply %q %v, want %q", got, err, want)
		}
	}
}

func TestBadInput_MillionArgs_IntegerReply(t *testing.T) {
	addr := badInputTarget(t)
	rc := mustDial(t, addr)
	rc.timeout = 2 * time.Minute
	const n = 1_000_000
	rc.expect(t, "+OK\r\n", "MSET", "big:1", "x", "big:500000", "y", "big:999999", "z")
	errc := make(chan error, 1)
	go func() {
		w := bufio.NewWriterSize(rc.c, 256<<10)
		fmt.Fprintf(w, "*%d\r\n$3\r\nDEL\r\n", n+1)
		for i := 0; i < n; i++ {
			k := fmt.Sprintf("big:%d", i)
			fmt.Fprintf(w, "$%d\r\n%s\r\n", len(k), k)
		}
		errc <- w.Flush()
	}()
	start := time.Now()
	got, err := rc.ReadReply()
	if werr := <-errc; werr != nil {
		t.Fatalf("streaming 1M args: %v", werr)
	}
	if err != nil || string(got) != ":3\r\n" {
		t.Fatalf("DEL with 1M keys: reply %q err %v, want :3", got, err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("DEL with 1M keys took %v (redis-server: well under 1 s)", d)
	} else {
		t.Logf("DEL with 1M keys took %v", time.Since(start))
	}
	rc.expect(t, "+PONG\r\n", "PING")
	assertAlive(t, addr)
}

func TestBadInput_HalfCommandThenClose_ServerSurvives(t *testing.T) {
	addr := badInputTarget(t)
	for i := 0; i < 20; i++ {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(c, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\n"+strings.Repeat("v", 50))
		c.Close()
	}
	assertAlive(t, addr)
	rc := mustDial(t, addr)
	rc.expect(t, "$-1\r\n", "GET", "k")
}

func TestProtocol_Pipeline_RepliesInOrder(t *testing.T) {
	addr := badInputTarget(t)
	rc := mustDial(t, addr)
	var buf bytes.Buffer
	const n = 2000
	for i := 0; i < n; i++ {
		if i%2 == 0 {
			buf.Write(encodeCommand("INCR", "ctr"))
		} else {
			buf.WriteString("GET ctr\r\n") // inline, mixed with multibulk
		}
	}
	if err := rc.WriteRaw(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		got, err := rc.ReadReply()
		if err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		v := i/2 + 1
		want := fmt.Sprintf(":%d\r\n", v)
		if i%2 == 1 {
			s := fmt.Sprint(v)
			want = fmt.Sprintf("$%d\r\n%s\r\n", len(s), s)
		}
		if string(got) != want {
			t.Fatalf("pipelined reply %d = %q, want %q", i, got, want)
		}
	}
}

func TestProtocol_MaxClients_Rejects(t *testing.T) {
	var addr string
	if os.Getenv("DIFF_SELFTEST") != "" {
		r, err := startRedisServerArgs("--maxclients", "2")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(r.kill)
		addr = r.addr
	} else {
		addr = startDiskcached(t, "", "--maxclients", "2").addr
	}
	a := mustDial(t, addr)
	a.expect(t, "+PONG\r\n", "PING")
	// The harness's readiness probe may still hold a slot until the server
	// has seen it close: wait until a is the only client.
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if n := bytes.Count(a.mustDo(t, "CLIENT", "LIST"), []byte("id=")); n == 1 {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("%d clients listed 2 s after start; want only this one", n)
		}
	}
	b := mustDial(t, addr)
	b.expect(t, "+PONG\r\n", "PING")
	got, closed := sendAndCollect(t, addr, encodeCommand("PING"), 2*time.Second)
	if string(got) != "-ERR max number of clients reached\r\n" {
		t.Fatalf("third client got %q (closed %v), want -ERR max number of clients reached", got, closed)
	}
	a.Close()
	time.Sleep(100 * time.Millisecond)
	assertAlive(t, addr)
}

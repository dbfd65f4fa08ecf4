package resp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tidwall/redcon"
)

// feedGuard writes chunks into one end of a pipe and reads through a
// guardConn on the other with a buffer of size bufLen, returning each Read.
func feedGuard(t *testing.T, chunks []string, bufLen int, maxBulk int64) (reads []string, err error) {
	t.Helper()
	a, b := net.Pipe()
	defer a.Close()
	g := &guardConn{Conn: b, maxBulk: maxBulk}
	go func() {
		for _, c := range chunks {
			a.Write([]byte(c))
		}
		time.Sleep(20 * time.Millisecond)
		a.Close()
	}()
	buf := make([]byte, bufLen)
	for {
		b.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, err := g.Read(buf)
		if n > 0 {
			reads = append(reads, string(buf[:n]))
		}
		if err != nil {
			return reads, err
		}
	}
}

func TestGuard_Read_HandsOverWholeCommands(t *testing.T) {
	set := "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
	// Commands split at awkward places across writes.
	stream := set + "PING\r\n" + set + set
	var chunks []string
	for i := 0; i < len(stream); i += 7 {
		chunks = append(chunks, stream[i:min(i+7, len(stream))])
	}
	reads, err := feedGuard(t, chunks, 4096, 1<<20)
	if !errors.Is(err, io.EOF) {
		t.Fatalf("err = %v", err)
	}
	if got := strings.Join(reads, ""); got != stream {
		t.Fatalf("stream changed:\n got %q\nwant %q", got, stream)
	}
	for _, r := range reads {
		if !strings.HasSuffix(r, "\r\n") || (strings.HasPrefix(r, "*") && strings.Count(r, "SET") != strings.Count(r, "*3")) {
			t.Fatalf("read %q does not end at a command boundary", r)
		}
	}
}

func TestGuard_Read_CommandLargerThanBuffer_PassesInPieces(t *testing.T) {
	big := "*2\r\n$4\r\nECHO\r\n$100\r\n" + strings.Repeat("x", 100) + "\r\n"
	reads, _ := feedGuard(t, []string{big}, 16, 1<<20)
	if got := strings.Join(reads, ""); got != big {
		t.Fatalf("got %q", got)
	}
	if len(reads) < 2 {
		t.Fatalf("a 100-byte command through a 16-byte buffer came in %d read(s)", len(reads))
	}
}

func TestGuard_Read_OversizedBulk_ServesEarlierCommandsThenFails(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	g := &guardConn{Conn: b, maxBulk: 1024}
	go func() {
		a.Write([]byte("PING\r\n*1\r\n$2000\r\n"))
		io.Copy(io.Discard, a) // the error reply
	}()
	buf := make([]byte, 4096)
	n, err := g.Read(buf)
	if err != nil || !bytes.Equal(buf[:n], []byte("PING\r\n")) {
		t.Fatalf("first read = %q, %v", buf[:n], err)
	}
	if _, err := g.Read(buf); !errors.Is(err, errProtocolLimit) {
		t.Fatalf("second read err = %v, want the protocol limit", err)
	}
}

func TestGuard_Read_EmptyMultibulk_IsSkipped(t *testing.T) {
	ping := "*1\r\n$4\r\nPING\r\n"
	for _, chunks := range [][]string{
		{"*-10\r\n" + ping},
		{"*0\r\n" + ping + "*-1\r\n"},
		{"*-", "1\r", "\nPING\r\n"},  // the header split across reads
		{"*0\r\n*-", "1\r\n" + ping}, // one dropped while the next is read
		{ping, "*0\r\n", "*0\r\n", ping},
	} {
		reads, err := feedGuard(t, chunks, 4096, 1<<20)
		if !errors.Is(err, io.EOF) {
			t.Fatalf("%q: err = %v", chunks, err)
		}
		want := strings.ReplaceAll(strings.Join(chunks, ""), "*-10\r\n", "")
		for _, hdr := range []string{"*0\r\n", "*-1\r\n"} {
			want = strings.ReplaceAll(want, hdr, "")
		}
		if got := strings.Join(reads, ""); got != want {
			t.Fatalf("%q: got %q, want %q", chunks, got, want)
		}
	}
}

// A line that never ends, longer than redcon's buffer: its first pieces
// go to redcon (it must grow for them) before the inline limit is hit;
// that failure used to slice held with a negative mark and panic.
func TestGuard_Read_EndlessInline_FailsWithoutPanic(t *testing.T) {
	for _, lead := range []string{"\x00", "*\x00", "$\x00"} {
		a, b := net.Pipe()
		g := &guardConn{Conn: b, maxBulk: 1 << 20}
		go io.Copy(io.Discard, a) // the error reply
		go func() {
			a.Write([]byte(lead))
			for i := 0; i < 20000; i++ {
				if _, err := a.Write([]byte("payload")); err != nil {
					break
				}
			}
			a.Close()
		}()
		buf := make([]byte, 4096)
		var err error
		for err == nil {
			b.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err = g.Read(buf)
		}
		if !errors.Is(err, errProtocolLimit) {
			t.Fatalf("%q: err = %v, want the protocol limit", lead, err)
		}
		a.Close()
	}
}

// moreRead must only ever claim a whole command that redcon's reader
// (over the guard, as the server builds it) then returns without another
// socket read: a wrong claim would hold a pipeline's answers back while
// the server waits for input the client will not send until it has them.
// The client here sends a pipeline only after the server has read every
// command of the one before (as redis-benchmark does, waiting for replies).
func TestGuard_MoreRead_OnlyClaimsWhatRedconReturns(t *testing.T) {
	cmd := func(name, v string) string {
		return fmt.Sprintf("*3\r\n$%d\r\n%s\r\n$6\r\nmylist\r\n$%d\r\n%s\r\n", len(name), name, len(v), v)
	}
	val := strings.Repeat("x", 100)
	cases := map[string]struct {
		pipeline  []string
		mustClaim bool // some pipeline must be split with a whole command left over
	}{
		// redis-benchmark -P 16 -d 100: 2.2 KB pipelines split by redcon's 4 KiB buffer.
		"benchmark pipelines": {slices.Repeat([]string{cmd("LPUSH", val)}, 16), true},
		"inline commands":     {slices.Repeat([]string{"PING\r\n"}, 400), false}, // never counted
		"mixed": {slices.Repeat([]string{"PING\r\n", cmd("RPUSH", val), "*0\r\n",
			cmd("LPUSH", strings.Repeat("y", 3000))}, 5), false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			a, b := net.Pipe()
			defer a.Close()
			g := &guardConn{Conn: b, maxBulk: 1 << 20}
			perPipeline := 0
			for _, c := range tc.pipeline {
				if c != "*0\r\n" { // an empty multibulk is no command
					perPipeline++
				}
			}
			const pipelines = 8
			next := make(chan struct{}, 1)
			next <- struct{}{}
			go func() {
				for range pipelines {
					<-next
					a.Write([]byte(strings.Join(tc.pipeline, "")))
				}
			}()
			rd := redcon.NewReader(g)
			got, claimed := 0, false
			for got < pipelines*perPipeline {
				b.SetReadDeadline(time.Now().Add(2 * time.Second))
				cmds, err := rd.ReadCommands()
				if err != nil {
					t.Fatalf("after %d commands: %v", got, err)
				}
				got += len(cmds)
				g.parsed += len(cmds)
				if got%perPipeline == 0 {
					next <- struct{}{} // the client gets its answers and sends more
				}
				if g.moreRead() {
					claimed = true
					if got%perPipeline == 0 {
						t.Fatalf("after %d commands (a whole pipeline) moreRead claims more", got)
					}
				}
			}
			if tc.mustClaim && !claimed {
				t.Fatal("moreRead never saw the rest of a split pipeline")
			}
		})
	}
}

// Whole commands followed, in what the guard has read, by input redcon
// may reject must not be held back: redcon drops the commands it parsed
// with a bad one, so held commands would never run.
func TestGuard_MoreRead_NotBeforeInputRedconMayReject(t *testing.T) {
	set := "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$100\r\n" + strings.Repeat("v", 100) + "\r\n"
	for name, bad := range map[string]string{
		"bad bulk end":     "*1\r\n$4\r\nPINGxx",
		"unbalanced quote": "SET k \"v\r\n",
		"stray header":     "*1\r\n%4\r\nPING\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			a, b := net.Pipe()
			defer a.Close()
			g := &guardConn{Conn: b, maxBulk: 1 << 20}
			// A first pipeline of 2 KB leaves redcon 2 KB of buffer, then 20
			// commands (2.6 KB) and the bad input arrive in one read.
			go func() {
				a.Write([]byte(strings.Repeat(set, 16)))
				a.Write([]byte(strings.Repeat(set, 20) + bad))
			}()
			rd := redcon.NewReader(g)
			got, split := 0, false
			for got < 36 {
				b.SetReadDeadline(time.Now().Add(2 * time.Second))
				cmds, err := rd.ReadCommands()
				if err != nil {
					break // redcon met the bad input
				}
				got += len(cmds)
				g.parsed += len(cmds)
				if got > 16 && got < 36 {
					split = true
					if g.moreRead() {
						t.Fatalf("after %d of 36 commands moreRead holds them back, with input redcon may reject read", got)
					}
				}
			}
			if !split {
				t.Fatal("redcon's buffer did not split the second pipeline: the test no longer exercises the hold-back")
			}
		})
	}
}

// A multibulk command is counted as whole only in the exact form redcon
// accepts: anything else is left for redcon to judge, uncounted.
func TestGuard_WholeCount_OnlyStrictForm(t *testing.T) {
	for in, want := range map[string]int{
		"*1\r\n$4\r\nPING\r\n":                1,
		"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n":      1,
		"*1\r\r\n$4\r\nPING\r\n":              0, // two '\r' in a header
		"*1\n$4\r\nPING\r\n":                  0, // no '\r'
		"*1\r\n$4\n\r\nPING\r\n":              0,
		"*1\r\n$\r\n\r\n":                     0, // no length digits
		"*1\r\n$4\r\nPINGxx":                  0, // payload not closed by CRLF
		"*1\r\n$4\r\nPING\n\r":                0,
		"*0\r\n*1\r\n$4\r\nPING\r\n":          1, // the empty multibulk is dropped
		"PING\r\n*1\r\n$4\r\nPING\r\n":        1, // inline commands are not counted
		"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPIN": 1, // the second is not complete yet
	} {
		// Byte by byte and in one piece: the count must not depend on chunking.
		for _, step := range []int{1, len(in)} {
			g := &guardConn{maxBulk: 1 << 20}
			for i := 0; i < len(in); i += step {
				g.take([]byte(in[i:min(i+step, len(in))]))
			}
			if g.whole != want {
				t.Errorf("%q in pieces of %d: %d whole commands, want %d", in, step, g.whole, want)
			}
		}
	}
}

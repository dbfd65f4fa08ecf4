package resp

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
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

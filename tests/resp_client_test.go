package tests

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// respConn is a raw RESP client: it sends commands as multibulk arrays and
// returns each reply's exact bytes.
type respConn struct {
	c       net.Conn
	r       *bufio.Reader
	timeout time.Duration
}

func dialResp(addr string) (*respConn, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, err
	}
	return &respConn{c: c, r: bufio.NewReaderSize(c, 64<<10), timeout: 10 * time.Second}, nil
}

// mustDial dials addr and closes the connection when the test ends.
func mustDial(t testing.TB, addr string) *respConn {
	t.Helper()
	rc, err := dialResp(addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { rc.Close() })
	return rc
}

func (rc *respConn) Close() error { return rc.c.Close() }

// encodeCommand renders args as a RESP multibulk array.
func encodeCommand(args ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.Bytes()
}

// Do sends one command and returns the exact bytes of its reply.
func (rc *respConn) Do(args ...string) ([]byte, error) {
	_ = rc.c.SetDeadline(time.Now().Add(rc.timeout))
	if _, err := rc.c.Write(encodeCommand(args...)); err != nil {
		return nil, err
	}
	return rc.ReadReply()
}

// WriteRaw writes bytes as they are.
func (rc *respConn) WriteRaw(p []byte) error {
	_ = rc.c.SetDeadline(time.Now().Add(rc.timeout))
	_, err := rc.c.Write(p)
	return err
}

// ReadReply reads one complete reply (any RESP2/RESP3 type) and returns
// its raw bytes.
func (rc *respConn) ReadReply() ([]byte, error) {
	_ = rc.c.SetReadDeadline(time.Now().Add(rc.timeout))
	var out []byte
	err := readRaw(rc.r, &out)
	return out, err
}

// mustDo runs a command and fails the test on I/O errors.
func (rc *respConn) mustDo(t testing.TB, args ...string) []byte {
	t.Helper()
	b, err := rc.Do(args...)
	if err != nil {
		t.Fatalf("%s: %v", fmtCmd(args), err)
	}
	return b
}

// expect runs a command and fails the test unless the reply is want.
func (rc *respConn) expect(t testing.TB, want string, args ...string) {
	t.Helper()
	got := rc.mustDo(t, args...)
	if string(got) != want {
		t.Fatalf("%s: got %q, want %q", fmtCmd(args), got, want)
	}
}

func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadBytes('\n')
	if err != nil {
		return line, err
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return line, fmt.Errorf("line not terminated by CRLF: %q", line)
	}
	return line, nil
}

// readRaw appends one reply to out.
func readRaw(r *bufio.Reader, out *[]byte) error {
	line, err := readLine(r)
	*out = append(*out, line...)
	if err != nil {
		return err
	}
	body := string(line[1 : len(line)-2])
	switch line[0] {
	case '+', '-', ':', '_', ',', '#', '(':
		return nil
	case '$', '!', '=':
		n, err := strconv.Atoi(body)
		if err != nil {
			return fmt.Errorf("bad bulk length %q", body)
		}
		if n < 0 {
			return nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return err
		}
		*out = append(*out, buf...)
		if buf[n] != '\r' || buf[n+1] != '\n' {
			return errors.New("bulk not terminated by CRLF")
		}
		return nil
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(body)
		if err != nil {
			return fmt.Errorf("bad aggregate length %q", body)
		}
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			if err := readRaw(r, out); err != nil {
				return err
			}
		}
		if line[0] == '|' { // attribute: the real reply follows
			return readRaw(r, out)
		}
		return nil
	}
	return fmt.Errorf("unknown reply type byte %q in %q", line[0], line)
}

// value is a parsed reply.
type value struct {
	typ   byte
	str   string // simple/bulk/verbatim payload, error text, number text
	null  bool   // $-1, *-1, _
	elems []value
	raw   []byte
}

// parseReply parses one raw reply into a value.
func parseReply(raw []byte) (value, error) {
	r := bufio.NewReader(bytes.NewReader(raw))
	v, err := parseValue(r)
	if err != nil {
		return v, err
	}
	if r.Buffered() > 0 {
		return v, fmt.Errorf("trailing bytes after reply %q", raw)
	}
	return v, nil
}

func parseValue(r *bufio.Reader) (value, error) {
	var raw []byte
	line, err := readLine(r)
	if err != nil {
		return value{}, err
	}
	raw = append(raw, line...)
	v := value{typ: line[0]}
	body := string(line[1 : len(line)-2])
	switch v.typ {
	case '+', '-', ':', ',', '#', '(':
		v.str = body
	case '_':
		v.null = true
	case '$', '!', '=':
		n, err := strconv.Atoi(body)
		if err != nil {
			return v, err
		}
		if n < 0 {
			v.null = true
			break
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return v, err
		}
		raw = append(raw, buf...)
		v.str = string(buf[:n])
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(body)
		if err != nil {
			return v, err
		}
		if n < 0 {
			v.null = true
			break
		}
		if v.typ == '%' || v.typ == '|' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			e, err := parseValue(r)
			if err != nil {
				return v, err
			}
			raw = append(raw, e.raw...)
			v.elems = append(v.elems, e)
		}
		if v.typ == '|' {
			return parseValue(r) // ignore attributes
		}
	default:
		return v, fmt.Errorf("unknown type byte %q", v.typ)
	}
	v.raw = raw
	return v, nil
}

// shape describes a reply's type structure without its values: aggregates
// give their type, length and their elements' shapes; a null is marked.
func shape(v value) string {
	var b strings.Builder
	writeShape(&b, v)
	return b.String()
}

func writeShape(b *strings.Builder, v value) {
	b.WriteByte(v.typ)
	if v.null {
		b.WriteString("null")
		return
	}
	switch v.typ {
	case '*', '~', '>', '%', '|':
		fmt.Fprintf(b, "%d[", len(v.elems))
		for i, e := range v.elems {
			if i > 0 {
				b.WriteByte(' ')
			}
			writeShape(b, e)
		}
		b.WriteByte(']')
	case '-':
		// the error code (first word) is part of the shape
		code, _, _ := strings.Cut(v.str, " ")
		b.WriteString(code)
	}
}

// sortedRaw returns the reply with an array's/set's elements sorted (or a
// map's pairs sorted by key), re-encoded; other replies are returned as is.
func sortedRaw(v value) string {
	switch v.typ {
	case '*', '~':
		if v.null {
			return string(v.raw)
		}
		items := make([]string, len(v.elems))
		for i, e := range v.elems {
			items[i] = string(e.raw)
		}
		sort.Strings(items)
		return fmt.Sprintf("%c%d\r\n%s", v.typ, len(items), strings.Join(items, ""))
	case '%':
		pairs := make([]string, len(v.elems)/2)
		for i := range pairs {
			pairs[i] = string(v.elems[2*i].raw) + string(v.elems[2*i+1].raw)
		}
		sort.Strings(pairs)
		return fmt.Sprintf("%%%d\r\n%s", len(pairs), strings.Join(pairs, ""))
	}
	return string(v.raw)
}

// mapKeys returns the sorted keys of a map reply (RESP3 %) or of a flat
// key/value array (RESP2).
func mapKeys(v value) []string {
	var keys []string
	for i := 0; i+1 < len(v.elems); i += 2 {
		keys = append(keys, v.elems[i].str)
	}
	sort.Strings(keys)
	return keys
}

func fmtCmd(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if len(a) > 60 {
			a = a[:60] + fmt.Sprintf("...(%d bytes)", len(a))
		}
		q[i] = strconv.Quote(a)
	}
	return strings.Join(q, " ")
}

func TestRespClient_ReadRaw_AllTypes(t *testing.T) {
	cases := []string{
		"+OK\r\n", "-ERR x\r\n", ":12\r\n", "$3\r\nabc\r\n", "$-1\r\n", "*-1\r\n",
		"*2\r\n$1\r\na\r\n:1\r\n", "_\r\n", ",1.5\r\n", "#t\r\n", "!3\r\nerr\r\n",
		"=7\r\ntxt:abc\r\n", "(123\r\n", "%1\r\n+k\r\n:1\r\n", "~2\r\n+a\r\n+b\r\n",
		">2\r\n+message\r\n$1\r\nx\r\n", "|1\r\n+a\r\n+b\r\n:5\r\n",
	}
	for _, c := range cases {
		var out []byte
		r := bufio.NewReader(strings.NewReader(c + "+NEXT\r\n"))
		if err := readRaw(r, &out); err != nil {
			t.Fatalf("%q: %v", c, err)
		}
		if string(out) != c {
			t.Fatalf("%q: read %q", c, out)
		}
		if _, err := parseReply(out); err != nil {
			t.Fatalf("parse %q: %v", c, err)
		}
	}
	v, _ := parseReply([]byte("*2\r\n$1\r\nb\r\n$1\r\na\r\n"))
	if got := sortedRaw(v); got != "*2\r\n$1\r\na\r\n$1\r\nb\r\n" {
		t.Fatalf("sortedRaw: %q", got)
	}
	if got := shape(v); got != "*2[$ $]" {
		t.Fatalf("shape: %q", got)
	}
	var out []byte
	if err := readRaw(bufio.NewReader(strings.NewReader("+OK\n")), &out); err == nil {
		t.Fatal("missing CR accepted")
	}
}

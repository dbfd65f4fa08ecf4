package resp

import (
	"errors"
	"net"
	"sync/atomic"
	"time"
)

// redcon buffers a command until all of it has arrived, whatever lengths its
// headers announce. guardConn sits under redcon's reader and enforces Redis's
// input limits as bytes pass: a bulk longer than proto-max-bulk-len, an
// absurd multibulk count or an inline line over 64 KiB gets Redis's protocol
// error and the connection is closed, before anything is buffered. Commands
// that arrived complete before the bad header are still served.
//
// It only reads headers; payload bytes are skipped by count. Input it cannot
// follow (a malformed header) is passed through untouched for redcon to reject.

const (
	maxInlineLen   = 64 << 10
	maxMultibulk   = 1<<31 - 1
	maxHeaderBytes = 20
)

var errProtocolLimit = errors.New("protocol limit exceeded")

type guardState uint8

const (
	gsStart guardState = iota
	gsMultiHdr
	gsBulkStart
	gsBulkHdr
	gsPayload
	gsInline
	gsPass
)

type guardListener struct {
	net.Listener
	maxBulk   *atomic.Int64
	keepAlive func() time.Duration
}

func (l *guardListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		if ka := l.keepAlive(); ka > 0 {
			tc.SetKeepAlive(true)
			tc.SetKeepAlivePeriod(ka)
		}
		tc.SetNoDelay(true)
	}
	return &guardConn{Conn: nc, maxBulk: l.maxBulk.Load()}, nil
}

type guardConn struct {
	net.Conn
	maxBulk int64

	st       guardState
	num      int64
	digits   int
	left     int64 // payload bytes (with CRLF) still to skip
	args     int64 // bulks left in the current multibulk
	inline   int
	failWith string
	readErr  atomic.Int32 // non-zero once the guard rejected input
}

func (g *guardConn) Read(p []byte) (int, error) {
	if g.failWith != "" {
		g.Conn.Write([]byte("-" + g.failWith + "\r\n"))
		g.readErr.Store(1)
		return 0, errProtocolLimit
	}
	n, err := g.Conn.Read(p)
	if n > 0 && g.st != gsPass {
		if cut, msg := g.scan(p[:n]); msg != "" {
			g.failWith = msg
			if cut == 0 {
				return g.Read(p)
			}
			return cut, nil
		}
	}
	return n, err
}

// scan advances the state machine over b. On a limit violation it returns
// the offset where the offending command started in b (0 if it started in
// an earlier chunk) and the error text.
func (g *guardConn) scan(b []byte) (int, string) {
	cmdStart := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch g.st {
		case gsStart:
			cmdStart = i
			if c == '*' {
				g.st, g.num, g.digits = gsMultiHdr, 0, 0
			} else {
				g.st, g.inline = gsInline, 1
				if c == '\n' {
					g.st = gsStart
				}
			}
		case gsMultiHdr:
			switch {
			case c >= '0' && c <= '9':
				g.num = g.num*10 + int64(c-'0')
				g.digits++
				if g.digits > maxHeaderBytes || g.num > maxMultibulk {
					return cmdStart, ErrProtoMultibulkLen
				}
			case c == '\r':
			case c == '\n':
				if g.num <= 0 {
					g.st = gsStart
				} else {
					g.args, g.st = g.num, gsBulkStart
				}
			default:
				g.st = gsPass
				return 0, ""
			}
		case gsBulkStart:
			if c != '$' {
				g.st = gsPass
				return 0, ""
			}
			g.st, g.num, g.digits = gsBulkHdr, 0, 0
		case gsBulkHdr:
			switch {
			case c >= '0' && c <= '9':
				g.num = g.num*10 + int64(c-'0')
				g.digits++
				if g.digits > maxHeaderBytes || g.num > g.maxBulk {
					return cmdStart, ErrProtoBulkLen
				}
			case c == '\r':
			case c == '\n':
				g.left, g.st = g.num+2, gsPayload
			default:
				g.st = gsPass
				return 0, ""
			}
		case gsPayload:
			skip := int64(len(b) - i)
			if skip > g.left {
				skip = g.left
			}
			g.left -= skip
			i += int(skip) - 1
			if g.left == 0 {
				g.args--
				if g.args == 0 {
					g.st = gsStart
				} else {
					g.st = gsBulkStart
				}
			}
		case gsInline:
			if c == '\n' {
				g.st = gsStart
				continue
			}
			g.inline++
			if g.inline > maxInlineLen {
				return cmdStart, ErrProtoInlineTooBig
			}
		}
	}
	return 0, ""
}

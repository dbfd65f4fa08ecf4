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

	st     guardState
	num    int64
	digits int
	left   int64 // payload bytes (with CRLF) still to skip
	args   int64 // bulks left in the current multibulk
	inline int

	// Bytes read from the socket and scanned, not yet handed to redcon.
	// held[:ready] ends at a command boundary. Handing redcon whole
	// commands matters: its reader never compacts, and a read that ends
	// mid-command in a full buffer makes it double the buffer — under a
	// bulk load (redis-cli --pipe) it grew by hundreds of MiB.
	held     []byte
	base     []byte // held's storage, reused once drained
	scratch  []byte
	ready    int
	rerr     error  // socket error to report once held is drained
	failWith string // protocol limit text to send after the complete commands
}

func (g *guardConn) Read(p []byte) (int, error) {
	for {
		if g.ready > 0 {
			n := copy(p, g.held[:g.ready])
			g.consume(n)
			return n, nil
		}
		if g.failWith != "" {
			g.Conn.Write([]byte("-" + g.failWith + "\r\n"))
			return 0, errProtocolLimit
		}
		if len(g.held) >= len(p) || (g.rerr != nil && len(g.held) > 0) {
			// One command larger than redcon's free space (it must grow
			// for it), or the tail before a socket error.
			n := copy(p, g.held)
			g.consume(n)
			return n, nil
		}
		if g.rerr != nil {
			return 0, g.rerr
		}
		if cap(g.scratch) < len(p) {
			g.scratch = make([]byte, len(p))
		}
		n, err := g.Conn.Read(g.scratch[:len(p)])
		if n > 0 {
			g.take(g.scratch[:n])
		}
		if err != nil {
			g.rerr = err
		}
	}
}

// take appends scanned bytes to held and moves the ready mark to the last
// complete command.
func (g *guardConn) take(chunk []byte) {
	start := len(g.held)
	if g.held == nil {
		g.held = g.base[:0]
	}
	g.held = append(g.held, chunk...)
	if start == 0 { // held starts its array: keep that storage for reuse
		g.base = nil
		if cap(g.held) <= 1<<20 { // modest storage only
			g.base = g.held[:0]
		}
	}
	if g.st == gsPass {
		g.ready = len(g.held)
		return
	}
	boundary, msg := g.scan(chunk)
	if boundary >= 0 {
		g.ready = start + boundary
	}
	if msg != "" {
		// Serve the complete commands before the offending one, then fail.
		g.held = g.held[:g.ready]
		g.failWith = msg
		return
	}
	if g.st == gsPass { // input the guard cannot follow: pass it all on
		g.ready = len(g.held)
	}
}

// consume drops n delivered bytes from the front of held.
func (g *guardConn) consume(n int) {
	g.held = g.held[n:]
	g.ready -= n
	if len(g.held) == 0 {
		g.held = nil // the next take starts again at base
	}
}

// scan advances the state machine over b. It returns the offset just
// after the last command that ends in b (-1 if none does) and, on a limit
// violation, Redis's error text (scanning stops there).
func (g *guardConn) scan(b []byte) (int, string) {
	boundary := -1
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch g.st {
		case gsStart:
			if c == '*' {
				g.st, g.num, g.digits = gsMultiHdr, 0, 0
			} else {
				g.st, g.inline = gsInline, 1
				if c == '\n' {
					g.st = gsStart
					boundary = i + 1
				}
			}
		case gsMultiHdr:
			switch {
			case c >= '0' && c <= '9':
				g.num = g.num*10 + int64(c-'0')
				g.digits++
				if g.digits > maxHeaderBytes || g.num > maxMultibulk {
					return boundary, ErrProtoMultibulkLen
				}
			case c == '\r':
			case c == '\n':
				if g.num <= 0 {
					g.st = gsStart
					boundary = i + 1
				} else {
					g.args, g.st = g.num, gsBulkStart
				}
			default:
				g.st = gsPass
				return boundary, ""
			}
		case gsBulkStart:
			if c != '$' {
				g.st = gsPass
				return boundary, ""
			}
			g.st, g.num, g.digits = gsBulkHdr, 0, 0
		case gsBulkHdr:
			switch {
			case c >= '0' && c <= '9':
				g.num = g.num*10 + int64(c-'0')
				g.digits++
				if g.digits > maxHeaderBytes || g.num > g.maxBulk {
					return boundary, ErrProtoBulkLen
				}
			case c == '\r':
			case c == '\n':
				g.left, g.st = g.num+2, gsPayload
			default:
				g.st = gsPass
				return boundary, ""
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
					boundary = i + 1
				} else {
					g.st = gsBulkStart
				}
			}
		case gsInline:
			if c == '\n' {
				g.st = gsStart
				boundary = i + 1
				continue
			}
			g.inline++
			if g.inline > maxInlineLen {
				return boundary, ErrProtoInlineTooBig
			}
		}
	}
	return boundary, ""
}

package resp

import (
	"errors"
	"fmt"
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
	gsBadHdr // a header with a stray byte: on to its end of line, bounded
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
	badBig string // gsBadHdr: the error if the line outgrows maxInlineLen
	neg    bool   // the multibulk count being read is negative
	hdrAt  int    // where in held the multibulk header being read starts
	drops  []int  // [from, to) pairs of held to remove: empty multibulk headers

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

	// Whole commands read but not yet returned by redcon: see moreRead.
	clean  bool // the multibulk being scanned has exactly redcon's form so far
	cr     bool // its current header line has had its '\r'
	whole  int  // clean commands scanned to their end since the last socket read
	parsed int  // commands the handler received since the last socket read
	// dirty: since the last socket read the guard has seen input redcon
	// may reject (an inline command, a header out of the strict form).
	// redcon drops the whole commands it parsed with a bad one, so the
	// handler must not hold back commands that could be followed by it.
	dirty bool
}

// moreRead reports whether a whole command has arrived that redcon has not
// returned yet: it is in redcon's buffers or in held, so redcon's next
// read returns it without touching the socket. That happens when redcon's
// 4 KiB buffer splits a pipeline (16 LPUSHes of 100 bytes are 2.2 KB:
// every other pipeline reached the handler as 14 commands and then 2),
// and the handler then waits for the rest instead of answering in two
// writes after two committer batches. The count is exact for multibulk
// commands in redcon's strict form and leaves out anything else (an inline
// command, input the guard passes through unread), so it never claims too
// much; both counts restart at every socket read, which happens only once
// redcon has returned every whole command read before it. It also answers
// false once anything redcon might reject has been read (dirty): redcon
// drops the commands it parsed together with a bad one, and commands held
// back would then never run.
func (g *guardConn) moreRead() bool { return !g.dirty && g.whole > g.parsed }

// Write skips empty writes: redcon flushes after every batch of commands,
// and a batch whose answers wait for the rest of its pipeline has none
// (Go issues write(2) even for zero bytes).
func (g *guardConn) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return g.Conn.Write(p)
}

func (g *guardConn) Read(p []byte) (n int, err error) {
	// A bug here must cost one connection, not the server: redcon reads on
	// the connection's goroutine, where a panic would end the process.
	defer func() {
		if r := recover(); r != nil {
			n, err = 0, fmt.Errorf("%w: input guard: %v", errProtocolLimit, r)
		}
	}()
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
		g.whole, g.parsed, g.dirty = 0, 0, false
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
	boundary, msg := g.scan(chunk, start)
	if boundary >= 0 {
		g.ready = start + boundary - g.drop()
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

// drop removes the empty multibulk headers scan found from held (redcon
// rejects "*0" and "*-1", which Redis skips) and returns how many bytes
// it removed. Every one ends at or before the new boundary.
func (g *guardConn) drop() int {
	removed := 0
	for i := len(g.drops) - 2; i >= 0; i -= 2 {
		from, to := g.drops[i], g.drops[i+1]
		if from < 0 { // its start already went to redcon: let it fail there
			continue
		}
		g.held = append(g.held[:from], g.held[to:]...)
		removed += to - from
	}
	g.drops = g.drops[:0]
	g.hdrAt -= removed // a header still being read starts after them
	return removed
}

// consume drops n delivered bytes from the front of held. A command
// larger than redcon's free space goes in pieces, past the ready mark.
func (g *guardConn) consume(n int) {
	g.held = g.held[n:]
	g.ready = max(g.ready-n, 0)
	g.hdrAt -= n
	if len(g.held) == 0 {
		g.held = nil // the next take starts again at base
	}
}

// headerCR notes a '\r' in a header line: redcon takes one, right before
// the '\n'.
func (g *guardConn) headerCR() {
	g.clean = g.clean && !g.cr
	g.cr = true
}

// bulkEndsCRLF reports whether the bytes of piece that fall on a bulk's
// closing CRLF are '\r' and '\n'; piece starts where left bytes of the bulk
// (its CRLF included) remain.
func bulkEndsCRLF(piece []byte, left int64) bool {
	for k := max(left-2, 0); k < int64(len(piece)); k++ {
		want := byte('\n')
		if left-k == 2 {
			want = '\r'
		}
		if piece[k] != want {
			return false
		}
	}
	return true
}

// scan advances the state machine over b, which starts at offset start
// of held. It returns the offset just after the last command that ends in
// b (-1 if none does) and, on a limit violation, Redis's error text
// (scanning stops there). Empty multibulk headers ("*0", "*-5") are noted
// in g.drops.
func (g *guardConn) scan(b []byte, start int) (int, string) {
	boundary := -1
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch g.st {
		case gsStart:
			if c == '*' {
				g.st, g.num, g.digits, g.neg, g.hdrAt = gsMultiHdr, 0, 0, false, start+i
				g.clean, g.cr = true, false
			} else {
				g.st, g.inline, g.dirty = gsInline, 1, true
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
				g.clean = g.clean && !g.cr
				if g.digits > maxHeaderBytes || g.num > maxMultibulk {
					return boundary, ErrProtoMultibulkLen
				}
			case c == '-' && g.digits == 0 && !g.neg:
				g.neg = true
			case c == '\r':
				g.headerCR()
			case c == '\n':
				g.clean = g.clean && g.cr
				if g.num == 0 || g.neg { // Redis skips an empty multibulk
					if g.digits == 0 {
						g.st, g.dirty = gsPass, true // "*\r\n": redcon's error
						return boundary, ""
					}
					g.drops = append(g.drops, g.hdrAt, start+i+1)
					g.st = gsStart
					boundary = i + 1
				} else {
					g.args, g.st = g.num, gsBulkStart
				}
			default:
				g.st, g.badBig, g.inline, g.dirty = gsBadHdr, ErrProtoMultibulkBig, g.digits+1, true
			}
		case gsBulkStart:
			if c != '$' {
				g.st, g.dirty = gsPass, true
				return boundary, ""
			}
			g.st, g.num, g.digits, g.cr = gsBulkHdr, 0, 0, false
		case gsBulkHdr:
			switch {
			case c >= '0' && c <= '9':
				g.num = g.num*10 + int64(c-'0')
				g.digits++
				g.clean = g.clean && !g.cr
				if g.digits > maxHeaderBytes || g.num > g.maxBulk {
					return boundary, ErrProtoBulkLen
				}
			case c == '\r':
				g.headerCR()
			case c == '\n':
				g.clean = g.clean && g.cr && g.digits > 0
				g.left, g.st = g.num+2, gsPayload
			default:
				g.st, g.badBig, g.inline, g.dirty = gsBadHdr, ErrProtoBulkBig, g.digits+1, true
			}
		case gsPayload:
			skip := int64(len(b) - i)
			if skip > g.left {
				skip = g.left
			}
			if g.clean && g.left-skip < 2 {
				g.clean = bulkEndsCRLF(b[i:i+int(skip)], g.left)
			}
			g.left -= skip
			i += int(skip) - 1
			if g.left == 0 {
				g.args--
				if g.args == 0 {
					if g.clean {
						g.whole++
					} else {
						g.dirty = true
					}
					g.st = gsStart
					boundary = i + 1
				} else {
					g.st = gsBulkStart
				}
			}
		case gsBadHdr:
			// Redis reads a header to its line end before parsing it: a
			// complete bad line goes to redcon, which rejects it with
			// Redis's text; an endless one is cut at the inline limit.
			if c == '\n' {
				g.st = gsPass
				return boundary, ""
			}
			g.inline++
			if g.inline > maxInlineLen {
				return boundary, g.badBig
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

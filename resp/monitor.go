package resp

import (
	"strconv"
	"strings"
	"time"
)

// MONITOR: after +OK the client receives every command the server runs as
// a status line `+<unix>.<micros> [<db> <addr>] "arg" "arg"…`, arguments
// quoted and escaped the way Redis's sdscatrepr does. Administrative
// commands (and those flagged skip_monitor) are not shown; AUTH passwords
// and HELLO's AUTH credentials are shown as "(redacted)".
//
// Lines are formatted once on the goroutine that ran the command and handed
// to each monitor's bounded queue; a goroutine per monitor writes them with
// WriteAsync. A monitor that cannot keep up loses lines rather than slowing
// the server; one whose connection is gone is dropped.

// monitorQueueLen is how many lines a slow monitor may lag behind.
const monitorQueueLen = 4096

type monitorSink struct {
	c     *Client
	lines chan []byte
	done  chan struct{}
}

// cmdMonitor turns the connection into a monitor. The +OK (and any reply
// before it in the pipeline) is flushed before the first line can be sent.
func cmdMonitor(c *Ctx, args [][]byte) error {
	cl := c.C
	if cl == nil {
		return ReplyError("ERR MONITOR is not allowed here")
	}
	st := c.S.intro()
	st.monMu.Lock()
	_, already := st.mons[cl]
	st.monMu.Unlock()
	if already {
		c.W.OK()
		return nil
	}
	// The sink is registered (and counted: feed skips all work while the
	// count is zero) before +OK goes out, so every command run after the
	// client saw +OK is fed; its lines wait in the queue, and runMonitor's
	// writes wait for wmu, until +OK is written.
	sink := &monitorSink{c: cl, lines: make(chan []byte, monitorQueueLen), done: make(chan struct{})}
	cl.wmu.Lock()
	st.monMu.Lock()
	st.mons[cl] = sink
	monitorsTotal.Add(1)
	st.monMu.Unlock()
	var err error
	if cl.replyMode == replyOn {
		c.W.OK()
		_, err = cl.nc.Write(c.W.Bytes())
		c.W.Truncate(0)
	}
	if err == nil {
		go st.runMonitor(sink)
	} else {
		st.dropMonitor(sink)
	}
	cl.wmu.Unlock()
	return nil
}

// runMonitor writes a monitor's lines until its connection goes away.
func (st *introState) runMonitor(m *monitorSink) {
	defer st.dropMonitor(m)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var buf []byte
	for {
		select {
		case line := <-m.lines:
			buf = append(buf[:0], line...)
			for more := true; more && len(buf) < 64<<10; {
				select {
				case l := <-m.lines:
					buf = append(buf, l...)
				default:
					more = false
				}
			}
			if err := m.c.WriteAsync(buf); err != nil {
				return
			}
		case <-tick.C:
			if m.c.closed.Load() || m.c.killed.Load() {
				return
			}
		}
	}
}

func (st *introState) dropMonitor(m *monitorSink) {
	st.monMu.Lock()
	if st.mons[m.c] == m {
		delete(st.mons, m.c)
		monitorsTotal.Add(-1)
	}
	st.monMu.Unlock()
}

// feed formats one command and queues it for every monitor.
func (st *introState) feed(db int, from string, args [][]byte, always bool) {
	if len(args) == 0 {
		return
	}
	if cmd := st.s.table.Lookup(args[0]); cmd != nil && !always {
		if cmd.Subs != nil && len(args) > 1 {
			if sub := lookupSub(cmd, args[1]); sub != nil {
				cmd = sub
			}
		}
		if cmd.Flags&(FlagAdmin|FlagSkipMonitor) != 0 {
			return
		}
	}
	st.monMu.Lock()
	defer st.monMu.Unlock()
	if len(st.mons) == 0 {
		return
	}
	line := monitorLine(db, from, args, time.Now())
	for _, m := range st.mons {
		select {
		case m.lines <- line:
		default: // the monitor is too slow: it loses this line
		}
	}
}

// monitorLine builds `+<sec>.<usec> [<db> <from>] "a" "b"\r\n`; from is
// the client's address, or "lua" for a command a script ran.
func monitorLine(db int, from string, args [][]byte, now time.Time) []byte {
	b := make([]byte, 0, 64+16*len(args))
	b = append(b, '+')
	b = strconv.AppendInt(b, now.Unix(), 10)
	b = append(b, '.')
	us := strconv.Itoa(now.Nanosecond() / 1000)
	b = append(b, "000000"[len(us):]...)
	b = append(b, us...)
	b = append(b, " ["...)
	b = strconv.AppendInt(b, int64(db), 10)
	b = append(b, ' ')
	b = append(b, from...)
	b = append(b, "] "...)
	redact := redactedArgs(args)
	for i, a := range args {
		if i > 0 {
			b = append(b, ' ')
		}
		if redact != nil && redact[i] {
			a = []byte("(redacted)")
		}
		b = appendRepr(b, a)
	}
	return append(b, '\r', '\n')
}

// redactedArgs marks the arguments Redis hides from MONITOR and SLOWLOG:
// AUTH's user and password, HELLO's AUTH user and password. nil = none.
func redactedArgs(args [][]byte) []bool {
	name := args[0]
	switch {
	case strings.EqualFold(string(name), "auth"):
		r := make([]bool, len(args))
		for i := 1; i < len(args); i++ {
			r[i] = true
		}
		return r
	case strings.EqualFold(string(name), "hello"):
		var r []bool
		for i := 2; i < len(args); i++ {
			if strings.EqualFold(string(args[i]), "auth") && i+2 < len(args) {
				if r == nil {
					r = make([]bool, len(args))
				}
				r[i+1], r[i+2] = true, true
				i += 2
			} else if strings.EqualFold(string(args[i]), "setname") {
				i++
			}
		}
		return r
	}
	return nil
}

// appendRepr appends s double-quoted with Redis's escapes: \\ \" \n \r \t
// \a \b, printable ASCII as is, any other byte as \xHH.
func appendRepr(b, s []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, ch := range s {
		switch ch {
		case '\\', '"':
			b = append(b, '\\', ch)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if ch >= 0x20 && ch <= 0x7e {
				b = append(b, ch)
			} else {
				b = append(b, '\\', 'x', hex[ch>>4], hex[ch&15])
			}
		}
	}
	return append(b, '"')
}

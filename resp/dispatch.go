package resp

import (
	"runtime/debug"
	"sync"
	"time"

	"github.com/tidwall/redcon"

	"github.com/diskcached/diskcached/engine"
)

// A command's trip: redcon hands over the first command of a pipeline; we
// take the rest of the pipeline too, then for each command: look it up
// (sub-command included) → arity → auth → RESP2 subscribed-mode → MULTI
// queue → OOM gate → run. Consecutive commands that need the same kind of
// transaction share one: a pipeline's reads share one read snapshot, its
// writes one group-commit request (and so one commit with other clients'
// writes). Replies are encoded into the connection's buffer and leave only
// after the writes they report have committed.

// maxGroup bounds the commands of one pipeline that share a transaction,
// so no single batch makes an outsized log record or lets the memtable
// overshoot its size before it can rotate. (guardConn already hands redcon
// at most one buffer of whole commands per read.)
const maxGroup = 1024

type txKind uint8

const (
	kindNone  txKind = iota // no engine transaction (connection/server commands)
	kindRead                // read transaction
	kindWrite               // share of the committer's write transaction
	kindQueue               // queued by MULTI
)

func kindOf(cmd *Command) txKind {
	switch {
	case cmd.Flags&(FlagBlocking|FlagOwnTx) != 0:
		return kindNone // they manage their own transactions
	case cmd.Flags&FlagWrite != 0:
		return kindWrite
	case cmd.Flags&FlagReadonly != 0:
		return kindRead
	}
	return kindNone
}

// prepared is a command that passed the gates.
type prepared struct {
	cmd  *Command
	args [][]byte
}

// replyBufs holds reply buffers between pipelines; as many exist as
// pipelines run at once, not one per client.
var replyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxPooledReply is the largest buffer kept in replyBufs.
const maxPooledReply = 4 << 20

// maxHeldBack bounds the commands handle holds back while the rest of
// their pipeline is read (guardConn.moreRead).
const maxHeldBack = 1024

// handle is redcon's callback for the first command of each pipeline read.
func (s *Server) handle(rc redcon.Conn, first redcon.Command) {
	c, ok := rc.Context().(*Client)
	if !ok {
		return
	}
	s.runMu.RLock()
	defer s.runMu.RUnlock()
	if s.stopped {
		rc.Close()
		return
	}
	from := len(c.pipe) // commands held back by the last call come first
	c.pipe = append(c.pipe, first)
	c.pipe = append(c.pipe, rc.ReadPipeline()...)
	var in int64
	for i := range c.pipe[from:] {
		in += int64(len(c.pipe[from+i].Raw))
	}
	s.stats.NetInput.Add(in)
	c.lastActive.Store(time.Now().UnixNano())
	if g := c.guard; g != nil {
		g.parsed += len(c.pipe) - from
		if g.moreRead() && len(c.pipe) < maxHeldBack {
			return // the rest of the pipeline is in redcon's buffers: answer it all at once
		}
	}
	bw := redcon.BaseWriter(rc)
	// Replies are built in a pooled buffer (redcon's Buffer() hands out a
	// fresh copy that would grow from nothing on every pipeline: 16
	// LRANGEs of 100 values are 160 KB), then copied into redcon's.
	out := replyBufs.Get().(*[]byte)
	c.W.b = append((*out)[:0], bw.Buffer()...)
	wakes := s.blocking().wakes.Load()
	c.execPipeline(c.pipe)
	if s.blocking().wakes.Load() != wakes {
		s.blocking().awaitServed() // blocked clients it woke are served first
	}
	s.stats.NetOutput.Add(int64(c.W.Len()))
	bw.SetBuffer(c.W.b)
	if cap(c.W.b) <= maxPooledReply {
		*out = c.W.b[:0]
		replyBufs.Put(out)
	} // else a huge reply: let its storage go
	c.W.b = nil
	clear(c.pipe)
	c.pipe = c.pipe[:0]
	if c.killed.Load() {
		rc.Close()
	}
}

// execPipeline runs cmds in order, grouping runs of same-kind commands.
func (c *Client) execPipeline(cmds []redcon.Command) {
	c.srv.stats.Pipelines.Add(1)
	group := make([]prepared, 0, len(cmds))
	for i := 0; i < len(cmds); {
		if c.killed.Load() || c.closed.Load() {
			return
		}
		args := cmds[i].Args
		cmd, kind, gateErr := c.classify(args)
		i++
		if gateErr != nil {
			c.reject(cmd, gateErr)
			continue
		}
		switch kind {
		case kindQueue:
			c.queueMulti(cmd, args)
			continue
		case kindNone:
			c.call(cmd, args, nil, time.Now())
			continue
		}
		group = append(group[:0], prepared{cmd, args})
		for i < len(cmds) && len(group) < maxGroup {
			ncmd, nkind, nerr := c.classify(cmds[i].Args)
			if nerr != nil || nkind != kind {
				break
			}
			group = append(group, prepared{ncmd, cmds[i].Args})
			i++
		}
		if kind == kindWrite {
			c.runWriteGroup(group)
		} else {
			c.runReadGroup(group)
		}
	}
}

// classify resolves a command and applies every gate without side effects.
func (c *Client) classify(args [][]byte) (*Command, txKind, error) {
	cmd := c.srv.table.Lookup(args[0])
	if cmd == nil {
		return nil, kindNone, errUnknownCommand(args[0], args[1:])
	}
	if cmd.Subs != nil {
		if len(args) < 2 {
			if cmd.Run != nil && cmd.arityOK(1) {
				return cmd, kindOf(cmd), nil // e.g. bare COMMAND
			}
			return cmd, kindNone, errArity(cmd.Name)
		}
		sub := lookupSub(cmd, args[1])
		if sub == nil {
			return cmd, kindNone, errUnknownSubcommand(args[1], cmd.Name)
		}
		cmd = sub
	}
	if !cmd.arityOK(len(args)) {
		return cmd, kindNone, errArity(cmd.Name)
	}
	if !c.authd && cmd.Flags&FlagNoAuth == 0 {
		return cmd, kindNone, ErrNoAuth
	}
	if err := c.BusyGate(cmd); err != nil {
		return cmd, kindNone, err
	}
	if c.inSubscribedMode() && cmd.Flags&FlagSubscribed == 0 {
		return cmd, kindNone, errPubSubContext(cmd.Name)
	}
	if c.inMulti() && cmd.Flags&FlagDenyInMulti != 0 {
		return cmd, kindNone, errNotInTransaction
	}
	if c.inMulti() && cmd.Flags&FlagNoMulti == 0 {
		return cmd, kindQueue, nil
	}
	if cmd.Flags&FlagDenyOOM != 0 && (c.srv.overLimit() || c.srv.dbOverLimit(c.db)) {
		return cmd, kindNone, ErrOOM
	}
	return cmd, kindOf(cmd), nil
}

// lookupSub finds a subcommand by name, any case.
func lookupSub(cmd *Command, name []byte) *Command {
	if sub, ok := cmd.Subs[string(name)]; ok {
		return sub
	}
	return cmd.Subs[lowerName(name)]
}

// reject writes a gate's error. Inside MULTI, a command rejected at queue
// time makes EXEC fail with EXECABORT.
func (c *Client) reject(cmd *Command, err error) {
	if cmd != nil {
		cmd.stats.Rejected.Add(1)
	}
	if c.inMulti() && err != ErrNoAuth {
		c.flagMultiError()
	}
	c.srv.stats.ErrorReplies.Add(1)
	c.W.Error(replyText(err))
}

func (c *Client) runWriteGroup(group []prepared) { c.runGroup(c.srv.db.Update, group) }

func (c *Client) runReadGroup(group []prepared) { c.runGroup(c.srv.db.View, group) }

// runGroup runs a group of commands in one transaction opened by run
// (db.View or db.Update). If the transaction itself fails (a write batch
// that did not commit, a closed store), none of the commands happened:
// their replies are replaced by the error.
func (c *Client) runGroup(run func(func(*engine.Tx) error) error, group []prepared) {
	mark := c.W.Len()
	err := run(func(tx *engine.Tx) error {
		start := time.Now()
		for _, p := range group {
			start = c.call(p.cmd, p.args, tx, start)
		}
		return nil
	})
	if err != nil {
		c.W.Truncate(mark)
		for range group {
			c.W.Error(replyText(err))
		}
	}
}

// call runs one command that passed the gates, inside tx when it needs one,
// and accounts for it. A handler's error replaces anything it wrote. start
// is the time the command begins (its clock for expiry arithmetic); call
// returns the time it ended, which is the start of the next command of a
// group: one clock read per command (two were 2.5 % of a pipelined write
// load's CPU).
func (c *Client) call(cmd *Command, args [][]byte, tx *engine.Tx, start time.Time) time.Time {
	if tx != nil {
		tx.Now = start.UnixMilli()
	}
	ctx := &c.ctx
	ctx.Tx, ctx.DB, ctx.W = tx, c.db, &c.W
	mode := c.replyMode
	mark := c.W.Len()
	noTouch := c.NoTouch && tx != nil && cmd.Name != "touch"
	if noTouch {
		tx.SetNoTouch(true) // CLIENT NO-TOUCH: reads are not accesses
	}
	c.lastCmd.Store(cmd)
	c.srv.feedMonitorScriptCall(c, cmd, args)
	err := runHandler(c.srv, cmd, ctx, args)
	c.srv.feedMonitor(c, args)
	if noTouch {
		tx.SetNoTouch(false)
	}
	if err != nil {
		c.W.Truncate(mark)
		c.W.Error(replyText(err))
		cmd.stats.Failed.Add(1)
		c.srv.stats.ErrorReplies.Add(1)
	}
	switch mode {
	case replyOff:
		if c.replyMode != replyOn { // CLIENT REPLY ON itself is answered
			c.W.Truncate(mark)
		}
	case replySkip:
		if c.replyMode == replyOn {
			break // CLIENT REPLY ON cleared the skip: its OK is sent
		}
		c.W.Truncate(mark)
		if c.replyMode == replySkip && cmd.Name != "client|reply" {
			c.replyMode = replyOn // a CLIENT REPLY SKIP here skips the next one
		}
	}
	ctx.Tx = nil
	end := time.Now()
	dur := end.Sub(start)
	cmd.stats.Calls.Add(1)
	cmd.stats.Usec.Add(dur.Microseconds())
	c.srv.stats.CommandsProcessed.Add(1)
	c.srv.slowlogAdd(c, args, dur)
	return end
}

// runHandler calls the handler, turning a panic into an error reply: the
// server never dies of one command.
func runHandler(s *Server, cmd *Command, ctx *Ctx, args [][]byte) (err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error().Interface("panic", p).Str("cmd", cmd.Name).Bytes("stack", debug.Stack()).Msg("command panicked")
			err = ErrInternal
		}
	}()
	return cmd.Run(ctx, args)
}

// Call runs cmd (already resolved) on behalf of ctx's client inside tx, the
// way EXEC and scripts do: replies go to w. Gates are the caller's business.
func (s *Server) Call(ctx *Ctx, cmd *Command, args [][]byte) error {
	return runHandler(s, cmd, ctx, args)
}

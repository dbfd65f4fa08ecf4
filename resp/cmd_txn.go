package resp

import (
	"sync"
	"sync/atomic"

	"github.com/diskcached/diskcached/engine"
)

// MULTI/EXEC/DISCARD/WATCH/UNWATCH.
//
// Queue-time checks (unknown command, arity) happen in dispatch, which calls
// flagMultiError; EXEC then answers EXECABORT. EXEC runs the whole queue in
// one engine write transaction: atomic on disk, one commit. Runtime errors
// are elements of EXEC's array and nothing is rolled back, as in Redis.
//
// WATCH registers (db, key) in the server's watch registry from inside a
// write transaction, so it is ordered with every write: a write committed
// before the registration is visible to the client's next read, and a write
// after it marks the client's entry touched through engine.Hooks.Modified.
// EXEC checks the entries inside its own transaction, on the committer
// goroutine, so no write can slip between the check and the queued commands.

func txnCommands() []*Command {
	const g = "transactions"
	nm := FlagNoScript | FlagLoading | FlagStale | FlagFast | FlagAllowBusy
	return []*Command{
		{Name: "multi", Arity: 1, Flags: nm | FlagNoMulti, Group: g, Summary: "Starts a transaction.", Run: cmdMulti},
		{Name: "exec", Arity: 1, Flags: FlagNoScript | FlagLoading | FlagStale | FlagSkipSlowlog | FlagNoMulti, Group: g, Summary: "Executes all commands in a transaction.", Run: cmdExec},
		{Name: "discard", Arity: 1, Flags: nm | FlagNoMulti, Group: g, Summary: "Discards a transaction.", Run: cmdDiscard},
		{Name: "watch", Arity: -2, Flags: nm | FlagNoMulti, FirstKey: 1, LastKey: -1, Step: 1, Group: g, Summary: "Monitors changes to keys to determine the execution of a transaction.", Run: cmdWatch},
		{Name: "unwatch", Arity: 1, Flags: nm, Group: g, Summary: "Forgets about watched keys of a transaction.", Run: cmdUnwatch},
	}
}

// multiState is a client's MULTI queue and WATCH list.
type multiState struct {
	active  bool
	dirty   bool // a command was rejected at queue time: EXEC → EXECABORT
	queue   []prepared
	watched []*watchEntry
}

func (c *Client) inMulti() bool { return c.multi.active }

// queueMulti queues a command inside MULTI and replies QUEUED.
func (c *Client) queueMulti(cmd *Command, args [][]byte) {
	cp := make([][]byte, len(args))
	for i, a := range args {
		cp[i] = append([]byte(nil), a...)
	}
	c.multi.queue = append(c.multi.queue, prepared{cmd, cp})
	c.W.Status("QUEUED")
}

// flagMultiError marks the transaction to fail with EXECABORT.
func (c *Client) flagMultiError() { c.multi.dirty = true }

// releaseMulti drops the queue and every watched key (disconnect, RESET).
func (c *Client) releaseMulti() {
	c.unwatchAll()
	c.multi = multiState{}
}

// endMulti leaves MULTI keeping the WATCH list (EXEC/DISCARD drop it).
func (c *Client) endMulti() {
	c.multi.active, c.multi.dirty = false, false
	clear(c.multi.queue)
	c.multi.queue = c.multi.queue[:0]
}

func cmdMulti(c *Ctx, args [][]byte) error {
	if c.C.multi.active {
		return ErrMultiNested
	}
	c.C.multi.active = true
	c.W.OK()
	return nil
}

func cmdDiscard(c *Ctx, args [][]byte) error {
	if !c.C.multi.active {
		return ErrDiscardNoMulti
	}
	c.C.endMulti()
	c.C.unwatchAll()
	c.W.OK()
	return nil
}

// cmdExec runs the queue. A transaction rejected at queue time answers
// EXECABORT; one whose watched keys changed answers a null array; otherwise
// an array with each command's reply (errors included, nothing undone).
func cmdExec(c *Ctx, args [][]byte) error {
	cl := c.C
	if !cl.multi.active {
		return ErrExecNoMulti
	}
	if cl.multi.dirty {
		cl.endMulti()
		cl.unwatchAll()
		return ErrExecAbort
	}
	queue := cl.multi.queue
	defer func() {
		cl.endMulti()
		cl.unwatchAll()
	}()
	mark := c.W.Len()
	aborted := false
	err := c.S.DB().Update(func(tx *engine.Tx) error {
		if cl.watchBroken(tx) {
			aborted = true
			return nil
		}
		c.W.Array(len(queue))
		for _, p := range queue {
			cl.execOne(p, tx, c.W)
		}
		return nil
	})
	if err != nil {
		c.W.Truncate(mark)
		return err
	}
	if aborted {
		c.W.NullArray()
	}
	return nil
}

// execOne runs one queued command inside EXEC's transaction, writing its
// reply (or its error) to w. SELECT inside the transaction applies to the
// commands after it.
func (cl *Client) execOne(p prepared, tx *engine.Tx, w *Writer) {
	start := tx.Now
	tx.Now = nowMillis()
	if tx.Now < start {
		tx.Now = start
	}
	ctx := &Ctx{S: cl.srv, C: cl, W: w, Tx: tx, DB: cl.db}
	mark := w.Len()
	cl.srv.feedMonitorScriptCall(cl, p.cmd, p.args)
	err := cl.srv.Call(ctx, p.cmd, p.args)
	cl.srv.feedMonitor(cl, p.args) // before EXEC's own line, as in Redis
	p.cmd.stats.Calls.Add(1)
	cl.srv.stats.CommandsProcessed.Add(1)
	if err != nil {
		w.Truncate(mark)
		w.Error(replyText(err))
		p.cmd.stats.Failed.Add(1)
		cl.srv.stats.ErrorReplies.Add(1)
	}
}

// cmdWatch registers keys; see the file comment for why it takes a write
// transaction. A key that is live now and expires before EXEC aborts the
// transaction (Redis 7); one that was already expired does not.
func cmdWatch(c *Ctx, args [][]byte) error {
	cl := c.C
	if cl.multi.active {
		return ErrWatchInMulti
	}
	reg := c.S.ext().watch
	c.S.installHooks()
	err := c.S.DB().Update(func(tx *engine.Tx) error {
		for _, k := range args[1:] {
			if cl.isWatching(c.DB, k) {
				continue
			}
			e := &watchEntry{c: cl, db: c.DB, key: string(k), existed: tx.Exists(c.DB, k)}
			reg.add(e)
			cl.multi.watched = append(cl.multi.watched, e)
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.W.OK()
	return nil
}

func cmdUnwatch(c *Ctx, args [][]byte) error {
	c.C.unwatchAll()
	c.W.OK()
	return nil
}

func (c *Client) isWatching(db int, key []byte) bool {
	for _, e := range c.multi.watched {
		if e.db == db && e.key == string(key) {
			return true
		}
	}
	return false
}

func (c *Client) unwatchAll() {
	if len(c.multi.watched) == 0 {
		return
	}
	c.srv.ext().watch.remove(c.multi.watched)
	clear(c.multi.watched)
	c.multi.watched = c.multi.watched[:0]
}

// watchBroken reports, inside EXEC's transaction, whether any watched key
// changed since WATCH: written (touched), its db flushed or swapped while the
// key existed before or exists now, or expired since WATCH.
func (c *Client) watchBroken(tx *engine.Tx) bool {
	reg := c.srv.ext().watch
	reg.mu.Lock()
	defer reg.mu.Unlock()
	for _, e := range c.multi.watched {
		if e.touched {
			return true
		}
		live := tx.Exists(e.db, []byte(e.key))
		if e.flushed && (e.existed || live) {
			return true
		}
		if e.existed && !live {
			return true
		}
	}
	return false
}

// watchEntry is one client's WATCH on (db, key). Its flags are guarded by
// the registry's mutex.
type watchEntry struct {
	c       *Client
	db      int
	key     string
	existed bool // live at WATCH time
	touched bool // written since
	flushed bool // whole db flushed or swapped since
}

type watchKey struct {
	db  int
	key string
}

// watchRegistry maps watched keys to their entries. n counts entries so the
// write path costs one atomic load when nobody watches.
type watchRegistry struct {
	mu   sync.Mutex
	n    atomic.Int64
	keys map[watchKey][]*watchEntry
}

func (r *watchRegistry) add(e *watchEntry) {
	r.mu.Lock()
	if r.keys == nil {
		r.keys = make(map[watchKey][]*watchEntry)
	}
	k := watchKey{e.db, e.key}
	r.keys[k] = append(r.keys[k], e)
	r.n.Add(1)
	r.mu.Unlock()
}

func (r *watchRegistry) remove(es []*watchEntry) {
	r.mu.Lock()
	for _, e := range es {
		k := watchKey{e.db, e.key}
		list := r.keys[k]
		for i, x := range list {
			if x == e {
				list[i] = list[len(list)-1]
				list = list[:len(list)-1]
				r.n.Add(-1)
				break
			}
		}
		if len(list) == 0 {
			delete(r.keys, k)
		} else {
			r.keys[k] = list
		}
	}
	r.mu.Unlock()
}

// modified is the engine's Modified hook: key == nil means all of db.
func (r *watchRegistry) modified(db int, key []byte) {
	if r.n.Load() == 0 {
		return
	}
	r.mu.Lock()
	if key == nil {
		for k, list := range r.keys {
			if k.db == db {
				for _, e := range list {
					e.flushed = true
				}
			}
		}
	} else {
		for _, e := range r.keys[watchKey{db, string(key)}] {
			e.touched = true
		}
	}
	r.mu.Unlock()
}

// installHooks connects WATCH and keyspace notifications to the engine's
// hooks. It is idempotent; resp.New should call it before serving (it is
// also called lazily by WATCH and SUBSCRIBE). It must not be called from
// inside an engine transaction. Installing through Update orders the hook
// assignment with the committer goroutine that reads it.
func (s *Server) installHooks() {
	if s.db == nil {
		return
	}
	s.hooksOnce.Do(s.setHooks)
}

func (s *Server) setHooks() {
	ext := s.ext()
	h := engine.Hooks{
		Modified: ext.watch.modified,
		Expired: func(tx *engine.Tx, db int, key []byte) {
			s.notify(NotifyExpired, "expired", db, key)
		},
		Evicted: func(tx *engine.Tx, db int, key []byte) {
			s.notify(NotifyEvicted, "evicted", db, key)
		},
	}
	if err := s.db.Update(func(*engine.Tx) error { s.db.SetHooks(h); return nil }); err != nil {
		s.db.SetHooks(h)
	}
}

package resp

import (
	"errors"
	"math"
	"math/big"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/diskcached/diskcached/datatypes"
	"github.com/diskcached/diskcached/engine"
)

// Blocking pops (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP).
//
// A blocking command runs on its client's goroutine without a transaction.
// It registers a waiter on each of its keys (a FIFO queue per (db, key)),
// then tries once in a write transaction; when nothing can be served it
// waits for a wake-up, its timeout, CLIENT UNBLOCK, shutdown or the client's
// disconnection, and tries again. A waiter keeps its place in every queue
// until it is served or gives up, so first-blocked is first-served.
//
// Writes that add list elements call signalKeyReady after the write; it wakes
// the first waiter of that key. A woken waiter that finds nothing (someone
// else was faster) stays where it was. When a waiter leaves after having
// been woken (served, failed, timed out, gone), the next waiter of each of
// its keys is woken in its place, so waiters are served one after the other
// in the order they blocked and an element is never left behind while
// someone waits for it.

// ErrUnblocked is what CLIENT UNBLOCK … ERROR makes the blocked command reply.
const ErrUnblocked ReplyError = "UNBLOCKED client unblocked via CLIENT UNBLOCK"

// pollInterval is how often a blocked client's socket is checked for EOF.
const pollInterval = 100 * time.Millisecond

type blockKey struct {
	db  int
	key string
}

type waiter struct {
	c       *Client
	db      int
	keys    []string
	wake    chan struct{} // a signal: try again
	unblock chan bool     // CLIENT UNBLOCK; true = with error
	woken   bool          // guarded by blockState.mu
	// pending: the first attempt has not run yet; deferred: an attempt
	// left a key alone for a pending waiter ahead (servable). Both
	// guarded by blockState.mu.
	pending, deferred bool
	arrival           int64 // when the command was read (queue order)
}

type blockState struct {
	mu       sync.Mutex
	queues   map[blockKey][]*waiter
	byClient map[int64]*waiter
	waiting  atomic.Int64
	closing  chan struct{}
	closed   bool
	// busy counts the waiters that are woken (a wake-up to act on, or an
	// attempt running); idle is closed while it is zero (awaitServed).
	// wakes counts the times a waiter became woken (a waiter acting on
	// a second signal counts again).
	busy  int
	idle  chan struct{}
	wakes atomic.Uint64
}

func newBlockState() *blockState {
	return &blockState{
		queues:   map[blockKey][]*waiter{},
		byClient: map[int64]*waiter{},
		closing:  make(chan struct{}),
		idle:     closedChan(),
	}
}

func closedChan() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// setWoken sets w.woken and keeps busy and idle in step (mu held).
func (b *blockState) setWoken(w *waiter, on bool) {
	if w.woken == on {
		return
	}
	w.woken = on
	if on {
		if b.busy == 0 {
			b.idle = make(chan struct{})
		}
		b.busy++
		b.wakes.Add(1)
		return
	}
	if b.busy--; b.busy == 0 {
		close(b.idle)
	}
}

// servedWait bounds how long a command that woke blocked clients waits
// for them before its reply goes (awaitServed).
const servedWait = 5 * time.Millisecond

// awaitServed waits, at most servedWait, until no waiter is woken. A
// command that woke blocked clients calls it before its reply is sent, so
// that, as in Redis (which serves them before it writes the pusher's
// reply), the client sees their pops done — a chain included: a served
// BRPOPLPUSH that wakes another keeps its own wake-up until that one is
// woken (Redis's TCL "Circular BRPOPLPUSH" reads the lists right after
// its RPUSH).
func (b *blockState) awaitServed() {
	b.mu.Lock()
	idle := b.idle
	b.mu.Unlock()
	t := time.NewTimer(servedWait)
	defer t.Stop()
	select {
	case <-idle:
	case <-t.C:
	}
}

func (s *Server) blocking() *blockState { return s.blockSt }

// BlockedClients is the number of clients waiting in a blocking command
// (INFO's blocked_clients).
func (s *Server) BlockedClients() int { return int(s.blocking().waiting.Load()) }

// UnblockClient makes client id's blocking command return at once: with
// the UNBLOCKED error when withError, else as if it timed out. It reports
// whether the client was blocked.
func (s *Server) UnblockClient(id int64, withError bool) bool {
	b := s.blocking()
	b.mu.Lock()
	w := b.byClient[id]
	b.mu.Unlock()
	if w == nil {
		return false
	}
	select {
	case w.unblock <- withError:
	default:
	}
	return true
}

// shutdown releases every blocked client (they reply as on timeout) and
// makes later blocking commands return at once.
func (b *blockState) shutdown() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.closing)
	}
	b.mu.Unlock()
}

// signalKeyReady tells waiters of (db, key) that the list or sorted set
// there now holds n elements. Waiters are served one at a time in queue
// order, as Redis does: the first waiter is woken; when a waiter of this
// key is already woken (trying, or about to), it is only told to look again
// and the wake-up moves on to the next waiter when it leaves (unregister).
// Cheap when nobody waits. Safe to call inside a transaction.
func (s *Server) signalKeyReady(db int, key []byte, n int64) {
	b := s.blocking()
	if b.waiting.Load() == 0 || n <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	q := b.queues[blockKey{db, string(key)}]
	for _, w := range q {
		if w.woken {
			select {
			case w.wake <- struct{}{}:
			default:
			}
			return
		}
	}
	if len(q) > 0 {
		b.wakeLocked(q[0])
	}
}

// SignalKeyReady wakes waiters of (db, key) if key now holds a non-empty
// list or sorted set. For commands that make a value appear at a key
// without pushing (RENAME, COPY, MOVE, SORT … STORE): call it inside the
// transaction after the write. O(1) when nobody is blocked.
func (s *Server) SignalKeyReady(tx *engine.Tx, db int, key []byte) {
	if s.blocking().waiting.Load() == 0 {
		return
	}
	m, ok, err := tx.Lookup(db, key)
	if err != nil || !ok {
		return
	}
	switch m.Type {
	case engine.TypeList:
		if n, err := datatypes.ListLen(tx, db, key); err == nil {
			s.signalKeyReady(db, key, n)
		}
	case engine.TypeZSet:
		s.signalKeyReady(db, key, m.Count)
	}
}

// SignalDBReady re-checks every key clients are blocked on in db (after
// SWAPDB brought in another database's contents).
func (s *Server) SignalDBReady(tx *engine.Tx, db int) {
	b := s.blocking()
	if b.waiting.Load() == 0 {
		return
	}
	b.mu.Lock()
	var keys []string
	for k := range b.queues {
		if k.db == db {
			keys = append(keys, k.key)
		}
	}
	b.mu.Unlock()
	for _, k := range keys {
		s.SignalKeyReady(tx, db, []byte(k))
	}
}

func (b *blockState) wakeLocked(w *waiter) {
	if w.woken {
		return
	}
	b.setWoken(w, true)
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// before orders waiters as Redis's event loop would have run their
// commands: by the time they were read, and commands read within the same
// couple of milliseconds (ready together, Redis serves them in connection
// order) by client id.
func (w *waiter) before(x *waiter) bool {
	const together = int64(2 * time.Millisecond)
	if d := w.arrival - x.arrival; d > -together && d < together {
		return w.c.ID < x.c.ID
	}
	return w.arrival < x.arrival
}

// register queues w on its keys in the order the commands were read, so
// two clients whose commands arrive together block in arrival order even
// when their goroutines get here the other way round.
func (b *blockState) register(w *waiter) {
	w.arrival = w.c.lastActive.Load()
	b.mu.Lock()
	w.pending = true
	for _, k := range w.keys {
		bk := blockKey{w.db, k}
		q := append(b.queues[bk], w)
		i := len(q) - 1
		for ; i > 0 && w.before(q[i-1]); i-- {
			q[i] = q[i-1]
		}
		q[i] = w
		b.queues[bk] = q
	}
	b.byClient[w.c.ID] = w
	b.mu.Unlock()
	b.waiting.Add(1)
}

// unregister removes w from its queues. If w had been woken, the first
// waiter of each of its keys is woken instead, unless one there is woken
// already.
func (b *blockState) unregister(w *waiter) {
	b.waiting.Add(-1)
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.byClient, w.c.ID)
	passOn := w.woken
	for _, k := range w.keys {
		bk := blockKey{w.db, k}
		q := b.queues[bk]
		for i, x := range q {
			if x == w {
				q = append(q[:i:i], q[i+1:]...)
				break
			}
		}
		if len(q) == 0 {
			delete(b.queues, bk)
			continue
		}
		b.queues[bk] = q
		if passOn && !anyWoken(q, nil) {
			b.wakeLocked(q[0])
		}
	}
	b.setWoken(w, false) // after passing the wake-up on: busy stays above zero
}

// anyWoken reports whether a waiter of q other than except is being served
// already (it hands the wake-up on when it leaves: one at a time per key,
// in queue order).
func anyWoken(q []*waiter, except *waiter) bool {
	for _, x := range q {
		if x.woken && x != except {
			return true
		}
	}
	return false
}

// servable leaves out of keys those where another waiter comes first:
// one that is woken (being served; its attempt may not have run yet), or
// one queued ahead of client id's waiter whose first attempt has not run
// (its command was read first but its goroutine is behind). Without this a
// blocking command could take an element past a waiter that Redis, whose
// one thread runs commands in the order it reads them, would have served
// first (Redis's TCL "BRPOPLPUSH with multiple blocked clients": a push
// arriving just after two blocking commands). A waiter that leaves a key
// for a pending one is marked deferred and woken when that one's first
// attempt has run (firstDone). Keys are returned unchanged for a client
// that is not blocked (MULTI, scripts).
func (b *blockState) servable(id int64, db int, keys [][]byte) [][]byte {
	if b.waiting.Load() == 0 {
		return keys
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	w := b.byClient[id]
	if w == nil {
		return keys
	}
	out := keys[:0:0]
	for _, k := range keys {
		q := b.queues[blockKey{db, string(k)}]
		if anyWoken(q, w) {
			continue
		}
		if pendingAhead(q, w) {
			w.deferred = true
			continue
		}
		out = append(out, k)
	}
	return out
}

// pendingAhead reports whether a waiter before w in q has a first attempt
// still to run (false when w is not in q).
func pendingAhead(q []*waiter, w *waiter) bool {
	ahead := false
	for _, x := range q {
		if x == w {
			return ahead
		}
		ahead = ahead || x.pending
	}
	return false
}

// firstDone records that w's first attempt ran, and wakes a waiter that
// deferred to it on each of its keys (it looks again; unless another
// waiter is being served there).
func (b *blockState) firstDone(w *waiter) {
	b.mu.Lock()
	defer b.mu.Unlock()
	w.pending = false
	for _, k := range w.keys {
		q := b.queues[blockKey{w.db, k}]
		if anyWoken(q, w) {
			continue
		}
		for _, x := range q {
			if x != w && x.deferred {
				x.deferred = false
				b.wakeLocked(x)
				break
			}
		}
	}
}

// parseTimeout reads a blocking timeout in seconds (strtold syntax, so hex
// and exponents too; 0 = forever) with Redis's errors and rounding (up to
// the next millisecond). Like Redis on x86, a value whose milliseconds do
// not fit in 64 bits (inf, 1e300) reads as negative.
func parseTimeout(b []byte) (time.Duration, error) {
	bf, ok := datatypes.ParseLongDouble(b)
	if !ok {
		return 0, ErrTimeout
	}
	if bf.IsInf() {
		return 0, ErrTimeoutNegative
	}
	msf := new(big.Float).SetPrec(64).Mul(bf, big.NewFloat(1000))
	ms, acc := msf.Int(nil) // truncated toward zero
	if acc == big.Below {
		ms.Add(ms, big.NewInt(1)) // ceil of a positive fraction
	}
	if ms.Sign() < 0 || !ms.IsInt64() {
		return 0, ErrTimeoutNegative
	}
	n := ms.Int64()
	if n > math.MaxInt64/int64(time.Millisecond) {
		n = math.MaxInt64 / int64(time.Millisecond)
	}
	return time.Duration(n) * time.Millisecond, nil
}

// tryFunc attempts a blocking command's work inside c.Tx. It writes the
// reply only when it served the client (served true) and must not write
// before it knows. retry is false for the first attempt (made when the
// command arrives) and true after a wake-up: then, as in Redis, a source key
// holding another type is skipped (the client keeps waiting) instead of
// failing with WRONGTYPE.
type tryFunc func(c *Ctx, retry bool) (served bool, err error)

// block runs a blocking command: try now; if nothing to serve, wait on keys
// until served or timeout (0 = forever; then a null array, whatever the
// command). Inside MULTI/EXEC or a script (c.Tx set) it never waits: with
// nothing to serve it replies with empty, as the non-blocking form would.
func block(c *Ctx, keys [][]byte, timeout time.Duration, try tryFunc, empty func(w *Writer)) error {
	if c.Tx != nil {
		served, err := try(c, false)
		if err == nil && !served {
			empty(c.W)
		}
		return err
	}
	onTimeout := (*Writer).NullArray
	s := c.S
	b := s.blocking()
	w := &waiter{c: c.C, db: c.DB, wake: make(chan struct{}, 1), unblock: make(chan bool, 1)}
	for _, k := range keys {
		w.keys = append(w.keys, string(k))
	}
	b.register(w)
	defer b.unregister(w)

	var deadline <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		deadline = t.C
	}
	poll := time.NewTicker(pollInterval)
	defer poll.Stop()
	for retry := false; ; retry = true {
		// w.woken stays set through the attempt, so a woken waiter that
		// leaves (served or failed) passes the wake-up on in unregister.
		served, err := tryUpdate(c, try, retry)
		if !retry {
			b.firstDone(w)
		}
		if err != nil || served {
			return err
		}
		b.mu.Lock()
		b.setWoken(w, false)
		b.mu.Unlock()
		for woken := false; !woken; {
			select {
			case <-w.wake:
				b.mu.Lock()
				b.setWoken(w, true) // keeps later signals from waking the next waiter
				b.mu.Unlock()
				if clientGone(c.C) {
					return nil // a dead client must not consume anything
				}
				woken = true
			case <-deadline:
				onTimeout(c.W)
				return nil
			case withErr := <-w.unblock:
				if withErr {
					return ErrUnblocked
				}
				onTimeout(c.W)
				return nil
			case <-b.closing:
				onTimeout(c.W)
				return nil
			case <-poll.C:
				if clientGone(c.C) {
					return nil // nobody to reply to; nothing consumed
				}
			}
		}
	}
}

// tryUpdate runs try in its own write transaction.
func tryUpdate(c *Ctx, try tryFunc, retry bool) (bool, error) {
	var served bool
	var terr error
	mark := c.W.Len()
	err := c.S.DB().Update(func(tx *engine.Tx) error {
		c.Tx = tx
		defer func() { c.Tx = nil }()
		served, terr = try(c, retry)
		return nil
	})
	if err != nil {
		c.W.Truncate(mark)
		return false, err
	}
	return served, terr
}

// keysOfType returns the keys a blocking command may take from now: those
// no other waiter is being served from (servable), and, when retry is
// set, that currently hold a value of type t (missing, expired and
// other-typed keys left out).
func keysOfType(c *Ctx, keys [][]byte, t engine.Type, retry bool) [][]byte {
	keys = c.S.blocking().servable(c.C.ID, c.DB, keys)
	if !retry {
		return keys
	}
	var out [][]byte
	for _, k := range keys {
		if m, ok, err := c.Tx.Lookup(c.DB, k); err == nil && ok && m.Type == t {
			out = append(out, k)
		}
	}
	return out
}

// clientGone reports whether c's peer closed the connection (or the server
// dropped it), without consuming any pending input.
func clientGone(c *Client) bool {
	if c.closed.Load() || c.killed.Load() {
		return true
	}
	rc := rawConn(c.nc)
	if rc == nil {
		return false
	}
	gone := false
	err := rc.Read(func(fd uintptr) bool {
		var buf [1]byte
		n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == nil && n == 0:
			gone = true // orderly EOF
		case err != nil && !errors.Is(err, syscall.EAGAIN) && !errors.Is(err, syscall.EINTR):
			gone = true // reset or similar
		}
		return true // never wait for readiness
	})
	if err != nil {
		return true // closed descriptor
	}
	return gone
}

// rawConn digs the OS socket out of the wrappers around a connection.
func rawConn(nc net.Conn) syscall.RawConn {
	for i := 0; i < 8 && nc != nil; i++ {
		switch v := nc.(type) {
		case *guardConn:
			nc = v.Conn
		case syscall.Conn:
			rc, err := v.SyscallConn()
			if err != nil {
				return nil
			}
			return rc
		case interface{ NetConn() net.Conn }:
			nc = v.NetConn()
		default:
			return nil
		}
	}
	return nil
}

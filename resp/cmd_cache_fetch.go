package resp

import (
	"crypto/rand"
	"encoding/hex"
	"math"
	mrand "math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/diskcached/diskcached/datatypes"
	"github.com/diskcached/diskcached/engine"
)

// Stampede-proof fetch: CACHE.FETCH and CACHE.FILL.
//
// Leases live in memory (a restart forgets them: a holder's CACHE.FILL is
// then still accepted, see cmdCacheFill). Per (db, key) at most one lease is
// active; callers that miss while it is active wait in FIFO order. When the
// holder fills the key every waiter is woken and reads the value; when the
// lease expires unfilled, the first waiter still waiting takes it over with
// a new token (and its own lease-ms).
//
// Reply of CACHE.FETCH: [value, state, token], state one of
//
//	hit      the value (token null)
//	compute  the key is missing and the caller holds the lease (value null)
//	early    XFetch chose the caller to recompute before expiry: the
//	         current value plus a lease token
//	wait     the caller waited and the key was filled meanwhile (value)
//	timeout  the caller waited TIMEOUT ms in vain (value and token null)
//
// A non-null token always means "compute, then CACHE.FILL with it".

func cacheFetchCommands() []*Command {
	return []*Command{
		// FETCH waits in its own loop (own transactions), as blocking
		// commands do; inside MULTI or a script it never waits.
		{Name: "cache.fetch", Arity: -3, Flags: FlagReadonly | FlagBlocking, FirstKey: 1, LastKey: 1, Group: cacheGroup, Summary: "Returns a value, or a lease to compute it (stampede protection).", Run: cmdCacheFetch},
		{Name: "cache.fill", Arity: -4, Flags: FlagWrite | FlagDenyOOM, FirstKey: 1, LastKey: 1, Group: cacheGroup, Summary: "Stores the value computed under a CACHE.FETCH lease and wakes the waiters.", Run: cmdCacheFill},
	}
}

// fetchRand draws XFetch's uniform number in (0, 1]; tests replace it.
var fetchRand = func() float64 { return 1 - mrand.Float64() }

// fetchPoll bounds how long a waiter sleeps before looking at the key
// again (a value stored by a plain SET wakes nobody).
const fetchPoll = 100 * time.Millisecond

type leaseKey struct {
	db  int
	key string
}

type lease struct {
	token    string
	granted  time.Time
	deadline time.Time
	waiters  []*fetchWaiter
}

type fetchWaiter struct {
	wake chan struct{} // the key was filled: read it
}

type fetchState struct {
	mu     sync.Mutex
	leases map[leaseKey]*lease
}

func (s *Server) fetches() *fetchState { return s.fetchSt }

func newLeaseToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// grantLocked gives the caller a new lease on k, replacing an expired one
// (its waiters stay queued).
func (f *fetchState) grantLocked(k leaseKey, leaseMs int64, now time.Time) string {
	if len(f.leases) > 1024 {
		for lk, l := range f.leases { // drop abandoned leases
			if len(l.waiters) == 0 && now.After(l.deadline) {
				delete(f.leases, lk)
			}
		}
	}
	l := f.leases[k]
	if l == nil {
		l = &lease{}
		f.leases[k] = l
	}
	l.token = newLeaseToken()
	l.granted = now
	l.deadline = now.Add(time.Duration(leaseMs) * time.Millisecond)
	return l.token
}

// activeLocked reports whether someone holds an unexpired lease on k.
func (f *fetchState) activeLocked(k leaseKey, now time.Time) bool {
	l := f.leases[k]
	return l != nil && l.token != "" && now.Before(l.deadline)
}

func (f *fetchState) removeWaiterLocked(k leaseKey, w *fetchWaiter) {
	l := f.leases[k]
	if l == nil {
		return
	}
	for i, x := range l.waiters {
		if x == w {
			l.waiters = append(l.waiters[:i:i], l.waiters[i+1:]...)
			return
		}
	}
}

type fetchOpts struct {
	leaseMs int64
	beta    float64
	timeout time.Duration // 0 = forever
}

// parseFetchOpts: lease-ms [BETA b] [TIMEOUT ms]; TIMEOUT defaults to
// twice the lease (long enough to see an expired lease pass on).
func parseFetchOpts(args [][]byte) (fetchOpts, error) {
	var o fetchOpts
	n, ok := datatypes.ParseInt(args[0])
	if !ok || n <= 0 {
		return o, ErrLeaseMs
	}
	o.leaseMs = n
	o.timeout = time.Duration(min(n, math.MaxInt64/int64(time.Millisecond)/2)) * 2 * time.Millisecond
	for i := 1; i < len(args); i += 2 {
		if i+1 >= len(args) {
			return o, ErrSyntax
		}
		switch strings.ToLower(string(args[i])) {
		case "beta":
			b, ok := datatypes.ParseFloat(args[i+1])
			if !ok || b < 0 || math.IsInf(b, 0) {
				return o, ErrBeta
			}
			o.beta = b
		case "timeout":
			t, ok := datatypes.ParseInt(args[i+1])
			if !ok || t < 0 {
				return o, ErrTimeoutNegative
			}
			o.timeout = time.Duration(min(t, math.MaxInt64/int64(time.Millisecond))) * time.Millisecond
		default:
			return o, ErrSyntax
		}
	}
	return o, nil
}

func writeFetch(w *Writer, value []byte, state, token string) {
	w.Array(3)
	if value == nil {
		w.Null()
	} else {
		w.Bulk(value)
	}
	w.BulkString(state)
	if token == "" {
		w.Null()
	} else {
		w.BulkString(token)
	}
}

// readFetch reads key in c.Tx, or in a read transaction of its own.
func readFetch(c *Ctx, key []byte) (fv datatypes.FetchValue, ok bool, now int64, err error) {
	if c.Tx != nil {
		fv, ok, err = datatypes.ReadFetch(c.Tx, c.DB, key)
		return fv, ok, c.Tx.Now, err
	}
	err = c.S.DB().View(func(tx *engine.Tx) error {
		var e error
		fv, ok, e = datatypes.ReadFetch(tx, c.DB, key)
		now = tx.Now
		return e
	})
	return fv, ok, now, err
}

// cmdCacheFetch: CACHE.FETCH key lease-ms [BETA b] [TIMEOUT ms]. A key of
// another type → WRONGTYPE. A hit counts as a keyspace hit, a granted
// lease as a miss.
func cmdCacheFetch(c *Ctx, args [][]byte) error {
	o, err := parseFetchOpts(args[2:])
	if err != nil {
		return err
	}
	key := args[1]
	k := leaseKey{c.DB, string(key)}
	f := c.S.fetches()

	fv, ok, nowMs, err := readFetch(c, key)
	if err != nil {
		return err
	}
	if ok {
		c.Count(true)
		if fv.ExpireAt != 0 && datatypes.XFetchEarly(fv.DeltaMs, o.beta, fv.ExpireAt-nowMs, fetchRand()) {
			f.mu.Lock()
			if !f.activeLocked(k, time.Now()) { // one early recomputer at a time
				token := f.grantLocked(k, o.leaseMs, time.Now())
				f.mu.Unlock()
				writeFetch(c.W, fv.Value, "early", token)
				return nil
			}
			f.mu.Unlock()
		}
		writeFetch(c.W, fv.Value, "hit", "")
		return nil
	}

	// Miss: under the lock, look again (a fill may just have landed), then
	// take the lease or queue behind its holder.
	w := &fetchWaiter{wake: make(chan struct{}, 1)}
	f.mu.Lock()
	if fv, ok, _, err = readFetch(c, key); err != nil || ok {
		f.mu.Unlock()
		if err == nil {
			c.Count(true)
			writeFetch(c.W, fv.Value, "hit", "")
		}
		return err
	}
	if !f.activeLocked(k, time.Now()) {
		token := f.grantLocked(k, o.leaseMs, time.Now())
		f.mu.Unlock()
		c.Count(false)
		writeFetch(c.W, nil, "compute", token)
		return nil
	}
	if c.Tx != nil { // MULTI / script: never wait
		f.mu.Unlock()
		writeFetch(c.W, nil, "timeout", "")
		return nil
	}
	l := f.leases[k]
	l.waiters = append(l.waiters, w)
	f.mu.Unlock()
	return waitFetch(c, k, w, o)
}

// waitFetch is a queued caller's loop: woken by a fill (read the value),
// by the lease deadline (the first waiter takes an
// expired lease over), by its timeout, a dead client or shutdown.
func waitFetch(c *Ctx, k leaseKey, w *fetchWaiter, o fetchOpts) error {
	f := c.S.fetches()
	leave := func() {
		f.mu.Lock()
		f.removeWaiterLocked(k, w)
		f.mu.Unlock()
	}
	var deadline time.Time
	if o.timeout > 0 {
		deadline = time.Now().Add(o.timeout)
	}
	closing := c.S.blocking().closing
	for {
		f.mu.Lock()
		sleep := fetchPoll
		if l := f.leases[k]; l != nil {
			if d := time.Until(l.deadline); d < sleep {
				sleep = max(d, time.Millisecond)
			}
		}
		f.mu.Unlock()
		if !deadline.IsZero() {
			if d := time.Until(deadline); d < sleep {
				sleep = max(d, 0)
			}
		}
		t := time.NewTimer(sleep)
		select {
		case <-w.wake:
		case <-t.C:
		case <-closing:
			t.Stop()
			leave()
			writeFetch(c.W, nil, "timeout", "")
			return nil
		}
		t.Stop()
		if clientGone(c.C) {
			leave()
			return nil
		}
		fv, ok, _, err := readFetch(c, []byte(k.key))
		if err != nil || ok {
			leave()
			if err == nil {
				c.Count(true)
				writeFetch(c.W, fv.Value, "wait", "")
			}
			return err
		}
		// Still missing: take over an expired lease if first in line (or
		// if there is no lease any more, e.g. the filled key vanished).
		f.mu.Lock()
		l := f.leases[k]
		now := time.Now()
		if l == nil || !f.activeLocked(k, now) {
			if l == nil || len(l.waiters) == 0 || l.waiters[0] == w {
				f.removeWaiterLocked(k, w)
				token := f.grantLocked(k, o.leaseMs, now)
				f.mu.Unlock()
				c.Count(false)
				writeFetch(c.W, nil, "compute", token)
				return nil
			}
		}
		f.mu.Unlock()
		if !deadline.IsZero() && !now.Before(deadline) {
			leave()
			writeFetch(c.W, nil, "timeout", "")
			return nil
		}
	}
}

// cmdCacheFill: CACHE.FILL key token value [EX|PX|EXAT|PXAT n] [TAG tag].
// Stores value (as CACHE.SET does) when token is the key's current lease —
// or when no lease exists any more (filled by someone else, or forgotten
// by a restart: a freshly computed value is still worth keeping) — and,
// once committed, ends the lease and wakes every waiter. The compute time
// (lease grant → fill) is recorded for XFetch. A token superseded by a
// handover → ERR lease token does not match …
func cmdCacheFill(c *Ctx, args [][]byte) error {
	o, at, err := parseCacheWriteOpts(args[4:], false, "cache.fill", c.Tx.Now)
	if err != nil {
		return err
	}
	key, token := args[1], string(args[2])
	k := leaseKey{c.DB, string(key)}
	f := c.S.fetches()
	f.mu.Lock()
	l := f.leases[k]
	if l != nil && l.token != token {
		f.mu.Unlock()
		return ErrLeaseToken
	}
	var deltaMs int64
	if l != nil {
		deltaMs = max(time.Since(l.granted).Milliseconds(), 1)
	}
	f.mu.Unlock()

	isNew := c.creating(key)
	datatypes.CacheSet(c.Tx, c.DB, key, args[3], datatypes.CacheSetOptions{ExpireAt: at, Tag: o.tag})
	if deltaMs > 0 {
		datatypes.SaveDelta(c.Tx, c.DB, key, deltaMs, at)
	}
	c.notifySet(isNew, key, o.exp != nil)
	if l != nil {
		c.S.DB().AfterCommit(func() { f.release(k, token) })
	}
	c.W.OK()
	return nil
}

// release ends the lease named token on k (if still current) and wakes
// every waiter to read the value.
func (f *fetchState) release(k leaseKey, token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.leases[k]
	if l == nil || l.token != token {
		return
	}
	delete(f.leases, k)
	for _, w := range l.waiters {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

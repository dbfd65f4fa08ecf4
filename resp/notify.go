package resp

import (
	"bytes"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/diskcached/diskcached/datatypes"
)

// Keyspace notifications (notify-keyspace-events) and the per-server state
// of the transaction, scripting and pub/sub features.

// Notification classes, as Redis's notify-keyspace-events letters.
const (
	NotifyKeyspace = 1 << iota // K
	NotifyKeyevent             // E
	NotifyGeneric              // g
	NotifyString               // $
	NotifyList                 // l
	NotifySet                  // s
	NotifyHash                 // h
	NotifyZset                 // z
	NotifyExpired              // x
	NotifyEvicted              // e
	NotifyStream               // t
	NotifyKeyMiss              // m (not part of A)
	notifyLoaded               // module only
	NotifyModule               // d
	NotifyNew                  // n (not part of A)

	NotifyAll = NotifyGeneric | NotifyString | NotifyList | NotifySet | NotifyHash | NotifyZset |
		NotifyExpired | NotifyEvicted | NotifyStream | NotifyModule
)

var notifyLetters = []struct {
	c    byte
	flag int
}{
	{'g', NotifyGeneric}, {'$', NotifyString}, {'l', NotifyList}, {'s', NotifySet},
	{'h', NotifyHash}, {'z', NotifyZset}, {'x', NotifyExpired}, {'e', NotifyEvicted},
	{'t', NotifyStream}, {'d', NotifyModule}, {'n', NotifyNew},
}

// ParseNotifyFlags turns a notify-keyspace-events value into class flags;
// ok is false when it holds a letter that names no class.
func ParseNotifyFlags(s string) (flags int, ok bool) {
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case 'A':
			flags |= NotifyAll
		case 'K':
			flags |= NotifyKeyspace
		case 'E':
			flags |= NotifyKeyevent
		case 'm':
			flags |= NotifyKeyMiss
		default:
			found := false
			for _, l := range notifyLetters {
				if l.c == ch {
					flags |= l.flag
					found = true
				}
			}
			if !found {
				return 0, false
			}
		}
	}
	return flags, true
}

// NotifyFlagsString is the canonical spelling CONFIG GET shows. One
// deliberate difference from Redis: with every class (A) and "new" (n),
// Redis shows "AKE" and so loses n on a round trip; we keep it as "AnKE"
// (the stored value is this spelling, and events follow it).
func NotifyFlagsString(flags int) string {
	var b []byte
	if flags&NotifyAll == NotifyAll {
		b = append(b, 'A')
		if flags&NotifyNew != 0 {
			b = append(b, 'n')
		}
	} else {
		for _, l := range notifyLetters {
			if flags&l.flag != 0 {
				b = append(b, l.c)
			}
		}
	}
	if flags&NotifyKeyspace != 0 {
		b = append(b, 'K')
	}
	if flags&NotifyKeyevent != 0 {
		b = append(b, 'E')
	}
	if flags&NotifyKeyMiss != 0 {
		b = append(b, 'm')
	}
	return string(b)
}

// notifyState caches the parsed directive; the raw value is compared on
// each event so CONFIG SET takes effect at once without a change hook.
type notifyState struct {
	mu    sync.Mutex
	raw   string
	flags atomic.Int64
}

func (n *notifyState) current(cfg *Config) int {
	raw := cfg.Get("notify-keyspace-events")
	n.mu.Lock()
	if raw != n.raw {
		f, _ := ParseNotifyFlags(raw)
		n.raw = raw
		n.flags.Store(int64(f))
	}
	n.mu.Unlock()
	return int(n.flags.Load())
}

// notify publishes a keyspace event: "__keyspace@<db>__:<key>" with the
// event name as message (K) and "__keyevent@<db>__:<event>" with the key as
// message (E), when class is enabled. It never blocks: subscribers get
// messages through their bounded queues. Handlers call it after a change
// (e.g. s.notify(NotifyString, "set", db, key)).
func (s *Server) notify(class int, event string, db int, key []byte) {
	ext := s.ext()
	if ext.ps.empty() {
		return
	}
	flags := ext.notify.current(s.cfg)
	if flags&class == 0 {
		return
	}
	dbs := strconv.Itoa(db)
	var kch, ech []byte
	if flags&NotifyKeyspace != 0 {
		kch = make([]byte, 0, 16+len(dbs)+len(key))
		kch = append(kch, "__keyspace@"...)
		kch = append(kch, dbs...)
		kch = append(kch, "__:"...)
		kch = append(kch, key...)
	}
	if flags&NotifyKeyevent != 0 {
		ech = make([]byte, 0, 16+len(dbs)+len(event))
		ech = append(ech, "__keyevent@"...)
		ech = append(ech, dbs...)
		ech = append(ech, "__:"...)
		ech = append(ech, event...)
	}
	keyCopy := append([]byte(nil), key...) // key may alias the transaction
	// Published once the write is committed and readable, never for a
	// write whose batch failed.
	publish := func() {
		if kch != nil {
			ext.ps.publish(kch, []byte(event), false)
		}
		if ech != nil {
			ext.ps.publish(ech, keyCopy, false)
		}
	}
	if s.db == nil {
		publish()
		return
	}
	s.db.AfterCommit(publish)
}

// Notify is notify for other packages' use (same rules).
func (s *Server) Notify(class int, event string, db int, key []byte) {
	s.notify(class, event, db, key)
}

// extState is the server-wide state of this feature set. It hangs off the
// Server through a side table so server.go needs no field for it.
type extState struct {
	watch   *watchRegistry
	ps      *pubsubRegistry
	notify  *notifyState
	scripts *scriptCache
}

func newExtState(s *Server) *extState {
	return &extState{
		watch:   &watchRegistry{},
		ps:      newPubsubRegistry(s),
		notify:  &notifyState{raw: "\x00"},
		scripts: newScriptCache(),
	}
}

func (s *Server) ext() *extState { return s.extSt }

func nowMillis() int64 { return time.Now().UnixMilli() }

// Handler-side helpers. Handlers call them after a write succeeded, in the
// order Redis emits the events: "new" (class n) when the write created the
// key, the command's own event, then "del" when a removal left a
// collection empty (the key is gone).

// wants reports whether an event of class would reach anyone now.
func (s *Server) wants(class int) bool {
	ext := s.ext()
	if ext.ps.empty() {
		return false
	}
	return ext.notify.current(s.cfg)&class != 0
}

// event publishes event for key in the command's database.
func (c *Ctx) event(class int, event string, key []byte) {
	c.S.notify(class, event, c.DB, key)
}

// creating is asked before a write that may create key: true when "new"
// events are wanted and key is absent (an expired key counts as absent and
// is removed first, publishing "expired" as Redis does). It is false when
// nobody listens, so the probe costs nothing then.
func (c *Ctx) creating(key []byte) bool {
	if c.Tx == nil || !c.S.wants(NotifyNew) {
		return false
	}
	_, ok, err := c.Tx.Lookup(c.DB, key)
	return err == nil && !ok
}

// created publishes "new" when creating said key was absent and the write
// left it existing (a write that did nothing publishes nothing).
func (c *Ctx) created(wasAbsent bool, key []byte) {
	if wasAbsent && c.Tx.Exists(c.DB, key) {
		c.event(NotifyNew, "new", key)
	}
}

// removed publishes event for a removal from key, then "del" when that
// removal emptied it (Redis deletes empty collections).
func (c *Ctx) removed(class int, event string, key []byte) {
	if c.S.ext().ps.empty() {
		return // nobody listens: skip the existence probe
	}
	c.event(class, event, key)
	if !c.Tx.Exists(c.DB, key) {
		c.event(NotifyGeneric, "del", key)
	}
}

// storeProbe is the state of a *STORE destination before the write.
type storeProbe struct {
	existed, absentNew bool
}

// probeStore is asked before a command overwrites dst with a computed
// result (SINTERSTORE, ZUNIONSTORE, SORT … STORE, BITOP, …).
func (c *Ctx) probeStore(dst []byte) storeProbe {
	if c.S.ext().ps.empty() {
		return storeProbe{}
	}
	p := storeProbe{absentNew: c.creating(dst)}
	p.existed = c.Tx.Exists(c.DB, dst)
	return p
}

// stored publishes what Redis does after a store: "new" and event when the
// result was written (non-empty), "del" when an empty result removed an
// existing destination, nothing when an empty result met no destination.
func (c *Ctx) stored(p storeProbe, class int, event string, dst []byte) {
	if c.S.ext().ps.empty() {
		return
	}
	switch {
	case c.Tx.Exists(c.DB, dst):
		c.created(p.absentNew, dst)
		c.event(class, event, dst)
	case p.existed:
		c.event(NotifyGeneric, "del", dst)
	}
}

// notifySet publishes the events of a string write by SET and its
// relatives: "new" when it created key, "set", then "expire" when the
// command gave a time to live.
func (c *Ctx) notifySet(wasAbsent bool, key []byte, withExpire bool) {
	c.created(wasAbsent, key)
	c.event(NotifyString, "set", key)
	if withExpire {
		c.event(NotifyGeneric, "expire", key)
	}
}

// notifyMoved publishes the events of RENAME, MOVE and COPY: "new" for the
// destination (Redis re-adds it even when it replaced a key), fromEvent for
// the source (skipped when srcDB < 0: COPY), then toEvent for the
// destination.
func (c *Ctx) notifyMoved(srcDB int, src []byte, dstDB int, dst []byte, fromEvent, toEvent string) {
	c.S.notify(NotifyNew, "new", dstDB, dst)
	if srcDB >= 0 {
		c.S.notify(NotifyGeneric, fromEvent, srcDB, src)
	}
	c.S.notify(NotifyGeneric, toEvent, dstDB, dst)
}

// endEvent names a list event by its end: "l"+op for the head (Left),
// "r"+op for the tail — lpush, rpop, ….
func endEvent(end int, op string) string {
	right := end == datatypes.Right
	switch {
	case op == "pop" && right:
		return "rpop" // constants: a pipeline of pops built a string per pop
	case op == "pop":
		return "lpop"
	case op == "push" && right:
		return "rpush"
	case op == "push":
		return "lpush"
	case right:
		return "r" + op
	}
	return "l" + op
}

// notifyZAdd publishes ZADD's and ZINCRBY's events: "new" when the key was
// created, then "zadd" ("zincr" for INCR) when a member was added or a
// score changed.
func (c *Ctx) notifyZAdd(wasAbsent bool, key []byte, incr bool, res datatypes.ZAddResult) {
	c.created(wasAbsent, key)
	if res.Added+res.Updated == 0 {
		return
	}
	if incr {
		c.event(NotifyZset, "zincr", key)
	} else {
		c.event(NotifyZset, "zadd", key)
	}
}

// notifyZPop publishes "zpopmin"/"zpopmax" (once, however many members
// were popped) and "del" when the pop emptied key.
func (c *Ctx) notifyZPop(key []byte, max bool, popped int) {
	if popped == 0 {
		return
	}
	if max {
		c.removed(NotifyZset, "zpopmax", key)
	} else {
		c.removed(NotifyZset, "zpopmin", key)
	}
}

// stringLen is the length of key's value before a bit write, -1 when key
// is absent (0 for other types: the write fails on them anyway). It reads
// only the key's record.
func (c *Ctx) stringLen(key []byte) int64 {
	if !c.S.wants(NotifyString) {
		return 0
	}
	m, ok, err := c.Tx.Lookup(c.DB, key)
	if err != nil || !ok {
		return -1
	}
	return int64(len(m.Value))
}

// checkNotifyFlags validates notify-keyspace-events for the config table
// and returns its canonical spelling ("KEA" reads back as "AKE").
func checkNotifyFlags(v string) (string, error) {
	f, ok := ParseNotifyFlags(v)
	if !ok {
		return "", reason("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
	}
	return NotifyFlagsString(f), nil
}

// strSnap is a string's value before a write that may leave it as it was
// (BITFIELD publishes "setbit" only when a bit changed or the string was
// created or grew). It is taken only when string events are wanted.
type strSnap struct {
	want, exists bool
	val          []byte
}

func (c *Ctx) snapString(key []byte) strSnap {
	if !c.S.wants(NotifyString) {
		return strSnap{}
	}
	m, ok, err := c.Tx.Lookup(c.DB, key)
	s := strSnap{want: true, exists: ok && err == nil}
	if s.exists {
		s.val = bytes.Clone(m.Value)
	}
	return s
}

// stringChanged reports whether key's value differs from the snapshot
// (false when no snapshot was wanted).
func (c *Ctx) stringChanged(s strSnap, key []byte) bool {
	if !s.want {
		return false
	}
	m, ok, err := c.Tx.Lookup(c.DB, key)
	if err != nil || !ok {
		return false
	}
	return !s.exists || !bytes.Equal(m.Value, s.val)
}

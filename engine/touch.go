package engine

// The touch buffer: reads stay read-only. A lookup that counts as an access
// (GET, HGET… — Redis's lookupKey without LOOKUP_NOTOUCH) records the key's
// new access time and LFU counter here, latest wins; the eviction goroutine
// writes them into the meta records (and the order index) in batches
// (FlushTouches). Lookups merge the buffer, so OBJECT IDLETIME/FREQ and
// the write path see buffered accesses at once.
//
// A crash loses only the accesses buffered since the last flush (recency
// and frequency, never data). The buffer is bounded (touchMax keys): when
// full, accesses to keys not yet in it are dropped until the next flush.

import (
	"bytes"
	"sync"
	"sync/atomic"

	"github.com/cespare/xxhash/v2"
)

const (
	touchShards = 64
	touchMax    = 1 << 20
)

// TouchBufferMax is the most keys the touch buffer holds; accesses to
// other keys are dropped while it is full.
const TouchBufferMax = touchMax

type touchEntry struct {
	at   int64
	freq uint8
}

type touchShard struct {
	mu sync.Mutex
	m  map[string]touchEntry
	_  [40]byte // keep shards on separate cache lines
}

type touchBuffer struct {
	shards [touchShards]touchShard
	n      atomic.Int64
}

func (b *touchBuffer) init() {
	for i := range b.shards {
		b.shards[i].m = make(map[string]touchEntry)
	}
}

func (b *touchBuffer) shard(mk []byte) *touchShard {
	return &b.shards[xxhash.Sum64(mk)%touchShards]
}

// Len is the number of buffered keys.
func (b *touchBuffer) Len() int64 { return b.n.Load() }

// take removes and returns mk's entry.
func (b *touchBuffer) take(mk []byte) (touchEntry, bool) {
	if b.n.Load() == 0 {
		return touchEntry{}, false
	}
	s := b.shard(mk)
	s.mu.Lock()
	e, ok := s.m[string(mk)]
	if ok {
		delete(s.m, string(mk))
		b.n.Add(-1)
	}
	s.mu.Unlock()
	return e, ok
}

func (b *touchBuffer) drop(mk []byte) { b.take(mk) }

// peek returns mk's entry, leaving it buffered.
func (b *touchBuffer) peek(mk []byte) (touchEntry, bool) {
	if b.n.Load() == 0 {
		return touchEntry{}, false
	}
	s := b.shard(mk)
	s.mu.Lock()
	e, ok := s.m[string(mk)]
	s.mu.Unlock()
	return e, ok
}

// settle removes mk's entry if it is still e (a newer access recorded
// meanwhile stays buffered).
func (b *touchBuffer) settle(mk []byte, e touchEntry) {
	s := b.shard(mk)
	s.mu.Lock()
	if cur, ok := s.m[string(mk)]; ok && cur == e {
		delete(s.m, string(mk))
		b.n.Add(-1)
	}
	s.mu.Unlock()
}

// SetNoTouch makes lookups in this transaction stop counting as accesses
// (on == true) or count again. The dispatcher sets it around the commands
// of CLIENT NO-TOUCH clients; Peek sets it around one lookup. A pooled
// transaction starts with it off.
func (tx *Tx) SetNoTouch(on bool) { tx.noTouch = on }

func (tx *Tx) touching() bool { return !tx.noTouch }

// noteLookup is the Lookup hook for a live key: it merges buffered access
// state into m and, unless touching is off, records this access. mk is
// the meta key (copied when stored).
func (tx *Tx) noteLookup(mk []byte, m *Meta) {
	dbTracks := tx.dbNoteLookup(mk, m) // per-db policy and element owners (dblimit_index.go)
	tx.access(mk, m, (tx.db.EvictPolicy().TracksReads() || dbTracks) && tx.touching())
}

// access merges the buffer into m and, when touch is set, applies one
// access at tx.Now and records it.
func (tx *Tx) access(mk []byte, m *Meta, touch bool) {
	ev := &tx.db.ev
	b := &ev.touches
	if !touch && b.n.Load() == 0 {
		m.Freq = lfuDecayed(m.Freq, m.AccessAt, tx.Now, ev.decay.Load())
		return
	}
	s := b.shard(mk)
	s.mu.Lock()
	e, ok := s.m[string(mk)]
	if ok && e.at >= m.AccessAt {
		m.AccessAt, m.Freq = e.at, e.freq
	}
	if !touch {
		s.mu.Unlock()
		m.Freq = lfuDecayed(m.Freq, m.AccessAt, tx.Now, ev.decay.Load())
		return
	}
	m.Freq, m.AccessAt = ev.access(m.Freq, m.AccessAt, tx.Now)
	if ok || b.n.Load() < touchMax {
		if !ok {
			b.n.Add(1)
		}
		s.m[string(mk)] = touchEntry{at: m.AccessAt, freq: m.Freq}
	}
	s.mu.Unlock()
}

// Peek is Lookup without counting an access (Redis's LOOKUP_NOTOUCH:
// OBJECT, TYPE, TTL…). Buffered accesses are merged; Freq is the decayed
// counter at tx.Now. Missing or expired keys report ok == false.
func (tx *Tx) Peek(db int, key []byte) (m Meta, ok bool, err error) {
	was := tx.noTouch
	tx.noTouch = true
	m, ok, err = tx.Lookup(db, key)
	tx.noTouch = was
	return m, ok, err
}

// Touch counts an access to key even for CLIENT NO-TOUCH clients (the
// TOUCH command) and reports whether the key is live.
func (tx *Tx) Touch(db int, key []byte) bool {
	mk := appendMetaKey(nil, tx.nsOf(db), key)
	raw := tx.get(bMeta, mk)
	if raw == nil {
		return false
	}
	if at := metaExpireAt(raw); at != 0 && at <= tx.Now {
		return false
	}
	var m Meta
	if decodeMeta(raw, &m) != nil {
		return false
	}
	tx.access(mk, &m, true)
	return true
}

// PendingTouches is the number of keys with buffered accesses.
func (db *DB) PendingTouches() int64 { return db.ev.touches.Len() }

// FlushTouches writes up to limit buffered accesses into their records and
// the order index in one write transaction, and returns how many it took
// from the buffer. Entries changed while the batch ran stay buffered.
func (db *DB) FlushTouches(limit int) (int, error) {
	b := &db.ev.touches
	if b.n.Load() == 0 {
		return 0, nil
	}
	type item struct {
		mk string
		e  touchEntry
	}
	var items []item
	for i := range b.shards {
		s := &b.shards[i]
		s.mu.Lock()
		for k, e := range s.m {
			if len(items) >= limit {
				break
			}
			items = append(items, item{k, e})
		}
		s.mu.Unlock()
		if len(items) >= limit {
			break
		}
	}
	err := db.Update(func(tx *Tx) error {
		for _, it := range items {
			tx.persistTouch([]byte(it.mk), it.e)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, it := range items {
		b.settle([]byte(it.mk), it.e)
	}
	return len(items), nil
}

// persistTouch writes the buffered access e into mk's record and moves its
// order-index entry. It reports the record's new order inputs; ok is false
// when the record is gone or unreadable, or e is not newer than what the
// record holds (then nothing is written). The record keeps its length, so
// the logical size does not change.
func (tx *Tx) persistTouch(mk []byte, e touchEntry) (s keyState, ok bool) {
	raw := tx.get(bMeta, mk)
	var m Meta
	if raw == nil || decodeMeta(raw, &m) != nil {
		return keyState{}, false
	}
	if e.at < m.AccessAt || (e.at == m.AccessAt && e.freq == m.Freq) {
		return keyState{}, false
	}
	old := keyStateOf(&m)
	m.AccessAt, m.Freq = e.at, e.freq
	s = keyStateOf(&m)
	tx.reindex(mk, &old, &s)
	tx.put(bMeta, mk, appendMeta(make([]byte, 0, len(raw)), &m))
	return s, true
}

// metaKeyOf returns the meta key of (db, key) in tx (tests).
func (tx *Tx) metaKeyOf(db int, key []byte) []byte {
	return bytes.Clone(appendMetaKey(nil, tx.nsOf(db), key))
}

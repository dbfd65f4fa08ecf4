package engine

import (
	"encoding/binary"
	"errors"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// maxDatabases bounds the `databases` setting; namespaces below it start as
// the identity mapping db i → namespace i.
const maxDatabases = 1024

// ErrReadOnly is returned when a read transaction tries to write.
var ErrReadOnly = errors.New("engine: write in a read-only transaction")

// Tx is one engine transaction: a bbolt read transaction (View) or a share of
// the committer's write transaction (Update).
//
// The storage primitives (get, put, del, cursor) are the narrow interface the
// rest of the engine is written against; everything above them (keys.go's
// layout, Meta, counters) is independent of bbolt.
type Tx struct {
	db       *DB
	btx      *bolt.Tx
	writable bool

	bk [numBuckets]*bolt.Bucket

	// Now is the time commands in this transaction see, in unix ms. The
	// caller may move it forward between commands.
	Now int64

	ns     map[int]uint32        // db → namespace, read once per tx
	counts map[uint32]*nsCounter // namespace → live counters touched by this tx
	buf    []byte                // scratch for building keys
	ebuf   []byte                // scratch for expire keys
}

type nsCounter struct {
	keys, expires int64
	dirty         bool
}

var txPool = sync.Pool{New: func() any {
	return &Tx{ns: make(map[int]uint32, 4), counts: make(map[uint32]*nsCounter, 4)}
}}

func getTx(db *DB, btx *bolt.Tx, writable bool) *Tx {
	tx := txPool.Get().(*Tx)
	tx.db, tx.btx, tx.writable = db, btx, writable
	for i := range tx.bk {
		tx.bk[i] = btx.Bucket(bucketNames[i])
	}
	tx.Now = time.Now().UnixMilli()
	return tx
}

func putTx(tx *Tx) {
	tx.db, tx.btx = nil, nil
	tx.bk = [numBuckets]*bolt.Bucket{}
	clear(tx.ns)
	clear(tx.counts)
	if cap(tx.buf) > 64<<10 {
		tx.buf = nil
	}
	if cap(tx.ebuf) > 64<<10 {
		tx.ebuf = nil
	}
	txPool.Put(tx)
}

// Writable reports whether the transaction may write.
func (tx *Tx) Writable() bool { return tx.writable }

// DB returns the store the transaction belongs to.
func (tx *Tx) DB() *DB { return tx.db }

// Databases is the number of logical databases.
func (tx *Tx) Databases() int { return tx.db.opts.Databases }

// --- storage primitives -------------------------------------------------

// get returns the value under k, or nil. The slice is valid until the
// transaction ends.
func (tx *Tx) get(b bucketID, k []byte) []byte { return tx.bk[b].Get(k) }

// put stores v under k. The store may keep v: callers pass a slice they
// will not modify afterwards. k is copied.
func (tx *Tx) put(b bucketID, k, v []byte) {
	if !tx.writable {
		panic(ErrReadOnly)
	}
	if err := tx.bk[b].Put(k, v); err != nil {
		panic(err)
	}
}

// del removes k (absent is fine).
func (tx *Tx) del(b bucketID, k []byte) {
	if !tx.writable {
		panic(ErrReadOnly)
	}
	if err := tx.bk[b].Delete(k); err != nil {
		panic(err)
	}
}

// cursor returns an ordered cursor over bucket b. Do not write to b while
// using it.
func (tx *Tx) cursor(b bucketID) cursor { return tx.bk[b].Cursor() }

// cursor walks one bucket in key order; every move returns (nil, nil) past
// either end.
type cursor interface {
	First() (k, v []byte)
	Last() (k, v []byte)
	Seek(k []byte) (key, v []byte)
	Next() (k, v []byte)
	Prev() (k, v []byte)
}

// --- namespaces and counters ---------------------------------------------

// nsOf returns the namespace db currently names.
func (tx *Tx) nsOf(db int) uint32 {
	if ns, ok := tx.ns[db]; ok {
		return ns
	}
	ns := uint32(db)
	if v := tx.get(bSys, sysNSKey(db)); len(v) == 4 {
		ns = binary.BigEndian.Uint32(v)
	}
	tx.ns[db] = ns
	return ns
}

func (tx *Tx) setNS(db int, ns uint32) {
	tx.put(bSys, sysNSKey(db), binary.BigEndian.AppendUint32(nil, ns))
	tx.ns[db] = ns
}

func (tx *Tx) counter(ns uint32) *nsCounter {
	if c, ok := tx.counts[ns]; ok {
		return c
	}
	c := &nsCounter{}
	if v := tx.get(bSys, sysCountKey(ns)); len(v) == 16 {
		c.keys = int64(binary.BigEndian.Uint64(v))
		c.expires = int64(binary.BigEndian.Uint64(v[8:]))
	}
	tx.counts[ns] = c
	return c
}

func (tx *Tx) addCounts(ns uint32, keys, expires int64) {
	c := tx.counter(ns)
	c.keys += keys
	c.expires += expires
	c.dirty = true
}

// finish persists what the batch changed in counters.
func (tx *Tx) finish() error {
	for ns, c := range tx.counts {
		if !c.dirty {
			continue
		}
		v := binary.BigEndian.AppendUint64(make([]byte, 0, 16), uint64(c.keys))
		v = binary.BigEndian.AppendUint64(v, uint64(c.expires))
		tx.put(bSys, sysCountKey(ns), v)
	}
	tx.put(bSys, sysNextVersion, putU64(tx.db.nextVersion))
	tx.put(bSys, sysNextNS, putU64(uint64(tx.db.nextNS)))
	return nil
}

// newVersion allocates a fresh element prefix for a collection.
func (tx *Tx) newVersion() uint64 {
	v := tx.db.nextVersion
	tx.db.nextVersion++
	return v
}

// KeyCounts returns the number of keys and of keys with an expiry in db.
// Keys that expired but were not yet removed are still counted, as in Redis.
func (tx *Tx) KeyCounts(db int) (keys, expires int64) {
	c := tx.counter(tx.nsOf(db))
	return c.keys, c.expires
}

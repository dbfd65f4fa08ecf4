package engine

// This file owns the byte layout of every key stored in bbolt. No other file
// builds or parses stored keys by hand.
//
// Buckets:
//
//	m  meta    ns(4) | hash(8) | key              → Meta record (meta.go)
//	d  data    version(8) | sub                   → element (hash field, set member, list seq, …)
//	e  expire  expireAtMs(8) | metaKey            → ∅   (soonest first)
//	v  evict   order(8) | metaKey                 → ∅   (the active eviction policy's order)
//	g  gc      'v' | version(8)                   → ∅   (dropped collections to reclaim)
//	           'n' | ns(4)                        → ∅   (flushed namespaces to reclaim)
//	s  sys     name                               → engine counters and the db→namespace map
//	t  tag     ns(4) | len(tag)(4) | tag | hash(8) | key → ∅   (keys by cache tag, tags.go)
//	o  owner   version(8)                     → ns(4)  (namespace whose usage a collection's elements count in, dblimit.go)
//	w  dbevict ns(4) | o1(8) | o2(8) | metaKey → ∅   (per-database eviction order, namespaces with a limit, dblimit_index.go)
//
// Integers are big-endian so byte order equals numeric order.
//
// Why a hash leads the meta key: SCAN cursors must be integers (clients parse
// them as such) and must survive concurrent writes. Ordering keys by a 64-bit
// hash of the user key turns the cursor into "the next hash to visit": keys
// that stay in the database are never missed, keys added behind the cursor are
// simply not returned, exactly Redis's guarantee. RANDOMKEY seeks to a random
// hash. The full key follows the hash, so collisions are harmless.
//
// Why a namespace instead of the db index: FLUSHDB and SWAPDB change which
// namespace a db index names (O(1)); a background loop reclaims the old one.
//
// Why data keys start with the version only: a collection's elements belong
// to the version stored in its Meta, so RENAME and MOVE of a collection move
// one Meta record, and dropping a collection is "forget the version".

import (
	"encoding/binary"

	"github.com/cespare/xxhash/v2"
)

// bucketID names a bucket in the primitives (tx.get/put/del/cursor).
type bucketID uint8

const (
	bMeta bucketID = iota
	bData
	bExpire
	bEvict
	bGC
	bSys
	bTag
	bOwner
	bDBEvict
	numBuckets
)

// bucketNames are the bbolt bucket names, indexed by bucketID.
var bucketNames = [numBuckets][]byte{[]byte("m"), []byte("d"), []byte("e"), []byte("v"), []byte("g"), []byte("s"), []byte("t"), []byte("o"), []byte("w")}

const (
	nsLen       = 4
	hashLen     = 8
	metaHdrLen  = nsLen + hashLen
	versionLen  = 8
	gcVersion   = 'v'
	gcNamespace = 'n'
)

// sys bucket keys.
var (
	sysNextVersion = []byte("nextversion")
	sysNextNS      = []byte("nextns")
	sysNSPrefix    = "ns:"       // "ns:" + db(4) → ns(4)
	sysCountPrefix = "count:"    // "count:" + ns(4) → keys(8) | expires(8)
	sysNSUsage     = "usage:ns:" // "usage:ns:" + ns(4) → logical bytes(8) (dblimit.go)
	sysDBConf      = "dbconf:"   // "dbconf:" + db(4) → limit(8) | policy(1) (dblimit.go)
	sysDBIndex     = "dbidx:"    // "dbidx:" + ns(4) → per-database order index state (dblimit_index.go)
)

// KeyHash is the 64-bit hash that orders keys inside a namespace and serves as
// SCAN cursor. It is never 0, because cursor 0 means "start" and "done".
func KeyHash(key []byte) uint64 {
	h := xxhash.Sum64(key)
	if h == 0 {
		h = 1
	}
	return h
}

// appendMetaKey appends ns|hash|key to buf.
func appendMetaKey(buf []byte, ns uint32, key []byte) []byte {
	buf = binary.BigEndian.AppendUint32(buf, ns)
	buf = binary.BigEndian.AppendUint64(buf, KeyHash(key))
	return append(buf, key...)
}

// appendMetaSeek appends ns|hash, the first meta key at or after a cursor.
func appendMetaSeek(buf []byte, ns uint32, hash uint64) []byte {
	buf = binary.BigEndian.AppendUint32(buf, ns)
	return binary.BigEndian.AppendUint64(buf, hash)
}

// nsPrefix is the 4-byte prefix shared by every meta key of a namespace.
func nsPrefix(ns uint32) []byte {
	return binary.BigEndian.AppendUint32(make([]byte, 0, nsLen), ns)
}

// splitMetaKey returns the namespace, hash and user key of a meta key. The
// key aliases mk.
func splitMetaKey(mk []byte) (ns uint32, hash uint64, key []byte) {
	if len(mk) < metaHdrLen {
		return 0, 0, nil
	}
	return binary.BigEndian.Uint32(mk), binary.BigEndian.Uint64(mk[nsLen:]), mk[metaHdrLen:]
}

// appendExpireKey appends expireAt|metaKey.
func appendExpireKey(buf []byte, at int64, mk []byte) []byte {
	buf = binary.BigEndian.AppendUint64(buf, uint64(at))
	return append(buf, mk...)
}

// splitExpireKey returns the expiry time and meta key of an expire entry.
func splitExpireKey(ek []byte) (at int64, mk []byte) {
	if len(ek) < 8 {
		return 0, nil
	}
	return int64(binary.BigEndian.Uint64(ek)), ek[8:]
}

// appendDataKey appends version|sub.
func appendDataKey(buf []byte, version uint64, sub []byte) []byte {
	buf = binary.BigEndian.AppendUint64(buf, version)
	return append(buf, sub...)
}

func gcVersionKey(version uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{gcVersion}, version)
}

func gcNamespaceKey(ns uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{gcNamespace}, ns)
}

func sysNSKey(db int) []byte {
	return binary.BigEndian.AppendUint32([]byte(sysNSPrefix), uint32(db))
}

func sysCountKey(ns uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte(sysCountPrefix), ns)
}

func u64(b []byte) uint64 {
	if len(b) < 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

func putU64(v uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), v) }

// ownerKey is a collection version's key in the owner bucket.
func ownerKey(version uint64) []byte { return putU64(version) }

// sysNSKeyed appends ns (or a db index) to a sys key prefix.
func sysNSKeyed(prefix string, n uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte(prefix), n)
}

// appendDBEvictKey appends ns|o1|o2|metaKey (bucket w).
func appendDBEvictKey(buf []byte, ns uint32, o1, o2 uint64, mk []byte) []byte {
	buf = binary.BigEndian.AppendUint32(buf, ns)
	buf = binary.BigEndian.AppendUint64(buf, o1)
	buf = binary.BigEndian.AppendUint64(buf, o2)
	return append(buf, mk...)
}

const dbEvictHdrLen = nsLen + 8 + 8

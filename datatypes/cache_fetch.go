package datatypes

import (
	"encoding/binary"
	"math"
	"strconv"

	"github.com/diskcached/diskcached/engine"
)

// CACHE.FETCH's early recomputation (XFetch, Vattani et al., VLDB 2015 —
// DiskCache's memoize_stampede) needs the time the value took to compute
// (delta). It is kept beside the value in a hidden database that no client
// can select, under db(4)|key, as a decimal number of milliseconds with
// the value's own expiry: it goes away when the value would have expired
// and is rewritten by every CACHE.FILL. It is only a hint: a value written
// by other commands has no delta (or an old one) and is then simply never
// (or less accurately) recomputed early.

// DeltaDB is the hidden database holding compute times. Its namespace
// (equal to the index) lies far above any namespace FLUSHDB allocates.
const DeltaDB = 0x7FFF_FFF0

func deltaKey(db int, key []byte) []byte {
	k := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(key)), uint32(db))
	return append(k, key...)
}

// SaveDelta records that key's value took deltaMs to compute; expireAt is
// the value's expiry (0 = none: nothing is recorded, a value that never
// expires is never recomputed early).
func SaveDelta(tx *engine.Tx, db int, key []byte, deltaMs, expireAt int64) {
	dk := deltaKey(db, key)
	if expireAt == 0 || expireAt <= tx.Now {
		tx.Delete(DeltaDB, dk)
		return
	}
	tx.Put(DeltaDB, dk, &engine.Meta{Type: engine.TypeString, Value: strconv.AppendInt(nil, deltaMs, 10), ExpireAt: expireAt})
}

// LoadDelta returns the recorded compute time of key in ms.
func LoadDelta(tx *engine.Tx, db int, key []byte) (int64, bool) {
	m, ok, err := tx.Peek(DeltaDB, deltaKey(db, key))
	if err != nil || !ok || m.Type != engine.TypeString {
		return 0, false
	}
	return ParseInt(m.Value)
}

// XFetchEarly is XFetch's test: recompute now when
// −delta·beta·ln(u) ≥ ttl, with u uniform in (0, 1]. The larger the
// compute time and beta and the nearer the expiry, the likelier.
func XFetchEarly(deltaMs int64, beta float64, ttlMs int64, u float64) bool {
	if beta <= 0 || deltaMs <= 0 {
		return false
	}
	return -float64(deltaMs)*beta*math.Log(u) >= float64(ttlMs)
}

// FetchValue is what CACHE.FETCH reads: the string at key, its expiry and
// compute time. ok is false for a missing or expired key; another type is
// engine.ErrWrongType.
type FetchValue struct {
	Value    []byte // copied
	ExpireAt int64
	DeltaMs  int64 // 0 = unknown
}

// ReadFetch reads key for CACHE.FETCH (counted as an access).
func ReadFetch(tx *engine.Tx, db int, key []byte) (FetchValue, bool, error) {
	var fv FetchValue
	m, ok, err := tx.LookupType(db, key, engine.TypeString)
	if err != nil || !ok {
		return fv, false, err
	}
	fv.Value = append([]byte{}, m.Value...)
	fv.ExpireAt = m.ExpireAt
	if m.ExpireAt != 0 {
		fv.DeltaMs, _ = LoadDelta(tx, db, key)
	}
	return fv, true, nil
}

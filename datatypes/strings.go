package datatypes

import (
	"bytes"
	"math"
	"strconv"

	"github.com/diskcached/diskcached/engine"
)

// MaxStringLen is the largest string value (proto-max-bulk-len's default).
var MaxStringLen int64 = 512 << 20

// GetString returns key's value. A missing or expired key reports ok false;
// a key of another type fails with engine.ErrWrongType. The value aliases the
// transaction.
func GetString(tx *engine.Tx, db int, key []byte) (val []byte, ok bool, err error) {
	m, ok, err := tx.LookupType(db, key, engine.TypeString)
	if err != nil || !ok {
		return nil, false, err
	}
	return m.Value, true, nil
}

// SetOptions are SET's modifiers, already validated by the caller.
type SetOptions struct {
	NX, XX   bool
	KeepTTL  bool
	Get      bool  // return the old value (must be a string)
	ExpireAt int64 // unix ms; 0 = none
}

// SetResult reports what Set did.
type SetResult struct {
	Done   bool   // the value was stored
	Old    []byte // previous value (only with Get), copied
	HadOld bool   // a previous live value existed (only with Get)
}

// Set stores val at key with SET's semantics. With Get, an existing key of
// another type fails with engine.ErrWrongType and nothing is written.
// Any previous value of any type is replaced (a collection's elements are
// reclaimed in the background).
func Set(tx *engine.Tx, db int, key, val []byte, o SetOptions) (SetResult, error) {
	var res SetResult
	m, exists, err := tx.Lookup(db, key)
	if err != nil {
		return res, err
	}
	if o.Get && exists {
		if m.Type != engine.TypeString {
			return res, engine.ErrWrongType
		}
		res.Old, res.HadOld = bytes.Clone(m.Value), true
	}
	if (o.NX && exists) || (o.XX && !exists) {
		return res, nil
	}
	if o.ExpireAt != 0 && o.ExpireAt <= tx.Now {
		// Already in the past (EXAT/PXAT): the key is gone at once.
		tx.Delete(db, key)
		res.Done = true
		return res, nil
	}
	nm := engine.Meta{Type: engine.TypeString, Value: val, ExpireAt: o.ExpireAt}
	if o.KeepTTL && exists {
		nm.ExpireAt = m.ExpireAt
	}
	if exists {
		nm.Tag = bytes.Clone(m.Tag)
	}
	tx.Put(db, key, &nm)
	res.Done = true
	return res, nil
}

// IncrBy adds delta to the integer stored at key (missing = 0) and returns
// the new value. The stored value must be a base-10 int64 in canonical form.
func IncrBy(tx *engine.Tx, db int, key []byte, delta int64) (int64, error) {
	m, ok, err := tx.LookupType(db, key, engine.TypeString)
	if err != nil {
		return 0, err
	}
	var cur int64
	if ok {
		if cur, ok = ParseInt(m.Value); !ok {
			return 0, ErrNotInteger
		}
	}
	if (delta > 0 && cur > math.MaxInt64-delta) || (delta < 0 && cur < math.MinInt64-delta) {
		return 0, ErrOverflow
	}
	cur += delta
	putKeepingTTL(tx, db, key, &m, ok, strconv.AppendInt(nil, cur, 10))
	return cur, nil
}

// IncrByFloat adds delta to the number stored at key (missing = 0) and
// returns the new value as formatted for storage and reply.
func IncrByFloat(tx *engine.Tx, db int, key []byte, delta float64) (string, error) {
	m, ok, err := tx.LookupType(db, key, engine.TypeString)
	if err != nil {
		return "", err
	}
	var cur float64
	if ok {
		if cur, ok = ParseFloat(m.Value); !ok {
			return "", ErrNotFloat
		}
	}
	cur += delta
	if math.IsNaN(cur) || math.IsInf(cur, 0) {
		return "", ErrNaNInf
	}
	s := FormatFloat(cur)
	putKeepingTTL(tx, db, key, &m, ok, []byte(s))
	return s, nil
}

// putKeepingTTL writes a new string value, keeping the old expiry and tag
// when the key existed.
func putKeepingTTL(tx *engine.Tx, db int, key []byte, old *engine.Meta, existed bool, val []byte) {
	nm := engine.Meta{Type: engine.TypeString, Value: val}
	if existed {
		nm.ExpireAt = old.ExpireAt
		nm.Tag = bytes.Clone(old.Tag)
	}
	tx.Put(db, key, &nm)
}

// Append appends val to key's string (creating it) and returns the new length.
func Append(tx *engine.Tx, db int, key, val []byte) (int64, error) {
	m, ok, err := tx.LookupType(db, key, engine.TypeString)
	if err != nil {
		return 0, err
	}
	if int64(len(m.Value))+int64(len(val)) > MaxStringLen {
		return 0, ErrTooLarge
	}
	nv := make([]byte, 0, len(m.Value)+len(val))
	nv = append(append(nv, m.Value...), val...)
	putKeepingTTL(tx, db, key, &m, ok, nv)
	return int64(len(nv)), nil
}

// SetRange overwrites key's string from offset with val, zero-padding as
// needed, and returns the new length. An empty val never creates the key.
func SetRange(tx *engine.Tx, db int, key []byte, offset int64, val []byte) (int64, error) {
	m, ok, err := tx.LookupType(db, key, engine.TypeString)
	if err != nil {
		return 0, err
	}
	if len(val) == 0 {
		return int64(len(m.Value)), nil
	}
	end := offset + int64(len(val))
	if end > MaxStringLen {
		return 0, ErrTooLarge
	}
	n := int64(len(m.Value))
	if end > n {
		n = end
	}
	nv := make([]byte, n)
	copy(nv, m.Value)
	copy(nv[offset:], val)
	putKeepingTTL(tx, db, key, &m, ok, nv)
	return n, nil
}

// GetRange returns the substring between start and end (inclusive, negative
// counts from the end), Redis's GETRANGE rules.
func GetRange(v []byte, start, end int64) []byte {
	n := int64(len(v))
	if start < 0 && end < 0 && start > end {
		return nil
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	if start < 0 {
		start = 0
	}
	if end < 0 {
		end = 0
	}
	if end >= n {
		end = n - 1
	}
	if n == 0 || start > end {
		return nil
	}
	return v[start : end+1]
}

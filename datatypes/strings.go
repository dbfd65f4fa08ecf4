package datatypes

import (
	"bytes"
	"errors"
	"math"
	"math/big"
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
	putKeepingTTL(tx, db, key, &m, ok, strconv.AppendInt(nil, cur, 10), false)
	return cur, nil
}

// IncrByFloat adds incr to the number stored at key (missing = 0) in long
// double arithmetic, as Redis does, and returns the new value as stored and
// replied ("human" %.17Lf form: 0.1+0.2 gives "0.3"). Checks run in Redis's
// order: wrong type, then a stored value that is not a number, then incr
// (both ErrNotFloat); a NaN or infinite result fails with ErrNaNInf. The
// expiry is kept.
func IncrByFloat(tx *engine.Tx, db int, key, incr []byte) (string, error) {
	m, ok, err := tx.LookupType(db, key, engine.TypeString)
	if err != nil {
		return "", err
	}
	cur := new(big.Float).SetPrec(64)
	if ok {
		if cur, ok = ParseLongDouble(m.Value); !ok {
			return "", ErrNotFloat
		}
	}
	d, valid := ParseLongDouble(incr)
	if !valid {
		return "", ErrNotFloat
	}
	if cur.IsInf() || d.IsInf() {
		return "", ErrNaNInf
	}
	sum := new(big.Float).SetPrec(64).Add(cur, d)
	if ldOverflows(sum) {
		return "", ErrNaNInf
	}
	s := FormatLongDouble(sum)
	putKeepingTTL(tx, db, key, &m, ok, []byte(s), false)
	return s, nil
}

// putKeepingTTL writes a new string value, keeping the old expiry and tag
// when the key existed. raw marks a value written in place (Meta.Raw).
func putKeepingTTL(tx *engine.Tx, db int, key []byte, old *engine.Meta, existed bool, val []byte, raw bool) {
	nm := engine.Meta{Type: engine.TypeString, Value: val, Raw: raw}
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
	putKeepingTTL(tx, db, key, &m, ok, nv, ok)
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
	if offset > MaxStringLen-int64(len(val)) { // also guards offset+len overflow
		return 0, ErrTooLarge
	}
	end := offset + int64(len(val))
	n := int64(len(m.Value))
	if end > n {
		n = end
	}
	nv := make([]byte, n)
	copy(nv, m.Value)
	copy(nv[offset:], val)
	putKeepingTTL(tx, db, key, &m, ok, nv, true)
	return n, nil
}

// GetRange returns the substring between start and end (inclusive, negative
// counts from the end), Redis's GETRANGE rules.
func GetRange(v []byte, start, end int64) []byte {
	n := int64(len(v))
	if start < 0 && end < 0 && start > end {
		return nil
	}
	s, e, empty := ClampRange(start, end, n)
	if n == 0 || empty {
		return nil
	}
	return v[s : e+1]
}

// ErrLCSTooBig reports an LCS table larger than MaxStringLen bytes.
var ErrLCSTooBig = errors.New("transient memory for LCS exceeds proto-max-bulk-len")

// LCSMatch is one common run reported by LCS IDX: A and B are inclusive
// byte ranges in the first and second string.
type LCSMatch struct {
	AStart, AEnd, BStart, BEnd int64
}

// LCS computes the longest common subsequence of a and b with Redis's
// dynamic-programming table and walk, so ties resolve the same way. It
// returns the subsequence, its length, and (with wantRanges) the matching
// runs from the end of the strings backwards, only those at least minLen
// long. ErrLCSTooBig reports a table larger than MaxStringLen bytes.
func LCS(a, b []byte, wantRanges bool, minLen int64) ([]byte, int64, []LCSMatch, error) {
	alen, blen := len(a), len(b)
	cells := uint64(alen+1) * uint64(blen+1)
	if cells*4 > uint64(MaxStringLen) {
		return nil, 0, nil, ErrLCSTooBig
	}
	w := blen + 1
	t := make([]uint32, cells)
	for i := 1; i <= alen; i++ {
		for j := 1; j <= blen; j++ {
			switch {
			case a[i-1] == b[j-1]:
				t[i*w+j] = t[(i-1)*w+j-1] + 1
			case t[(i-1)*w+j] > t[i*w+j-1]:
				t[i*w+j] = t[(i-1)*w+j]
			default:
				t[i*w+j] = t[i*w+j-1]
			}
		}
	}
	n := t[alen*w+blen]
	out := make([]byte, n)
	var ranges []LCSMatch
	k := n
	open := false // a run is being tracked
	var cur LCSMatch
	for i, j := alen, blen; i > 0 && j > 0; {
		emit := false
		if a[i-1] == b[j-1] {
			out[k-1] = a[i-1]
			switch {
			case !open:
				cur = LCSMatch{int64(i - 1), int64(i - 1), int64(j - 1), int64(j - 1)}
				open = true
			case cur.AStart == int64(i) && cur.BStart == int64(j):
				cur.AStart--
				cur.BStart--
			default:
				emit = true
			}
			if cur.AStart == 0 || cur.BStart == 0 {
				emit = true
			}
			k--
			i--
			j--
		} else {
			if t[(i-1)*w+j] > t[i*w+j-1] {
				i--
			} else {
				j--
			}
			emit = open
		}
		if emit {
			if wantRanges && cur.AEnd-cur.AStart+1 >= minLen {
				ranges = append(ranges, cur)
			}
			open = false
		}
	}
	return out, int64(n), ranges, nil
}

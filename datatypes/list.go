package datatypes

import (
	"bytes"
	"encoding/binary"

	"github.com/diskcached/diskcached/engine"
)

// Lists (DiskCache's Deque) keep one element per data entry. An element's
// sub-key is its sequence number: a signed int64 with the sign bit flipped,
// big-endian, so byte order is numeric order. Meta.Head is the sequence of
// the first element and Meta.Tail one past the last; a new list starts at
// Head = Tail = 0 and grows both ways.
//
// Invariant: the sequences Head..Tail-1 are all present (no holes), so the
// element at index i is at Head+i and LINDEX/LSET are one B+tree lookup.
// Pushes and pops at either end are O(1) entries each. Operations that open
// or close a gap in the middle (LINSERT, LREM) rewrite the shorter side of
// the list around the change: O(min(i, n-i)) entries for an insert at i,
// O(min(last removed, n-first removed)) for LREM. LTRIM deletes only what it
// removes.

// List ends.
const (
	Left  = 0 // head
	Right = 1 // tail
)

// seqKey encodes a sequence number as an order-preserving sub-key.
func seqKey(seq int64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(seq)^(1<<63))
	return b[:]
}

// lookupList returns key's list Meta. Missing or expired: ok false; another
// type: engine.ErrWrongType.
func lookupList(tx *engine.Tx, db int, key []byte) (engine.Meta, bool, error) {
	m, ok, err := tx.LookupType(db, key, engine.TypeList)
	if err == nil && ok {
		m.Tag = bytes.Clone(m.Tag)
	}
	return m, ok, err
}

// saveList stores m after its elements changed, deleting the key when the
// list became empty (Redis never keeps empty lists).
func saveList(tx *engine.Tx, db int, key []byte, m *engine.Meta) {
	if m.Count <= 0 {
		tx.Delete(db, key)
		return
	}
	m.StoredAt, m.AccessAt = 0, 0
	tx.Put(db, key, m)
}

// ListLen returns the length of key's list (0 when missing).
func ListLen(tx *engine.Tx, db int, key []byte) (int64, error) {
	m, ok, err := lookupList(tx, db, key)
	if err != nil || !ok {
		return 0, err
	}
	return m.Count, nil
}

// ListType reports whether key exists and holds a list (engine.ErrWrongType
// when it holds something else).
func ListType(tx *engine.Tx, db int, key []byte) (bool, error) {
	_, ok, err := lookupList(tx, db, key)
	return ok, err
}

// ListPush pushes vals one by one at end (Left: each new one becomes the
// head, as LPUSH does). With onlyExisting (LPUSHX/RPUSHX) a missing key is
// left alone and 0 is returned. It returns the new length.
func ListPush(tx *engine.Tx, db int, key []byte, end int, onlyExisting bool, vals ...[]byte) (int64, error) {
	m, ok, err := lookupList(tx, db, key)
	if err != nil {
		return 0, err
	}
	if !ok {
		if onlyExisting {
			return 0, nil
		}
		m = engine.Meta{Type: engine.TypeList}
		tx.Put(db, key, &m) // assigns the version
	}
	pushElems(tx, &m, end, vals)
	saveList(tx, db, key, &m)
	return m.Count, nil
}

func pushElems(tx *engine.Tx, m *engine.Meta, end int, vals [][]byte) {
	for _, v := range vals {
		if end == Left {
			m.Head--
			tx.ElemAdd(m.Version, seqKey(m.Head), v) // nothing outside Head..Tail-1
		} else {
			tx.ElemAdd(m.Version, seqKey(m.Tail), v)
			m.Tail++
		}
		m.Count++
	}
}

// ListPop removes up to count elements from end and returns them in pop
// order. The values alias transaction memory and stay valid until the
// transaction ends, whatever it writes meanwhile (a popped element's bytes
// are not overwritten, only hidden by a tombstone): copy them to keep them
// longer. A missing key returns nil, ok false. The key is deleted when
// the list becomes empty.
func ListPop(tx *engine.Tx, db int, key []byte, end int, count int64) ([][]byte, bool, error) {
	m, ok, err := lookupList(tx, db, key)
	if err != nil || !ok {
		return nil, false, err
	}
	if count > m.Count {
		count = m.Count
	}
	out := make([][]byte, 0, count)
	for i := int64(0); i < count; i++ {
		seq := m.Head
		if end == Right {
			seq = m.Tail - 1
		}
		k := seqKey(seq)
		out = append(out, tx.ElemGet(m.Version, k))
		if m.Count > count { // the last pops vanish with the key
			tx.ElemDelete(m.Version, k)
		}
		if end == Right {
			m.Tail--
		} else {
			m.Head++
		}
	}
	m.Count -= count
	saveList(tx, db, key, &m)
	return out, true, nil
}

// NormRange converts Redis's inclusive start/stop (negative from the end)
// for a sequence of length n into [from, to) clamped to it; from >= to means
// empty.
func NormRange(start, stop, n int64) (from, to int64) {
	if start < 0 {
		start += n
	}
	if stop < 0 {
		stop += n
	}
	if start < 0 {
		start = 0
	}
	if start > stop || start >= n {
		return 0, 0
	}
	if stop >= n {
		stop = n - 1
	}
	return start, stop + 1
}

// ListRange calls fn with the elements at indexes start..stop (inclusive,
// negative from the end) in order. total is called first with the number of
// elements that follow. A missing key yields total(0). Values alias the
// transaction.
func ListRange(tx *engine.Tx, db int, key []byte, start, stop int64, total func(int64), fn func([]byte)) error {
	m, ok, err := lookupList(tx, db, key)
	if err != nil {
		return err
	}
	if !ok {
		total(0)
		return nil
	}
	from, to := NormRange(start, stop, m.Count)
	total(to - from)
	walkList(tx, &m, from, to, false, func(_ int64, v []byte) bool { fn(v); return true })
	return nil
}

// walkList visits indexes [from, to) forward, or backward from to-1 when
// reverse; fn returning false stops.
func walkList(tx *engine.Tx, m *engine.Meta, from, to int64, reverse bool, fn func(i int64, v []byte) bool) {
	if from >= to {
		return
	}
	it := tx.Elems(m.Version)
	if reverse {
		i := to - 1
		for ok := it.Seek(seqKey(m.Head + i)); ok && i >= from; ok = it.Prev() {
			if !fn(i, it.Value()) {
				return
			}
			i--
		}
		return
	}
	i := from
	for ok := it.Seek(seqKey(m.Head + from)); ok && i < to; ok = it.Next() {
		if !fn(i, it.Value()) {
			return
		}
		i++
	}
}

// ListIndex returns the element at index (negative from the end); ok false
// when the key is missing or the index out of range. The value aliases the
// transaction.
func ListIndex(tx *engine.Tx, db int, key []byte, index int64) ([]byte, bool, error) {
	m, ok, err := lookupList(tx, db, key)
	if err != nil || !ok {
		return nil, false, err
	}
	if index < 0 {
		index += m.Count
	}
	if index < 0 || index >= m.Count {
		return nil, false, nil
	}
	return tx.ElemGet(m.Version, seqKey(m.Head+index)), true, nil
}

// ListSet replaces the element at index: ErrNoSuchKey for a missing key,
// ErrIndexRange outside the list. O(log n): no shifting is needed.
func ListSet(tx *engine.Tx, db int, key []byte, index int64, val []byte) error {
	m, ok, err := lookupList(tx, db, key)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNoSuchKey
	}
	if index < 0 {
		index += m.Count
	}
	if index < 0 || index >= m.Count {
		return ErrIndexRange
	}
	tx.ElemPut(m.Version, seqKey(m.Head+index), val)
	saveList(tx, db, key, &m)
	return nil
}

// readRange copies the elements at indexes [from, to).
func readRange(tx *engine.Tx, m *engine.Meta, from, to int64) [][]byte {
	out := make([][]byte, 0, to-from)
	walkList(tx, m, from, to, false, func(_ int64, v []byte) bool {
		out = append(out, bytes.Clone(v))
		return true
	})
	return out
}

// rewriteSide replaces the elements at indexes [lo, hi) with vals. Either
// hi == Count (the left part stays put, Tail moves) or lo == 0 (the right
// part stays put, Head moves); stale entries are deleted. Cost: the size of
// the rewritten side plus the entries it no longer uses.
func rewriteSide(tx *engine.Tx, m *engine.Meta, lo, hi int64, vals [][]byte) {
	n := int64(len(vals))
	if hi == m.Count {
		base := m.Head + lo
		for i, v := range vals {
			tx.ElemPut(m.Version, seqKey(base+int64(i)), v)
		}
		for s := base + n; s < m.Tail; s++ {
			tx.ElemDelete(m.Version, seqKey(s))
		}
		m.Tail = base + n
	} else {
		newHead := m.Head + hi - n
		for i, v := range vals {
			tx.ElemPut(m.Version, seqKey(newHead+int64(i)), v)
		}
		for s := m.Head; s < newHead; s++ {
			tx.ElemDelete(m.Version, seqKey(s))
		}
		m.Head = newHead
	}
	m.Count = m.Tail - m.Head
}

// ListInsert inserts val before (or after) the first element equal to
// pivot. It returns the new length, -1 when the pivot is absent, 0 when the
// key is missing. Cost O(position of pivot) to find it plus the shorter side.
func ListInsert(tx *engine.Tx, db int, key []byte, after bool, pivot, val []byte) (int64, error) {
	m, ok, err := lookupList(tx, db, key)
	if err != nil || !ok {
		return 0, err
	}
	at := int64(-1)
	walkList(tx, &m, 0, m.Count, false, func(i int64, v []byte) bool {
		if bytes.Equal(v, pivot) {
			at = i
			return false
		}
		return true
	})
	if at < 0 {
		return -1, nil
	}
	if after {
		at++
	}
	nv := bytes.Clone(val)
	if at <= m.Count-at {
		vals := append(readRange(tx, &m, 0, at), nv)
		rewriteSide(tx, &m, 0, at, vals)
	} else {
		vals := append([][]byte{nv}, readRange(tx, &m, at, m.Count)...)
		rewriteSide(tx, &m, at, m.Count, vals)
	}
	saveList(tx, db, key, &m)
	return m.Count, nil
}

// ListRem removes elements equal to val: count > 0 the first count from the
// head, count < 0 the first -count from the tail, 0 all. It returns how
// many were removed (0 for a missing key) and deletes an emptied key.
func ListRem(tx *engine.Tx, db int, key []byte, count int64, val []byte) (int64, error) {
	m, ok, err := lookupList(tx, db, key)
	if err != nil || !ok {
		return 0, err
	}
	limit := count
	if limit < 0 {
		limit = -limit
	}
	hit := map[int64]bool{}
	walkList(tx, &m, 0, m.Count, count < 0, func(i int64, v []byte) bool {
		if bytes.Equal(v, val) {
			hit[i] = true
		}
		return limit == 0 || int64(len(hit)) < limit
	})
	removed := int64(len(hit))
	if removed == 0 {
		return 0, nil
	}
	if removed == m.Count {
		tx.Delete(db, key)
		return removed, nil
	}
	first, last := m.Count, int64(-1)
	for i := range hit {
		first, last = min(first, i), max(last, i)
	}
	lo, hi := first, m.Count // rewrite the right side...
	if last+1 < m.Count-first {
		lo, hi = 0, last+1 // ...or the left one when shorter
	}
	var keep [][]byte
	walkList(tx, &m, lo, hi, false, func(i int64, v []byte) bool {
		if !hit[i] {
			keep = append(keep, bytes.Clone(v))
		}
		return true
	})
	rewriteSide(tx, &m, lo, hi, keep)
	saveList(tx, db, key, &m)
	return removed, nil
}

// ListTrim keeps only indexes start..stop (inclusive, negative from the
// end); an empty range deletes the key. A missing key is fine. Cost: the
// number of removed elements (0 entries touched when the range empties the
// list: the whole version is dropped).
func ListTrim(tx *engine.Tx, db int, key []byte, start, stop int64) error {
	m, ok, err := lookupList(tx, db, key)
	if err != nil || !ok {
		return err
	}
	from, to := NormRange(start, stop, m.Count)
	if from >= to {
		tx.Delete(db, key)
		return nil
	}
	if from == 0 && to == m.Count {
		return nil
	}
	newHead, newTail := m.Head+from, m.Head+to
	for s := m.Head; s < newHead; s++ {
		tx.ElemDelete(m.Version, seqKey(s))
	}
	for s := newTail; s < m.Tail; s++ {
		tx.ElemDelete(m.Version, seqKey(s))
	}
	m.Head, m.Tail, m.Count = newHead, newTail, to-from
	saveList(tx, db, key, &m)
	return nil
}

// PosOptions are LPOS's options: Rank (non-zero; negative searches from the
// tail), Count (-1 = not given, 0 = all matches), MaxLen (0 = no limit).
type PosOptions struct {
	Rank, Count, MaxLen int64
}

// ListPos returns the indexes of elements equal to val per LPOS's rules.
// exists is false for a missing key.
func ListPos(tx *engine.Tx, db int, key, val []byte, o PosOptions) (idx []int64, exists bool, err error) {
	m, ok, err := lookupList(tx, db, key)
	if err != nil || !ok {
		return nil, false, err
	}
	rank, reverse := o.Rank, false
	if rank < 0 {
		rank, reverse = -rank, true
	}
	var matches, scanned int64
	walkList(tx, &m, 0, m.Count, reverse, func(i int64, v []byte) bool {
		if o.MaxLen > 0 && scanned >= o.MaxLen {
			return false
		}
		scanned++
		if !bytes.Equal(v, val) {
			return true
		}
		matches++
		if matches < rank {
			return true
		}
		idx = append(idx, i)
		if o.Count < 0 { // single answer
			return false
		}
		return o.Count == 0 || int64(len(idx)) < o.Count
	})
	return idx, true, nil
}

// ListMove pops one element from src's from end and pushes it at dst's to
// end (LMOVE); the element returned is valid until the transaction ends.
// ok false when src is missing. A dst of another type fails with
// engine.ErrWrongType before anything changes. src == dst rotates.
func ListMove(tx *engine.Tx, db int, src, dst []byte, from, to int) ([]byte, bool, error) {
	if _, ok, err := lookupList(tx, db, src); err != nil || !ok {
		return nil, false, err
	}
	if _, _, err := lookupList(tx, db, dst); err != nil {
		return nil, false, err
	}
	vals, _, err := ListPop(tx, db, src, from, 1)
	if err != nil || len(vals) == 0 {
		return nil, false, err
	}
	if _, err := ListPush(tx, db, dst, to, false, vals[0]); err != nil {
		return nil, false, err
	}
	return vals[0], true, nil
}

// ListMPop pops up to count elements from end of the first non-empty list
// among keys (LMPOP). It returns the key popped from (nil when all are
// missing). A key of another type met before a list fails with WRONGTYPE.
func ListMPop(tx *engine.Tx, db int, keys [][]byte, end int, count int64) ([]byte, [][]byte, error) {
	for _, k := range keys {
		vals, ok, err := ListPop(tx, db, k, end, count)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			return k, vals, nil
		}
	}
	return nil, nil, nil
}

package engine

import (
	"bytes"
	"encoding/binary"
)

// Collections keep one data-bucket entry per element under the version in
// their Meta. The sub-key layout inside a version belongs to the datatypes
// package (list sequence numbers, hash fields, zset score index…).

// ElemGet returns the element stored under sub, or nil. The slice is valid
// until the transaction ends.
func (tx *Tx) ElemGet(version uint64, sub []byte) []byte {
	tx.buf = appendDataKey(tx.buf[:0], version, sub)
	return tx.elemGet(tx.buf)
}

// ElemPut stores an element. val is copied.
func (tx *Tx) ElemPut(version uint64, sub, val []byte) {
	tx.buf = appendDataKey(tx.buf[:0], version, sub)
	tx.elemStore(tx.elemGet(tx.buf), val)
}

// ElemAdd stores an element the caller knows is absent (a list push past
// either end of the list): ElemPut without looking the old value up for
// usage accounting, a search of every layer and of bbolt for a key that
// cannot be there. If the element did exist, the logical size counts it
// twice. val is copied.
func (tx *Tx) ElemAdd(version uint64, sub, val []byte) {
	tx.buf = appendDataKey(tx.buf[:0], version, sub)
	tx.elemStore(nil, val)
}

// elemStore writes val under the data key in tx.buf, replacing old.
func (tx *Tx) elemStore(old, val []byte) {
	tx.elemPutHook(tx.buf, old, val) // usage (usage.go)
	tx.put(bData, tx.buf, val)       // copies val
}

// ElemDelete removes an element (absent is fine).
func (tx *Tx) ElemDelete(version uint64, sub []byte) {
	tx.buf = appendDataKey(tx.buf[:0], version, sub)
	tx.elemDrop(tx.elemGet(tx.buf))
}

// ElemRemove removes an element the caller knows holds old (a zset's
// score entry, whose value is always empty): ElemDelete without looking
// the value up for usage accounting. A wrong old skews the logical size.
func (tx *Tx) ElemRemove(version uint64, sub, old []byte) {
	tx.buf = appendDataKey(tx.buf[:0], version, sub)
	tx.elemDrop(old)
}

// elemDrop deletes the data key in tx.buf, which held old.
func (tx *Tx) elemDrop(old []byte) {
	tx.elemDelHook(tx.buf, old) // usage (usage.go)
	tx.del(bData, tx.buf)
}

// elemCache remembers the last two element lookups of a transaction. The
// usual write reads an element and then writes it (HSET, SADD and ZADD
// ask whether the field or member exists; ElemPut and ElemDelete read the
// old value again for usage accounting), and ZADD reads a member and its
// old score entry before writing both: without the cache each of those
// is another search of every layer and of bbolt. Writes through tx.put
// and tx.del drop the written key's entry.
type elemCache struct {
	k    [2][]byte
	v    [2][]byte
	ok   [2]bool
	next int
}

func (c *elemCache) reset() { c.ok, c.v, c.next = [2]bool{}, [2][]byte{}, 0 }

func (c *elemCache) forget(k []byte) {
	for i := range c.k {
		if c.ok[i] && bytes.Equal(c.k[i], k) {
			c.ok[i], c.v[i] = false, nil
		}
	}
}

// elemGet is tx.get(bData, k) through the cache.
func (tx *Tx) elemGet(k []byte) []byte {
	c := &tx.elems
	for i := range c.k {
		if c.ok[i] && bytes.Equal(c.k[i], k) {
			return c.v[i]
		}
	}
	v := tx.get(bData, k)
	i := c.next
	c.k[i], c.v[i], c.ok[i] = append(c.k[i][:0], k...), v, true
	c.next = 1 - i
	return v
}

// ElemIter walks the elements of one version in sub-key order. Do not write
// to the data bucket while iterating (bbolt may skip entries): collect, then
// write.
type ElemIter struct {
	c      cursor
	prefix [versionLen]byte
	k, v   []byte
}

// Elems returns an iterator over version's elements, positioned nowhere:
// call First, Last, Seek or SeekLE.
func (tx *Tx) Elems(version uint64) *ElemIter {
	it := &ElemIter{c: tx.cursor(bData)}
	binary.BigEndian.PutUint64(it.prefix[:], version)
	return it
}

func (it *ElemIter) set(k, v []byte) bool {
	if k == nil || !bytes.HasPrefix(k, it.prefix[:]) {
		it.k, it.v = nil, nil
		return false
	}
	it.k, it.v = k, v
	return true
}

// First moves to the smallest element.
func (it *ElemIter) First() bool { return it.set(it.c.Seek(it.prefix[:])) }

// Seek moves to the first element whose sub-key is ≥ sub.
func (it *ElemIter) Seek(sub []byte) bool {
	return it.set(it.c.Seek(append(it.prefix[:], sub...)))
}

// Last moves to the largest element.
func (it *ElemIter) Last() bool {
	next := binary.BigEndian.Uint64(it.prefix[:]) + 1
	var nk [versionLen]byte
	binary.BigEndian.PutUint64(nk[:], next)
	k, _ := it.c.Seek(nk[:])
	if k == nil {
		return it.set(it.c.Last())
	}
	return it.set(it.c.Prev())
}

// SeekLE moves to the last element whose sub-key is ≤ sub.
func (it *ElemIter) SeekLE(sub []byte) bool {
	target := append(it.prefix[:], sub...)
	k, v := it.c.Seek(target)
	if k != nil && bytes.Equal(k, target) {
		return it.set(k, v)
	}
	if k == nil {
		return it.set(it.c.Last())
	}
	return it.set(it.c.Prev())
}

// Next moves forward.
func (it *ElemIter) Next() bool { return it.set(it.c.Next()) }

// Prev moves backward.
func (it *ElemIter) Prev() bool { return it.set(it.c.Prev()) }

// Sub is the current element's sub-key (aliases transaction memory).
func (it *ElemIter) Sub() []byte { return it.k[versionLen:] }

// Value is the current element's value (aliases transaction memory).
func (it *ElemIter) Value() []byte { return it.v }

package engine

import (
	"bytes"
	"encoding/binary"
)

// The tag index: every key whose Meta carries a tag has one entry
//
//	t  tag  ns(4) | len(tag)(4) | tag | hash(8) | key   → ∅
//
// so the keys of one tag in one database are a contiguous range (CACHE.EVICT
// costs O(keys in the tag)) and the tags of one database are a contiguous
// range too (CACHE.TAGS costs O(tagged keys in the database)). The entry is
// moved by the same hooks that keep the expire index: Put (tag added,
// changed or dropped), removeRecord (DEL, expiry, eviction), Rename's
// detach, and the reclaimer of a flushed namespace. SWAPDB needs nothing:
// the namespace travels with the data.

const tagLenLen = 4

// appendTagKey appends the index entry of meta key mk under tag.
func appendTagKey(buf, mk, tag []byte) []byte {
	ns, h, key := splitMetaKey(mk)
	buf = binary.BigEndian.AppendUint32(buf, ns)
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(tag)))
	buf = append(buf, tag...)
	buf = binary.BigEndian.AppendUint64(buf, h)
	return append(buf, key...)
}

// tagPrefix is the prefix of every entry of tag in namespace ns.
func tagPrefix(ns uint32, tag []byte) []byte {
	buf := make([]byte, 0, nsLen+tagLenLen+len(tag))
	buf = binary.BigEndian.AppendUint32(buf, ns)
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(tag)))
	return append(buf, tag...)
}

// splitTagKey returns the tag and the meta key of an index entry (the tag
// aliases tk; the meta key is new). ok is false for a malformed entry.
func splitTagKey(tk []byte) (tag, mk []byte, ok bool) {
	if len(tk) < nsLen+tagLenLen {
		return nil, nil, false
	}
	n := int(binary.BigEndian.Uint32(tk[nsLen:]))
	rest := tk[nsLen+tagLenLen:]
	if n > len(rest) || len(rest)-n < hashLen {
		return nil, nil, false
	}
	tag = rest[:n]
	mk = make([]byte, 0, metaHdrLen+len(rest)-n-hashLen)
	mk = append(mk, tk[:nsLen]...)
	mk = append(mk, rest[n:]...)
	return tag, mk, true
}

// retag moves mk's tag index entry from old to new (empty = none).
func (tx *Tx) retag(mk, old, new []byte) {
	if bytes.Equal(old, new) {
		return
	}
	if len(old) > 0 {
		tx.del(bTag, appendTagKey(nil, mk, old))
	}
	if len(new) > 0 {
		tx.put(bTag, appendTagKey(nil, mk, new), nil)
	}
}

// SetTag sets (tag non-empty) or removes (tag empty) the tag of key in db,
// whatever its type. It reports false when the key is missing or expired.
// Setting the tag a key already has changes nothing.
func (tx *Tx) SetTag(db int, key, tag []byte) bool {
	m, ok, err := tx.Lookup(db, key)
	if err != nil || !ok {
		return false
	}
	if bytes.Equal(m.Tag, tag) {
		return true
	}
	m.Value = bytes.Clone(m.Value)
	m.Tag = bytes.Clone(tag)
	tx.Put(db, key, &m)
	return true
}

// EvictTag deletes up to limit keys of db carrying tag and returns how many
// live keys it deleted and whether entries may remain (the batch was full).
// Keys that had expired are removed too (counted as expired, not in n).
// Index entries whose key is gone or carries another tag are dropped.
// deleted (may be nil) is called with each live key removed (it aliases
// transaction memory).
func (tx *Tx) EvictTag(db int, tag []byte, limit int, deleted func(key []byte)) (n int, more bool) {
	prefix := tagPrefix(tx.nsOf(db), tag)
	var tks [][]byte
	c := tx.cursor(bTag)
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(tks) < limit; k, _ = c.Next() {
		tks = append(tks, bytes.Clone(k))
	}
	for _, tk := range tks {
		_, mk, ok := splitTagKey(tk)
		if !ok {
			tx.del(bTag, tk)
			continue
		}
		var m Meta
		raw := tx.get(bMeta, mk)
		if raw == nil || decodeMeta(raw, &m) != nil || !bytes.Equal(m.Tag, tag) {
			tx.del(bTag, tk) // stale entry
			continue
		}
		_, _, key := splitMetaKey(mk)
		if tx.Delete(db, key) {
			n++
			if deleted != nil {
				deleted(key)
			}
		}
	}
	return n, len(tks) == limit
}

// TagCounts calls fn for every tag in db with its number of index entries
// (keys that expired but were not removed yet are counted, as DBSIZE does),
// in index order: by tag length, then bytes. Cost: O(tagged keys in db).
// fn returning false stops the walk.
func (tx *Tx) TagCounts(db int, fn func(tag []byte, n int64) bool) {
	prefix := nsPrefix(tx.nsOf(db))
	c := tx.cursor(bTag)
	var cur []byte
	var n int64
	have := false
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		tag, _, ok := splitTagKey(k)
		if !ok {
			continue
		}
		if have && bytes.Equal(tag, cur) {
			n++
			continue
		}
		if have && !fn(cur, n) {
			return
		}
		cur, n, have = append(cur[:0], tag...), 1, true
	}
	if have {
		fn(cur, n)
	}
}

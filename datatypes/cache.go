package datatypes

import (
	"bytes"
	"slices"

	"github.com/diskcached/diskcached/engine"
)

// CacheSetOptions are CACHE.SET's options.
type CacheSetOptions struct {
	NX, XX   bool
	ExpireAt int64  // unix ms; 0 = no expiry
	Tag      []byte // empty = no tag (an existing tag is dropped)
}

// CacheSet stores val as a string at key with the given expiry and tag,
// replacing a value of any type (like SET). It reports false when NX or XX
// kept it from storing. An expiry already in the past deletes the key and
// reports true (as SET … PXAT <past> does).
func CacheSet(tx *engine.Tx, db int, key, val []byte, o CacheSetOptions) bool {
	exists := tx.Exists(db, key)
	if (o.NX && exists) || (o.XX && !exists) {
		return false
	}
	if o.ExpireAt != 0 && o.ExpireAt <= tx.Now {
		tx.Delete(db, key)
		return true
	}
	tx.Put(db, key, &engine.Meta{Type: engine.TypeString, Value: val, ExpireAt: o.ExpireAt, Tag: o.Tag})
	return true
}

// GetTag returns a copy of key's tag; ok is false when the key is missing
// or expired. A key without a tag returns (nil, true).
func GetTag(tx *engine.Tx, db int, key []byte) (tag []byte, ok bool, err error) {
	m, ok, err := tx.Peek(db, key)
	if err != nil || !ok {
		return nil, false, err
	}
	return bytes.Clone(m.Tag), true, nil
}

// Untag removes key's tag and reports whether the key had one.
func Untag(tx *engine.Tx, db int, key []byte) bool {
	m, ok, err := tx.Peek(db, key)
	if err != nil || !ok || len(m.Tag) == 0 {
		return false
	}
	return tx.SetTag(db, key, nil)
}

// TagCount is one line of CACHE.TAGS.
type TagCount struct {
	Tag   []byte
	Count int64
}

// Tags lists db's tags matching pattern (nil = all) with their key counts,
// sorted by tag bytes. Cost: O(tagged keys in db).
func Tags(tx *engine.Tx, db int, pattern []byte) []TagCount {
	var out []TagCount
	tx.TagCounts(db, func(tag []byte, n int64) bool {
		if pattern == nil || Match(pattern, tag) {
			out = append(out, TagCount{bytes.Clone(tag), n})
		}
		return true
	})
	sortTagCounts(out)
	return out
}

func sortTagCounts(tc []TagCount) {
	slices.SortFunc(tc, func(a, b TagCount) int { return bytes.Compare(a.Tag, b.Tag) })
}

// IsElementSub reports whether a collection entry counts as an element in
// Meta.Count (CACHE.CHECK): a sorted set's score-index entries do not.
func IsElementSub(t engine.Type, sub []byte) bool {
	if t == engine.TypeZSet {
		_, ok := MemberOfSub(sub)
		return ok
	}
	return true
}

package datatypes

import (
	"bytes"
	"errors"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/diskcached/diskcached/engine"
)

// SORT and SORT_RO over lists, sets and sorted sets.

// ErrSortScore is returned when a numeric SORT meets a weight that is not a
// number.
var ErrSortScore = errors.New("One or more scores can't be converted into double")

// SortOptions are SORT's parsed options.
type SortOptions struct {
	By       []byte   // BY pattern; nil = sort by the elements themselves
	Gets     [][]byte // GET patterns, in order ("#" = the element)
	Offset   int64    // LIMIT offset (0 when absent)
	Count    int64    // LIMIT count (-1 when absent)
	Desc     bool
	Alpha    bool
	Store    []byte // STORE destination; nil = reply
	InScript bool   // called from a script (sets are then always sorted)
}

type sortItem struct {
	elem  []byte
	score float64
	cmp   []byte // ALPHA BY value (nil when the key is missing)
}

// Sort runs SORT on key. Without Store it returns the reply items (nil
// entries are missing GET values); with Store it replaces Store with a list
// of the result (GET misses stored as "") and returns its length. A missing
// key sorts as an empty list; a string or hash is engine.ErrWrongType.
func Sort(tx *engine.Tx, db int, key []byte, o SortOptions) ([][]byte, int64, error) {
	m, ok, err := tx.Lookup(db, key)
	if err != nil {
		return nil, 0, err
	}
	if ok && m.Type != engine.TypeList && m.Type != engine.TypeSet && m.Type != engine.TypeZSet {
		return nil, 0, engine.ErrWrongType
	}
	dontSort := o.By != nil && !bytes.Contains(o.By, []byte("*"))
	by := o.By
	if dontSort {
		by = nil
	}
	if ok && dontSort && m.Type == engine.TypeSet && (o.Store != nil || o.InScript) {
		// Sets have no order of their own: make the output deterministic.
		dontSort, o.Alpha = false, true
	}
	elems, err := sortElements(tx, db, key, &m, ok)
	if err != nil {
		return nil, 0, err
	}
	n := int64(len(elems))
	if dontSort && o.Desc && (m.Type == engine.TypeList || m.Type == engine.TypeZSet) {
		for i, j := 0, len(elems)-1; i < j; i, j = i+1, j-1 {
			elems[i], elems[j] = elems[j], elems[i]
		}
	}
	start, end := sortLimit(o.Offset, o.Count, n)
	items := make([]sortItem, len(elems))
	for i, e := range elems {
		items[i].elem = e
	}
	if !dontSort {
		if err := sortItems(tx, db, items, by, o); err != nil {
			return nil, 0, err
		}
	}
	var out [][]byte
	for j := start; j <= end; j++ {
		if len(o.Gets) == 0 {
			out = append(out, items[j].elem)
			continue
		}
		for _, g := range o.Gets {
			v := sortLookup(tx, db, g, items[j].elem)
			if v != nil {
				v = bytes.Clone(v)
			} else if o.Store != nil {
				v = []byte{}
			}
			out = append(out, v)
		}
	}
	if o.Store == nil {
		return out, int64(len(out)), nil
	}
	tx.Delete(db, o.Store)
	if len(out) > 0 {
		if _, err := ListPush(tx, db, o.Store, Right, false, out...); err != nil {
			return nil, 0, err
		}
	}
	return nil, int64(len(out)), nil
}

// sortLimit applies SORT's LIMIT clamping; end < start means empty.
func sortLimit(offset, count, n int64) (int64, int64) {
	start := min(max(offset, 0), n)
	count = min(max(count, -1), n)
	end := start + count - 1
	if count < 0 {
		end = n - 1
	}
	if start >= n {
		start, end = n-1, n-2
	}
	if end >= n {
		end = n - 1
	}
	return start, end
}

// sortElements copies the elements to sort in the key's native order
// (lists by index, sets by member bytes, zsets by score).
func sortElements(tx *engine.Tx, db int, key []byte, m *engine.Meta, ok bool) ([][]byte, error) {
	if !ok {
		return nil, nil
	}
	switch m.Type {
	case engine.TypeSet:
		return allMembers(tx, m.Version, int(m.Count)), nil
	case engine.TypeZSet:
		items := rankSlice(tx, m.Version, m.Count, 0, m.Count-1, false)
		out := make([][]byte, len(items))
		for i, it := range items {
			out[i] = it.Member
		}
		return out, nil
	}
	out := make([][]byte, 0, m.Count)
	err := ListRange(tx, db, key, 0, -1, func(int64) {}, func(v []byte) { out = append(out, bytes.Clone(v)) })
	return out, err
}

// sortItems computes weights and sorts items in place.
func sortItems(tx *engine.Tx, db int, items []sortItem, by []byte, o SortOptions) error {
	for i := range items {
		w := items[i].elem
		if by != nil {
			w = sortLookup(tx, db, by, items[i].elem)
			if w == nil {
				continue
			}
		}
		if o.Alpha {
			if by != nil {
				items[i].cmp = bytes.Clone(w)
			}
			continue
		}
		f, ok := sortScore(w)
		if !ok {
			return ErrSortScore
		}
		items[i].score = f
	}
	less := func(a, b *sortItem) int {
		switch {
		case !o.Alpha:
			if a.score != b.score {
				if a.score < b.score {
					return -1
				}
				return 1
			}
			return bytes.Compare(a.elem, b.elem)
		case by != nil:
			if a.cmp == nil || b.cmp == nil {
				switch {
				case a.cmp == nil && b.cmp == nil:
					return 0
				case a.cmp == nil:
					return -1
				}
				return 1
			}
			return bytes.Compare(a.cmp, b.cmp)
		}
		return bytes.Compare(a.elem, b.elem)
	}
	sort.SliceStable(items, func(i, j int) bool {
		c := less(&items[i], &items[j])
		if o.Desc {
			return c > 0
		}
		return c < 0
	})
	return nil
}

// sortScore parses a numeric SORT weight as strtod does, refusing NaN,
// overflow and trailing garbage.
func sortScore(b []byte) (float64, bool) {
	s := strings.TrimLeft(string(b), " \t\n\v\f\r")
	if len(b) == 0 {
		return 0, true
	}
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// sortLookup resolves a BY/GET pattern for elem: "#" is elem itself; the
// first '*' is replaced by elem; "key->field" reads a hash field. Missing
// keys, wrong types and patterns without '*' give nil.
func sortLookup(tx *engine.Tx, db int, pattern, elem []byte) []byte {
	if len(pattern) == 1 && pattern[0] == '#' {
		return elem
	}
	star := bytes.IndexByte(pattern, '*')
	if star < 0 {
		return nil
	}
	keyPat, field := pattern, []byte(nil)
	if f := bytes.Index(pattern[star+1:], []byte("->")); f >= 0 && star+1+f+2 < len(pattern) {
		keyPat, field = pattern[:star+1+f], pattern[star+1+f+2:]
	}
	key := make([]byte, 0, len(keyPat)+len(elem))
	key = append(append(append(key, keyPat[:star]...), elem...), keyPat[star+1:]...)
	m, ok, err := tx.Lookup(db, key)
	if err != nil || !ok {
		return nil
	}
	if field != nil {
		if m.Type != engine.TypeHash {
			return nil
		}
		return HashField(tx, &m, field)
	}
	if m.Type != engine.TypeString {
		return nil
	}
	return m.Value
}

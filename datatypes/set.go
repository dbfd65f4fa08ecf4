package datatypes

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"

	"github.com/diskcached/diskcached/engine"
)

// Sets keep one data entry per member under the set's version:
//
//	'm' | member → ∅
//
// Meta.Count is the exact number of members. Member order on disk is byte
// order, which SSCAN uses for its cursor (see ScanMembers).

const memberTag = 'm'

// memberSub returns 'm'+member, the sub-key of a set or zset member.
func memberSub(member []byte) []byte {
	s := make([]byte, 1+len(member))
	s[0] = memberTag
	copy(s[1:], member)
	return s
}

// lookupSet returns the live set at key. Missing or expired: ok false.
// Another type: engine.ErrWrongType.
func lookupSet(tx *engine.Tx, db int, key []byte) (engine.Meta, bool, error) {
	return tx.LookupType(db, key, engine.TypeSet)
}

// SAdd adds members to the set at key (created if missing) and returns how
// many were not there before. A member named twice counts once.
func SAdd(tx *engine.Tx, db int, key []byte, members [][]byte) (int64, error) {
	m, ok, err := lookupSet(tx, db, key)
	if err != nil {
		return 0, err
	}
	if !ok {
		m = engine.Meta{Type: engine.TypeSet}
		tx.Put(db, key, &m) // allocates the version
	} else {
		m.Tag = bytes.Clone(m.Tag)
	}
	var added int64
	for _, mem := range members {
		sub := memberSub(mem)
		if tx.ElemGet(m.Version, sub) != nil {
			continue
		}
		tx.ElemPut(m.Version, sub, nil)
		added++
	}
	if added > 0 || !ok {
		m.Count += added
		tx.Put(db, key, &m)
	}
	return added, nil
}

// SRem removes members from the set at key and returns how many were
// there. The key is deleted when the set becomes empty. Missing key: 0.
func SRem(tx *engine.Tx, db int, key []byte, members [][]byte) (int64, error) {
	m, ok, err := lookupSet(tx, db, key)
	if err != nil || !ok {
		return 0, err
	}
	var removed int64
	for _, mem := range members {
		sub := memberSub(mem)
		if tx.ElemGet(m.Version, sub) == nil {
			continue
		}
		tx.ElemDelete(m.Version, sub)
		removed++
	}
	if removed > 0 {
		setCount(tx, db, key, &m, m.Count-removed)
	}
	return removed, nil
}

// setCount stores a collection's new element count, deleting the key when
// it reaches zero (Redis never keeps empty collections).
func setCount(tx *engine.Tx, db int, key []byte, m *engine.Meta, n int64) {
	if n <= 0 {
		tx.Delete(db, key)
		return
	}
	m.Count = n
	m.Tag = bytes.Clone(m.Tag)
	tx.Put(db, key, m)
}

// SIsMember reports whether member is in the set at key (missing key: false).
func SIsMember(tx *engine.Tx, db int, key, member []byte) (bool, error) {
	m, ok, err := lookupSet(tx, db, key)
	if err != nil || !ok {
		return false, err
	}
	return tx.ElemGet(m.Version, memberSub(member)) != nil, nil
}

// SMIsMember reports membership for each of members (missing key: all false).
func SMIsMember(tx *engine.Tx, db int, key []byte, members [][]byte) ([]bool, error) {
	m, ok, err := lookupSet(tx, db, key)
	if err != nil {
		return nil, err
	}
	out := make([]bool, len(members))
	if ok {
		for i, mem := range members {
			out[i] = tx.ElemGet(m.Version, memberSub(mem)) != nil
		}
	}
	return out, nil
}

// SCard returns the number of members (missing key: 0).
func SCard(tx *engine.Tx, db int, key []byte) (int64, error) {
	m, ok, err := lookupSet(tx, db, key)
	if err != nil || !ok {
		return 0, err
	}
	return m.Count, nil
}

// SMembers returns every member, copied, in byte order. Missing key: empty,
// ok false.
func SMembers(tx *engine.Tx, db int, key []byte) ([][]byte, bool, error) {
	m, ok, err := lookupSet(tx, db, key)
	if err != nil || !ok {
		return nil, ok, err
	}
	return allMembers(tx, m.Version, int(m.Count)), true, nil
}

// allMembers copies the members ('m' entries) of a set or zset version.
func allMembers(tx *engine.Tx, version uint64, hint int) [][]byte {
	out := make([][]byte, 0, hint)
	it := tx.Elems(version)
	for ok := it.Seek([]byte{memberTag}); ok; ok = it.Next() {
		sub := it.Sub()
		if len(sub) == 0 || sub[0] != memberTag {
			break
		}
		out = append(out, bytes.Clone(sub[1:]))
	}
	return out
}

// smallCollection is the size up to which random sampling reads every
// member (exactly uniform); bigger collections sample by random seeks.
const smallCollection = 4096

// randomMember returns one member of a big set or zset version by seeking
// to a random position between its first and last member (O(log n); the
// distribution follows the spacing of member prefixes, not exactly uniform).
func randomMember(tx *engine.Tx, version uint64) []byte {
	it := tx.Elems(version)
	if !it.Seek([]byte{memberTag}) || it.Sub()[0] != memberTag {
		return nil
	}
	lo := prefix64(it.Sub()[1:])
	first := bytes.Clone(it.Sub()[1:])
	if !it.SeekLE([]byte{memberTag + 1}) || it.Sub()[0] != memberTag {
		return first
	}
	hi := prefix64(it.Sub()[1:])
	if hi <= lo {
		return first
	}
	target := lo + rand.Uint64N(hi-lo+1)
	if !it.Seek(append([]byte{memberTag}, trimmedPrefix(target)...)) || it.Sub()[0] != memberTag {
		return first
	}
	return bytes.Clone(it.Sub()[1:])
}

// prefix64 reads the first 8 bytes of b (zero-padded) as a big-endian number.
func prefix64(b []byte) uint64 {
	var p [8]byte
	copy(p[:], b)
	return binary.BigEndian.Uint64(p[:])
}

// trimmedPrefix is the shortest byte string whose zero-padded 8-byte prefix
// is p: seeking to it finds the first member with prefix64 ≥ p.
func trimmedPrefix(p uint64) []byte {
	b := binary.BigEndian.AppendUint64(nil, p)
	return bytes.TrimRight(b, "\x00")
}

// sampleMembers picks count members of a set or zset version holding n
// members: distinct when unique (count ≤ n is the caller's business), with
// repetitions otherwise.
func sampleMembers(tx *engine.Tx, version uint64, n, count int64, unique bool) [][]byte {
	if n <= smallCollection || (unique && count*4 > n) {
		all := allMembers(tx, version, int(n))
		out := make([][]byte, 0, count)
		if unique {
			rand.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
			return append(out, all[:count]...)
		}
		for i := int64(0); i < count; i++ {
			out = append(out, all[rand.IntN(len(all))])
		}
		return out
	}
	out := make([][]byte, 0, count)
	seen := map[string]bool{}
	for tries := int64(0); int64(len(out)) < count; tries++ {
		if unique && tries > 20*count+100 {
			// Seeks keep landing on the same members: fall back to a full read.
			return sampleMembers(tx, version, smallCollection, count, true)
		}
		mem := randomMember(tx, version)
		if unique {
			if seen[string(mem)] {
				continue
			}
			seen[string(mem)] = true
		}
		out = append(out, mem)
	}
	return out
}

// SPop removes and returns count random distinct members (all of them, and
// the key, when count ≥ the set's size). Missing key: nil, ok false.
func SPop(tx *engine.Tx, db int, key []byte, count int64) ([][]byte, bool, error) {
	m, ok, err := lookupSet(tx, db, key)
	if err != nil || !ok {
		return nil, false, err
	}
	if count <= 0 {
		return nil, true, nil
	}
	if count >= m.Count {
		all := allMembers(tx, m.Version, int(m.Count))
		tx.Delete(db, key)
		return all, true, nil
	}
	picked := sampleMembers(tx, m.Version, m.Count, count, true)
	for _, mem := range picked {
		tx.ElemDelete(m.Version, memberSub(mem))
	}
	setCount(tx, db, key, &m, m.Count-int64(len(picked)))
	return picked, true, nil
}

// SRandMember returns random members without removing them: count ≥ 0
// gives distinct members (at most the set's size), count < 0 gives -count
// members possibly repeated. Missing key: nil.
func SRandMember(tx *engine.Tx, db int, key []byte, count int64) ([][]byte, error) {
	m, ok, err := lookupSet(tx, db, key)
	if err != nil || !ok || count == 0 {
		return nil, err
	}
	return sampleCount(tx, m.Version, m.Count, count), nil
}

// sampleCount applies SRANDMEMBER/ZRANDMEMBER count rules.
func sampleCount(tx *engine.Tx, version uint64, n, count int64) [][]byte {
	if count < 0 {
		return sampleMembers(tx, version, n, -count, false)
	}
	if count >= n {
		all := allMembers(tx, version, int(n))
		rand.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		return all
	}
	return sampleMembers(tx, version, n, count, true)
}

// SMove moves member from src to dst. It reports whether the member was in
// src. Both keys must be sets (or missing); src == dst is a membership test.
func SMove(tx *engine.Tx, db int, src, dst, member []byte) (bool, error) {
	sm, ok, err := lookupSet(tx, db, src)
	if err != nil || !ok {
		return false, err
	}
	if _, _, err := lookupSet(tx, db, dst); err != nil {
		return false, err
	}
	sub := memberSub(member)
	if tx.ElemGet(sm.Version, sub) == nil {
		return false, nil
	}
	if bytes.Equal(src, dst) {
		return true, nil
	}
	tx.ElemDelete(sm.Version, sub)
	setCount(tx, db, src, &sm, sm.Count-1)
	_, err = SAdd(tx, db, dst, [][]byte{member})
	return true, err
}

// SetOp is a set algebra operation.
type SetOp int

// Set operations.
const (
	SetUnion SetOp = iota
	SetInter
	SetDiff
)

// setInput is one source of a set operation.
type setInput struct {
	version uint64
	count   int64
	exists  bool
}

func loadSetInputs(tx *engine.Tx, db int, keys [][]byte) ([]setInput, error) {
	in := make([]setInput, len(keys))
	for i, k := range keys {
		m, ok, err := lookupSet(tx, db, k)
		if err != nil {
			return nil, err
		}
		in[i] = setInput{m.Version, m.Count, ok}
	}
	return in, nil
}

// SetCombine computes the union, intersection or difference (first key
// minus the others) of the sets at keys; missing keys are empty sets. Every
// key is type-checked first. limit > 0 stops an intersection after that
// many members (SINTERCARD). The result is copied, in no particular order.
func SetCombine(tx *engine.Tx, db int, op SetOp, keys [][]byte, limit int64) ([][]byte, error) {
	in, err := loadSetInputs(tx, db, keys)
	if err != nil {
		return nil, err
	}
	switch op {
	case SetUnion:
		seen := map[string]bool{}
		var out [][]byte
		for _, s := range in {
			if !s.exists {
				continue
			}
			for _, mem := range allMembers(tx, s.version, int(s.count)) {
				if !seen[string(mem)] {
					seen[string(mem)] = true
					out = append(out, mem)
				}
			}
		}
		return out, nil
	case SetInter:
		small := 0
		for i, s := range in {
			if !s.exists {
				return nil, nil
			}
			if s.count < in[small].count {
				small = i
			}
		}
		var out [][]byte
		for _, mem := range allMembers(tx, in[small].version, int(in[small].count)) {
			if memberOfAll(tx, in, small, mem) {
				out = append(out, mem)
				if limit > 0 && int64(len(out)) >= limit {
					break
				}
			}
		}
		return out, nil
	default:
		if !in[0].exists {
			return nil, nil
		}
		var out [][]byte
		for _, mem := range allMembers(tx, in[0].version, int(in[0].count)) {
			if !memberOfAny(tx, in[1:], mem) {
				out = append(out, mem)
			}
		}
		return out, nil
	}
}

func memberOfAll(tx *engine.Tx, in []setInput, skip int, mem []byte) bool {
	sub := memberSub(mem)
	for i, s := range in {
		if i != skip && tx.ElemGet(s.version, sub) == nil {
			return false
		}
	}
	return true
}

func memberOfAny(tx *engine.Tx, in []setInput, mem []byte) bool {
	sub := memberSub(mem)
	for _, s := range in {
		if s.exists && tx.ElemGet(s.version, sub) != nil {
			return true
		}
	}
	return false
}

// SetStore replaces dst with a set of members (distinct) and returns its
// size. An empty result deletes dst. dst's old expiry is dropped.
func SetStore(tx *engine.Tx, db int, dst []byte, members [][]byte) int64 {
	tx.Delete(db, dst)
	if len(members) == 0 {
		return 0
	}
	m := engine.Meta{Type: engine.TypeSet, Count: int64(len(members))}
	tx.Put(db, dst, &m)
	for _, mem := range members {
		tx.ElemPut(m.Version, memberSub(mem), nil)
	}
	return m.Count
}

// ScanMembers walks the members ('m' entries) of a set, hash-like or zset
// version from cursor, calling fn with each member and its stored value
// (both alias the transaction), and returns the cursor to resume from
// (0 when done).
//
// The cursor is the big-endian value of the first 8 bytes of the next
// member: members present for the whole iteration are returned at least
// once whatever is written meanwhile. A batch never stops between members
// sharing those 8 bytes, so the cursor always moves forward (COUNT is a
// hint, as in Redis).
func ScanMembers(tx *engine.Tx, version uint64, cursor uint64, count int, fn func(member, val []byte)) uint64 {
	it := tx.Elems(version)
	seek := append([]byte{memberTag}, trimmedPrefix(cursor)...)
	visited := 0
	var last uint64
	for ok := it.Seek(seek); ok; ok = it.Next() {
		sub := it.Sub()
		if len(sub) == 0 || sub[0] != memberTag {
			return 0
		}
		p := prefix64(sub[1:])
		if visited >= count && p != last {
			return p
		}
		last = p
		visited++
		fn(sub[1:], it.Value())
	}
	return 0
}

// SScan is SSCAN over the set at key; members are copied. Missing key:
// cursor 0, no members.
func SScan(tx *engine.Tx, db int, key []byte, cursor uint64, count int, match []byte) (uint64, [][]byte, error) {
	m, ok, err := lookupSet(tx, db, key)
	if err != nil || !ok {
		return 0, nil, err
	}
	var out [][]byte
	next := ScanMembers(tx, m.Version, cursor, count, func(mem, _ []byte) {
		if match == nil || Match(match, mem) {
			out = append(out, bytes.Clone(mem))
		}
	})
	return next, out, nil
}

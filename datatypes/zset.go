package datatypes

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"

	"github.com/diskcached/diskcached/engine"
)

// Sorted sets keep two data entries per member under the zset's version:
//
//	'm' | member                → score (8 bytes, IEEE 754 bits, big-endian)
//	's' | scorekey(8) | member  → ∅
//
// scorekey is an order-preserving encoding of the score (negative numbers
// have every bit flipped, positive ones only the sign bit; -0 is stored as
// +0), so the 's' entries are in (score, member) order, -inf and +inf
// included. Meta.Count is the exact number of members.

const scoreTag = 's'

// ErrScoreNaN is returned when an increment would make a score NaN.
var ErrScoreNaN = errors.New("resulting score is not a number (NaN)")

// ScoredMember is a member with its score; Member is a copy.
type ScoredMember struct {
	Member []byte
	Score  float64
}

// scoreKey encodes f so that byte order equals numeric order.
func scoreKey(f float64) uint64 {
	if f == 0 {
		f = 0 // -0 → +0
	}
	b := math.Float64bits(f)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

func scoreFromKey(k uint64) float64 {
	if k>>63 == 1 {
		return math.Float64frombits(k &^ (1 << 63))
	}
	return math.Float64frombits(^k)
}

// indexSub is 's'+scorekey+member.
func indexSub(score float64, member []byte) []byte {
	s := make([]byte, 0, 9+len(member))
	s = append(s, scoreTag)
	s = binary.BigEndian.AppendUint64(s, scoreKey(score))
	return append(s, member...)
}

// decodeIndex splits an 's' sub-key (aliasing it).
func decodeIndex(sub []byte) (member []byte, score float64) {
	return sub[9:], scoreFromKey(binary.BigEndian.Uint64(sub[1:9]))
}

func lookupZSet(tx *engine.Tx, db int, key []byte) (engine.Meta, bool, error) {
	return tx.LookupType(db, key, engine.TypeZSet)
}

// zScore reads member's score in a zset version.
func zScore(tx *engine.Tx, version uint64, member []byte) (float64, bool) {
	v := tx.ElemGet(version, memberSub(member))
	if len(v) != 8 {
		return 0, false
	}
	return math.Float64frombits(binary.BigEndian.Uint64(v)), true
}

// zWrite sets member's score, replacing its old index entry when it had one.
func zWrite(tx *engine.Tx, version uint64, member []byte, score float64, old float64, had bool) {
	if score == 0 {
		score = 0 // Redis never keeps -0
	}
	if had { // score entries hold an empty value
		tx.ElemRemove(version, indexSub(old, member), []byte{})
	}
	tx.ElemPut(version, memberSub(member), binary.BigEndian.AppendUint64(nil, math.Float64bits(score)))
	// A member has one index entry: the old one was just deleted (a
	// tombstone if the score is unchanged), so the new one is absent.
	tx.ElemAdd(version, indexSub(score, member), nil)
}

// zRemove deletes member (known to hold score) from a zset version.
func zRemove(tx *engine.Tx, version uint64, member []byte, score float64) {
	tx.ElemDelete(version, memberSub(member))
	tx.ElemDelete(version, indexSub(score, member))
}

// ZScore returns member's score. Missing key or member: ok false.
func ZScore(tx *engine.Tx, db int, key, member []byte) (float64, bool, error) {
	m, ok, err := lookupZSet(tx, db, key)
	if err != nil || !ok {
		return 0, false, err
	}
	s, ok := zScore(tx, m.Version, member)
	return s, ok, nil
}

// ZMScore returns the scores of members; nil entries for absent ones
// (a missing key is an empty zset).
func ZMScore(tx *engine.Tx, db int, key []byte, members [][]byte) ([]*float64, error) {
	m, ok, err := lookupZSet(tx, db, key)
	if err != nil {
		return nil, err
	}
	out := make([]*float64, len(members))
	if ok {
		for i, mem := range members {
			if s, ok := zScore(tx, m.Version, mem); ok {
				out[i] = &s
			}
		}
	}
	return out, nil
}

// ZCard returns the number of members (missing key: 0).
func ZCard(tx *engine.Tx, db int, key []byte) (int64, error) {
	m, ok, err := lookupZSet(tx, db, key)
	if err != nil || !ok {
		return 0, err
	}
	return m.Count, nil
}

// ZAddOptions are ZADD's flags, already checked for conflicts.
type ZAddOptions struct {
	NX, XX, GT, LT, Incr bool
}

// ZAddResult reports what ZAdd did.
type ZAddResult struct {
	Added, Updated int64
	// Score is the last member's resulting score (INCR); Processed is false
	// when NX/XX/GT/LT skipped it.
	Score     float64
	Processed bool
}

// ZAdd adds or updates members with Redis's ZADD rules. A missing key is
// created unless XX. A NaN result of INCR fails with ErrScoreNaN (members
// handled before it stay, as in Redis).
func ZAdd(tx *engine.Tx, db int, key []byte, o ZAddOptions, scores []float64, members [][]byte) (ZAddResult, error) {
	var res ZAddResult
	m, ok, err := lookupZSet(tx, db, key)
	if err != nil {
		return res, err
	}
	if !ok {
		if o.XX {
			return res, nil
		}
		m = engine.Meta{Type: engine.TypeZSet}
		tx.Put(db, key, &m)
	}
	startCount := m.Count
	defer func() {
		if m.Count != startCount || !ok {
			setCount(tx, db, key, &m, m.Count)
		} else if res.Updated > 0 {
			tx.Modified(db, key)
		}
	}()
	for i, mem := range members {
		score := scores[i]
		cur, had := zScore(tx, m.Version, mem)
		res.Processed = false
		if had {
			if o.NX {
				continue
			}
			if o.Incr {
				score += cur
				if math.IsNaN(score) {
					return res, ErrScoreNaN
				}
			}
			if (o.LT && score >= cur) || (o.GT && score <= cur) {
				continue
			}
			res.Processed, res.Score = true, score
			if score != cur {
				zWrite(tx, m.Version, mem, score, cur, true)
				res.Updated++
			}
			continue
		}
		if o.XX {
			continue
		}
		zWrite(tx, m.Version, mem, score, 0, false)
		m.Count++
		res.Added++
		res.Processed, res.Score = true, score
	}
	return res, nil
}

// ZRem removes members and returns how many were there; an emptied zset is
// deleted.
func ZRem(tx *engine.Tx, db int, key []byte, members [][]byte) (int64, error) {
	m, ok, err := lookupZSet(tx, db, key)
	if err != nil || !ok {
		return 0, err
	}
	var n int64
	for _, mem := range members {
		if s, ok := zScore(tx, m.Version, mem); ok {
			zRemove(tx, m.Version, mem, s)
			n++
		}
	}
	if n > 0 {
		setCount(tx, db, key, &m, m.Count-n)
	}
	return n, nil
}

// zIter walks the score index of one version.
type zIter struct{ it *engine.ElemIter }

func newZIter(tx *engine.Tx, version uint64) zIter { return zIter{tx.Elems(version)} }

func (z zIter) valid(ok bool) bool {
	return ok && len(z.it.Sub()) >= 9 && z.it.Sub()[0] == scoreTag
}
func (z zIter) first() bool            { return z.valid(z.it.Seek([]byte{scoreTag})) }
func (z zIter) last() bool             { return z.valid(z.it.SeekLE([]byte{scoreTag + 1})) }
func (z zIter) seek(sub []byte) bool   { return z.valid(z.it.Seek(sub)) }
func (z zIter) seekLE(sub []byte) bool { return z.valid(z.it.SeekLE(sub)) }
func (z zIter) next() bool             { return z.valid(z.it.Next()) }
func (z zIter) prev() bool             { return z.valid(z.it.Prev()) }
func (z zIter) cur() ([]byte, float64) { return decodeIndex(z.it.Sub()) }
func (z zIter) sub() []byte            { return z.it.Sub() }

func (z zIter) copyCur() ScoredMember {
	m, s := z.cur()
	return ScoredMember{bytes.Clone(m), s}
}

// start moves to the lowest entry, or the highest with rev.
func (z zIter) start(rev bool) bool {
	if rev {
		return z.last()
	}
	return z.first()
}

// step moves one entry up, or down with rev.
func (z zIter) step(rev bool) bool {
	if rev {
		return z.prev()
	}
	return z.next()
}

// skip moves n entries in the direction.
func (z zIter) skip(n int64, rev bool) bool {
	ok := true
	for ; ok && n > 0; n-- {
		ok = z.step(rev)
	}
	return ok
}

// ZRank returns member's 0-based rank (rev: from the highest score) and
// score. Missing key or member: ok false.
//
// bbolt keeps no subtree counts, so a rank is a count of index entries: two
// cursors walk in from both ends at once and stop when one meets the
// member, costing 2·min(rank, n−rank) steps. Measured (TestZSet_Rank_
// LargeSetTiming, ZSET_BIG=1): ~75 ms at rank 250 000 or 500 000 of 1 M
// members, ~65 µs near either end; ZRANGE by rank in the middle costs the
// same skip, while score ranges seek directly (~70 µs).
func ZRank(tx *engine.Tx, db int, key, member []byte, rev bool) (int64, float64, bool, error) {
	m, ok, err := lookupZSet(tx, db, key)
	if err != nil || !ok {
		return 0, 0, false, err
	}
	score, ok := zScore(tx, m.Version, member)
	if !ok {
		return 0, 0, false, nil
	}
	target := indexSub(score, member)
	fw, bw := newZIter(tx, m.Version), newZIter(tx, m.Version)
	okF, okB := fw.first(), bw.last()
	var rank int64 = -1
	for i := int64(0); okF || okB; i++ {
		if okF && bytes.Equal(fw.sub(), target) {
			rank = i
			break
		}
		if okB && bytes.Equal(bw.sub(), target) {
			rank = m.Count - 1 - i
			break
		}
		okF, okB = fw.next(), bw.prev()
	}
	if rank < 0 {
		return 0, 0, false, nil
	}
	if rev {
		rank = m.Count - 1 - rank
	}
	return rank, score, true, nil
}

// ZRangeByRank returns members with ranks start..stop (inclusive, negative
// counts from the end, Redis's clamping), lowest score first or, with rev,
// highest first. Missing key: nil.
func ZRangeByRank(tx *engine.Tx, db int, key []byte, start, stop int64, rev bool) ([]ScoredMember, error) {
	m, ok, err := lookupZSet(tx, db, key)
	if err != nil || !ok {
		return nil, err
	}
	start, stop, ok = clampRange(start, stop, m.Count)
	if !ok {
		return nil, nil
	}
	return rankSlice(tx, m.Version, m.Count, start, stop, rev), nil
}

// clampRange applies Redis's index rules for a collection of n elements.
func clampRange(start, stop, n int64) (int64, int64, bool) {
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
		return 0, 0, false
	}
	if stop >= n {
		stop = n - 1
	}
	return start, stop, true
}

// rankSlice reads ranks start..stop (valid) of a version holding n members
// in the requested direction, walking in from the nearer end.
func rankSlice(tx *engine.Tx, version uint64, n, start, stop int64, rev bool) []ScoredMember {
	out := make([]ScoredMember, 0, stop-start+1)
	z := newZIter(tx, version)
	// Position at rank `start` of the chosen direction.
	fromFront := start <= n-1-stop
	var ok bool
	if fromFront {
		ok = z.start(rev) && z.skip(start, rev)
	} else {
		ok = z.start(!rev) && z.skip(n-1-stop, !rev)
		// Now at rank stop; collect backwards then reverse.
		for i := start; ok && i <= stop; i++ {
			out = append(out, z.copyCur())
			ok = z.step(!rev)
		}
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
		return out
	}
	for i := start; ok && i <= stop; i++ {
		out = append(out, z.copyCur())
		ok = z.step(rev)
	}
	return out
}

// ScoreRange is a score interval; MinEx/MaxEx make an end exclusive.
type ScoreRange struct {
	Min, Max     float64
	MinEx, MaxEx bool
}

func (r ScoreRange) gteMin(s float64) bool {
	if r.MinEx {
		return s > r.Min
	}
	return s >= r.Min
}

func (r ScoreRange) lteMax(s float64) bool {
	if r.MaxEx {
		return s < r.Max
	}
	return s <= r.Max
}

func (r ScoreRange) empty() bool {
	return r.Min > r.Max || (r.Min == r.Max && (r.MinEx || r.MaxEx))
}

// LexBound is one end of a lex range: Inf -1 is '-', +1 is '+', otherwise
// Val with Ex meaning exclusive.
type LexBound struct {
	Val []byte
	Ex  bool
	Inf int
}

// LexRange is a member interval for equal-score zsets.
type LexRange struct{ Min, Max LexBound }

func (r LexRange) gteMin(m []byte) bool {
	switch r.Min.Inf {
	case -1:
		return true
	case 1:
		return false
	}
	c := bytes.Compare(m, r.Min.Val)
	return c > 0 || (c == 0 && !r.Min.Ex)
}

func (r LexRange) lteMax(m []byte) bool {
	switch r.Max.Inf {
	case 1:
		return true
	case -1:
		return false
	}
	c := bytes.Compare(m, r.Max.Val)
	return c < 0 || (c == 0 && !r.Max.Ex)
}

func (r LexRange) empty() bool {
	if r.Min.Inf == 1 || r.Max.Inf == -1 {
		return true
	}
	if r.Min.Inf == -1 || r.Max.Inf == 1 {
		return false
	}
	c := bytes.Compare(r.Min.Val, r.Max.Val)
	return c > 0 || (c == 0 && (r.Min.Ex || r.Max.Ex))
}

// rangeSpec abstracts score and lex ranges over the index.
type rangeSpec interface {
	// seekStart positions z at the first entry in range for the direction
	// (it may land outside the range; inRange then says so).
	seekStart(z zIter, rev bool) bool
	inRange(member []byte, score float64) bool
	isEmpty() bool
}

type scoreSpec ScoreRange

func (r scoreSpec) isEmpty() bool { return ScoreRange(r).empty() }
func (r scoreSpec) inRange(_ []byte, s float64) bool {
	return ScoreRange(r).gteMin(s) && ScoreRange(r).lteMax(s)
}
func (r scoreSpec) seekStart(z zIter, rev bool) bool {
	if !rev {
		ok := z.seek(indexSub(r.Min, nil))
		for ok && !ScoreRange(r).gteMin(scoreOf(z)) {
			ok = z.next()
		}
		return ok
	}
	// Last entry with score ≤ Max: seek past every member of score Max.
	k := scoreKey(r.Max)
	var ok bool
	if k == math.MaxUint64 {
		ok = z.last()
	} else {
		nk := binary.BigEndian.AppendUint64([]byte{scoreTag}, k+1)
		ok = z.seek(nk)
		if ok {
			ok = z.prev()
		} else {
			ok = z.last()
		}
	}
	for ok && !ScoreRange(r).lteMax(scoreOf(z)) {
		ok = z.prev()
	}
	return ok
}

func scoreOf(z zIter) float64 { _, s := z.cur(); return s }

type lexSpec LexRange

func (r lexSpec) isEmpty() bool { return LexRange(r).empty() }
func (r lexSpec) inRange(m []byte, _ float64) bool {
	return LexRange(r).gteMin(m) && LexRange(r).lteMax(m)
}

// seekStart assumes what lex ranges assume: every member has the same
// score (that of the first, or last, entry).
func (r lexSpec) seekStart(z zIter, rev bool) bool {
	if !rev {
		if !z.first() {
			return false
		}
		if r.Min.Inf == 0 {
			_, s := z.cur()
			if !z.seek(indexSub(s, r.Min.Val)) {
				return false
			}
		}
		for ok := true; ok; ok = z.next() {
			if m, _ := z.cur(); LexRange(r).gteMin(m) {
				return true
			}
		}
		return false
	}
	if !z.last() {
		return false
	}
	if r.Max.Inf == 0 {
		_, s := z.cur()
		if !z.seekLE(indexSub(s, r.Max.Val)) {
			return false
		}
	}
	for ok := true; ok; ok = z.prev() {
		if m, _ := z.cur(); LexRange(r).lteMax(m) {
			return true
		}
	}
	return false
}

// walkRange visits the entries of spec in order (rev: descending), after
// skipping offset of them, at most limit (< 0: no limit). fn gets aliased
// member bytes. offset < 0 visits nothing, as in Redis.
func walkRange(tx *engine.Tx, version uint64, spec rangeSpec, rev bool, offset, limit int64, fn func(member []byte, score float64)) {
	if spec.isEmpty() || offset < 0 || limit == 0 {
		return
	}
	z := newZIter(tx, version)
	ok := spec.seekStart(z, rev)
	for ; ok; ok = z.step(rev) {
		m, s := z.cur()
		if !spec.inRange(m, s) {
			return
		}
		if offset > 0 {
			offset--
			continue
		}
		fn(m, s)
		if limit > 0 {
			limit--
			if limit == 0 {
				return
			}
		}
	}
}

func collectRange(tx *engine.Tx, version uint64, spec rangeSpec, rev bool, offset, limit int64) []ScoredMember {
	var out []ScoredMember
	walkRange(tx, version, spec, rev, offset, limit, func(m []byte, s float64) {
		out = append(out, ScoredMember{bytes.Clone(m), s})
	})
	return out
}

// ZRangeByScore returns the members whose score is in r (rev: descending),
// skipping offset and returning at most limit (< 0: all). Missing key: nil.
func ZRangeByScore(tx *engine.Tx, db int, key []byte, r ScoreRange, rev bool, offset, limit int64) ([]ScoredMember, error) {
	return zRangeSpec(tx, db, key, scoreSpec(r), rev, offset, limit)
}

// ZRangeByLex is ZRangeByScore for a lex range (meaningful when every
// member has the same score).
func ZRangeByLex(tx *engine.Tx, db int, key []byte, r LexRange, rev bool, offset, limit int64) ([]ScoredMember, error) {
	return zRangeSpec(tx, db, key, lexSpec(r), rev, offset, limit)
}

func zRangeSpec(tx *engine.Tx, db int, key []byte, spec rangeSpec, rev bool, offset, limit int64) ([]ScoredMember, error) {
	m, ok, err := lookupZSet(tx, db, key)
	if err != nil || !ok {
		return nil, err
	}
	if offset > 0 && offset >= m.Count {
		return nil, nil
	}
	return collectRange(tx, m.Version, spec, rev, offset, limit), nil
}

// ZCount counts members with a score in r (missing key: 0).
func ZCount(tx *engine.Tx, db int, key []byte, r ScoreRange) (int64, error) {
	return zCountSpec(tx, db, key, scoreSpec(r))
}

// ZLexCount counts members in a lex range (missing key: 0).
func ZLexCount(tx *engine.Tx, db int, key []byte, r LexRange) (int64, error) {
	return zCountSpec(tx, db, key, lexSpec(r))
}

func zCountSpec(tx *engine.Tx, db int, key []byte, spec rangeSpec) (int64, error) {
	m, ok, err := lookupZSet(tx, db, key)
	if err != nil || !ok {
		return 0, err
	}
	var n int64
	walkRange(tx, m.Version, spec, false, 0, -1, func([]byte, float64) { n++ })
	return n, nil
}

// ZRemRangeByRank removes ranks start..stop and returns how many went.
func ZRemRangeByRank(tx *engine.Tx, db int, key []byte, start, stop int64) (int64, error) {
	m, ok, err := lookupZSet(tx, db, key)
	if err != nil || !ok {
		return 0, err
	}
	start, stop, ok = clampRange(start, stop, m.Count)
	if !ok {
		return 0, nil
	}
	return zRemoveAll(tx, db, key, &m, rankSlice(tx, m.Version, m.Count, start, stop, false)), nil
}

// ZRemRangeByScore removes members with a score in r.
func ZRemRangeByScore(tx *engine.Tx, db int, key []byte, r ScoreRange) (int64, error) {
	return zRemSpec(tx, db, key, scoreSpec(r))
}

// ZRemRangeByLex removes members in a lex range.
func ZRemRangeByLex(tx *engine.Tx, db int, key []byte, r LexRange) (int64, error) {
	return zRemSpec(tx, db, key, lexSpec(r))
}

func zRemSpec(tx *engine.Tx, db int, key []byte, spec rangeSpec) (int64, error) {
	m, ok, err := lookupZSet(tx, db, key)
	if err != nil || !ok {
		return 0, err
	}
	return zRemoveAll(tx, db, key, &m, collectRange(tx, m.Version, spec, false, 0, -1)), nil
}

func zRemoveAll(tx *engine.Tx, db int, key []byte, m *engine.Meta, items []ScoredMember) int64 {
	if len(items) == 0 {
		return 0
	}
	if int64(len(items)) >= m.Count {
		tx.Delete(db, key)
		return int64(len(items))
	}
	for _, it := range items {
		zRemove(tx, m.Version, it.Member, it.Score)
	}
	setCount(tx, db, key, m, m.Count-int64(len(items)))
	return int64(len(items))
}

// ZPop removes and returns up to count members with the lowest (or, with
// max, highest) scores, in pop order. Missing key: nil.
func ZPop(tx *engine.Tx, db int, key []byte, max bool, count int64) ([]ScoredMember, error) {
	m, ok, err := lookupZSet(tx, db, key)
	if err != nil || !ok || count <= 0 {
		return nil, err
	}
	if count > m.Count {
		count = m.Count
	}
	items := rankSlice(tx, m.Version, m.Count, 0, count-1, max)
	zRemoveAll(tx, db, key, &m, items)
	return items, nil
}

// ZStore replaces dst with a zset holding items (distinct members) and
// returns its size; an empty result deletes dst.
func ZStore(tx *engine.Tx, db int, dst []byte, items []ScoredMember) int64 {
	tx.Delete(db, dst)
	if len(items) == 0 {
		return 0
	}
	m := engine.Meta{Type: engine.TypeZSet, Count: int64(len(items))}
	tx.Put(db, dst, &m)
	for _, it := range items {
		zWrite(tx, m.Version, it.Member, it.Score, 0, false)
	}
	return m.Count
}

// ZRandMember returns random members with their scores: count ≥ 0 distinct
// (at most the size), count < 0 possibly repeated. Missing key: nil.
func ZRandMember(tx *engine.Tx, db int, key []byte, count int64) ([]ScoredMember, error) {
	m, ok, err := lookupZSet(tx, db, key)
	if err != nil || !ok || count == 0 {
		return nil, err
	}
	mems := sampleCount(tx, m.Version, m.Count, count)
	out := make([]ScoredMember, len(mems))
	for i, mem := range mems {
		s, _ := zScore(tx, m.Version, mem)
		out[i] = ScoredMember{mem, s}
	}
	return out, nil
}

// ZScan is ZSCAN over the zset at key (see ScanMembers for the cursor).
func ZScan(tx *engine.Tx, db int, key []byte, cursor uint64, count int, match []byte) (uint64, []ScoredMember, error) {
	m, ok, err := lookupZSet(tx, db, key)
	if err != nil || !ok {
		return 0, nil, err
	}
	var out []ScoredMember
	next := ScanMembers(tx, m.Version, cursor, count, func(mem, val []byte) {
		if (match == nil || Match(match, mem)) && len(val) == 8 {
			out = append(out, ScoredMember{bytes.Clone(mem), math.Float64frombits(binary.BigEndian.Uint64(val))})
		}
	})
	return next, out, nil
}

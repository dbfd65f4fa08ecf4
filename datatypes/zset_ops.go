package datatypes

import (
	"bytes"
	"encoding/binary"
	"math"
	"sort"

	"github.com/diskcached/diskcached/engine"
)

// ZUNION / ZINTER / ZDIFF (and their STORE forms, ZINTERCARD) over sorted
// sets and plain sets; a set member counts with score 1.

// Aggregate says how ZUNION/ZINTER combine the scores of one member.
type Aggregate int

// Aggregates.
const (
	AggSum Aggregate = iota
	AggMin
	AggMax
)

func (a Aggregate) apply(target, val float64) float64 {
	switch a {
	case AggMin:
		if val < target {
			return val
		}
		return target
	case AggMax:
		if val > target {
			return val
		}
		return target
	}
	target += val
	if math.IsNaN(target) { // +inf + -inf: Redis's convention is 0
		return 0
	}
	return target
}

// zInput is one source of a combination.
type zInput struct {
	typ     engine.Type
	version uint64
	count   int64
	weight  float64
}

func (in *zInput) find(tx *engine.Tx, member []byte) (float64, bool) {
	if in.count == 0 {
		return 0, false
	}
	if in.typ == engine.TypeSet {
		return 1, tx.ElemGet(in.version, memberSub(member)) != nil
	}
	return zScore(tx, in.version, member)
}

// members copies every (member, score) of the input.
func (in *zInput) members(tx *engine.Tx) []ScoredMember {
	if in.count == 0 {
		return nil
	}
	out := make([]ScoredMember, 0, in.count)
	it := tx.Elems(in.version)
	for ok := it.Seek([]byte{memberTag}); ok; ok = it.Next() {
		sub := it.Sub()
		if len(sub) == 0 || sub[0] != memberTag {
			break
		}
		s := 1.0
		if in.typ == engine.TypeZSet && len(it.Value()) == 8 {
			s = math.Float64frombits(binary.BigEndian.Uint64(it.Value()))
		}
		out = append(out, ScoredMember{bytes.Clone(sub[1:]), s})
	}
	return out
}

// ZCheckInputs fails with engine.ErrWrongType when a key holds neither a
// set nor a zset (missing keys are fine).
func ZCheckInputs(tx *engine.Tx, db int, keys [][]byte) error {
	_, err := loadZInputs(tx, db, keys, nil)
	return err
}

func loadZInputs(tx *engine.Tx, db int, keys [][]byte, weights []float64) ([]zInput, error) {
	in := make([]zInput, len(keys))
	for i, k := range keys {
		m, ok, err := tx.Lookup(db, k)
		if err != nil {
			return nil, err
		}
		in[i].weight = 1
		if weights != nil {
			in[i].weight = weights[i]
		}
		if !ok {
			continue
		}
		if m.Type != engine.TypeSet && m.Type != engine.TypeZSet {
			return nil, engine.ErrWrongType
		}
		in[i].typ, in[i].version, in[i].count = m.Type, m.Version, m.Count
	}
	return in, nil
}

// ZCombineOptions configure ZCombine.
type ZCombineOptions struct {
	Weights   []float64 // nil: all 1
	Aggregate Aggregate
	// CardOnly counts the intersection instead of building it (ZINTERCARD),
	// stopping at Limit when Limit > 0.
	CardOnly bool
	Limit    int64
}

// ZCombine computes op over the sets/zsets at keys and returns the result
// in (score, member) order, or with CardOnly just its size.
func ZCombine(tx *engine.Tx, db int, op SetOp, keys [][]byte, o ZCombineOptions) ([]ScoredMember, int64, error) {
	in, err := loadZInputs(tx, db, keys, o.Weights)
	if err != nil {
		return nil, 0, err
	}
	var out []ScoredMember
	switch op {
	case SetInter:
		sort.SliceStable(in, func(i, j int) bool { return in[i].count < in[j].count })
		if in[0].count == 0 {
			return nil, 0, nil
		}
		var card int64
		for _, e := range in[0].members(tx) {
			score := in[0].weight * e.Score
			if math.IsNaN(score) {
				score = 0
			}
			all := true
			for j := 1; j < len(in); j++ {
				v, ok := in[j].find(tx, e.Member)
				if !ok {
					all = false
					break
				}
				score = o.Aggregate.apply(score, v*in[j].weight)
			}
			if !all {
				continue
			}
			if o.CardOnly {
				card++
				if o.Limit > 0 && card >= o.Limit {
					break
				}
				continue
			}
			out = append(out, ScoredMember{e.Member, score})
		}
		if o.CardOnly {
			return nil, card, nil
		}
	case SetUnion:
		sort.SliceStable(in, func(i, j int) bool { return in[i].count < in[j].count })
		idx := map[string]int{}
		for i := range in {
			for _, e := range in[i].members(tx) {
				score := in[i].weight * e.Score
				if math.IsNaN(score) {
					score = 0
				}
				if j, ok := idx[string(e.Member)]; ok {
					out[j].Score = o.Aggregate.apply(out[j].Score, score)
					continue
				}
				idx[string(e.Member)] = len(out)
				out = append(out, ScoredMember{e.Member, score})
			}
		}
	default:
		for _, e := range in[0].members(tx) {
			found := false
			for j := 1; j < len(in) && !found; j++ {
				_, found = in[j].find(tx, e.Member)
			}
			if !found {
				out = append(out, e)
			}
		}
	}
	SortScored(out)
	return out, int64(len(out)), nil
}

// SortScored orders items by score, then member bytes (zset order).
func SortScored(items []ScoredMember) {
	sort.Slice(items, func(i, j int) bool {
		if items[i].Score != items[j].Score {
			return items[i].Score < items[j].Score
		}
		return bytes.Compare(items[i].Member, items[j].Member) < 0
	})
}

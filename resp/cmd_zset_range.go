package resp

import (
	"math"
	"strconv"
	"strings"

	"github.com/diskcached/diskcached/datatypes"
)

// Range arguments of the sorted-set commands: rank, score and lex ranges.

// parseScoreBound parses one end of a score range the way Redis does
// (strtod: leading spaces allowed, the whole argument used, NaN refused,
// overflow saturating to ±inf, an empty string meaning 0); a leading '('
// makes it exclusive.
func parseScoreBound(b []byte) (float64, bool, bool) {
	ex := false
	if len(b) > 0 && b[0] == '(' {
		ex, b = true, b[1:]
	}
	if len(b) == 0 {
		return 0, ex, true
	}
	s := strings.TrimLeft(string(b), " \t\n\v\f\r")
	if s == "" {
		return 0, false, false
	}
	low := strings.ToLower(s)
	if strings.Contains(low, "0x") && !strings.ContainsAny(low, "p") {
		s += "p0" // C accepts hex floats without a binary exponent
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		ne, ok := err.(*strconv.NumError)
		if !ok || ne.Err != strconv.ErrRange {
			return 0, false, false
		}
	}
	if math.IsNaN(f) {
		return 0, false, false
	}
	return f, ex, true
}

// parseScoreRange parses min and max, or fails with Redis's text.
func parseScoreRange(min, max []byte) (datatypes.ScoreRange, error) {
	var r datatypes.ScoreRange
	var ok1, ok2 bool
	r.Min, r.MinEx, ok1 = parseScoreBound(min)
	r.Max, r.MaxEx, ok2 = parseScoreBound(max)
	if !ok1 || !ok2 {
		return r, ErrMinMaxFloat
	}
	return r, nil
}

// parseLexBound parses '-', '+', '(member' or '[member'.
func parseLexBound(b []byte) (datatypes.LexBound, bool) {
	if len(b) == 0 {
		return datatypes.LexBound{}, false
	}
	switch b[0] {
	case '+', '-':
		if len(b) != 1 {
			return datatypes.LexBound{}, false
		}
		if b[0] == '+' {
			return datatypes.LexBound{Inf: 1}, true
		}
		return datatypes.LexBound{Inf: -1}, true
	case '(':
		return datatypes.LexBound{Val: b[1:], Ex: true}, true
	case '[':
		return datatypes.LexBound{Val: b[1:]}, true
	}
	return datatypes.LexBound{}, false
}

func parseLexRange(min, max []byte) (datatypes.LexRange, error) {
	lo, ok1 := parseLexBound(min)
	hi, ok2 := parseLexBound(max)
	if !ok1 || !ok2 {
		return datatypes.LexRange{}, ErrMinMaxLex
	}
	return datatypes.LexRange{Min: lo, Max: hi}, nil
}

type rangeKind int

const (
	byAuto rangeKind = iota
	byRank
	byScore
	byLex
)

// zrangeReq is a parsed ZRANGE-family request.
type zrangeReq struct {
	kind          rangeKind
	rev, revFixed bool
	withScores    bool
	offset, limit int64
	hasLimit      bool
	start, stop   int64
	score         datatypes.ScoreRange
	lex           datatypes.LexRange
	store         bool
	src, dst      []byte
}

// cmdZRange serves ZRANGE, ZRANGESTORE and the legacy Z[REV]RANGE[BYSCORE|BYLEX].
func cmdZRange(c *Ctx, args [][]byte) error {
	q := zrangeReq{limit: -1}
	at := 1
	switch lowerName(args[0]) {
	case "zrangestore":
		q.store, q.dst, at = true, args[1], 2
	case "zrevrange":
		q.kind, q.rev, q.revFixed = byRank, true, true
	case "zrangebyscore":
		q.kind, q.revFixed = byScore, true
	case "zrevrangebyscore":
		q.kind, q.rev, q.revFixed = byScore, true, true
	case "zrangebylex":
		q.kind, q.revFixed = byLex, true
	case "zrevrangebylex":
		q.kind, q.rev, q.revFixed = byLex, true, true
	}
	q.src = args[at]
	if err := q.parse(args, at); err != nil {
		return err
	}
	var items []datatypes.ScoredMember
	var err error
	switch q.kind {
	case byRank:
		items, err = datatypes.ZRangeByRank(c.Tx, c.DB, q.src, q.start, q.stop, q.rev)
	case byScore:
		items, err = datatypes.ZRangeByScore(c.Tx, c.DB, q.src, q.score, q.rev, q.offset, q.limit)
	default:
		items, err = datatypes.ZRangeByLex(c.Tx, c.DB, q.src, q.lex, q.rev, q.offset, q.limit)
	}
	if err != nil {
		return err
	}
	if q.store {
		p := c.probeStore(q.dst)
		c.W.Int(datatypes.ZStore(c.Tx, c.DB, q.dst, items))
		c.stored(p, NotifyZset, "zrangestore", q.dst)
		signalZSet(c, q.dst)
		return nil
	}
	writeScored(c.W, items, q.withScores)
	return nil
}

// parse reads the options after key min max, then the range itself, in
// Redis's order of checks.
func (q *zrangeReq) parse(args [][]byte, at int) error {
	for j := at + 3; j < len(args); j++ {
		left := len(args) - j - 1
		opt := strings.ToLower(string(args[j]))
		switch {
		case !q.store && opt == "withscores":
			q.withScores = true
		case opt == "limit" && left >= 2:
			off, ok1 := datatypes.ParseInt(args[j+1])
			lim, ok2 := datatypes.ParseInt(args[j+2])
			if !ok1 || !ok2 {
				return ErrNotInteger
			}
			q.offset, q.limit, q.hasLimit = off, lim, true
			j += 2
		case !q.revFixed && opt == "rev":
			q.rev, q.revFixed = true, true
		case q.kind == byAuto && opt == "bylex":
			q.kind = byLex
		case q.kind == byAuto && opt == "byscore":
			q.kind = byScore
		default:
			return ErrSyntax
		}
	}
	if q.kind == byAuto {
		q.kind = byRank
	}
	if q.hasLimit && q.limit != -1 && q.kind == byRank {
		return ErrZRangeLimit
	}
	if q.withScores && q.kind == byLex {
		return ErrZRangeLexScores
	}
	min, max := args[at+1], args[at+2]
	if q.rev && q.kind != byRank {
		min, max = max, min
	}
	var err error
	switch q.kind {
	case byRank:
		if q.start, err = parseRankArg(min); err == nil {
			q.stop, err = parseRankArg(max)
		}
	case byScore:
		q.score, err = parseScoreRange(min, max)
	default:
		q.lex, err = parseLexRange(min, max)
	}
	return err
}

func cmdZCount(c *Ctx, args [][]byte) error {
	r, err := parseScoreRange(args[2], args[3])
	if err != nil {
		return err
	}
	n, err := datatypes.ZCount(c.Tx, c.DB, args[1], r)
	if err != nil {
		return err
	}
	c.W.Int(n)
	return nil
}

func cmdZLexCount(c *Ctx, args [][]byte) error {
	r, err := parseLexRange(args[2], args[3])
	if err != nil {
		return err
	}
	n, err := datatypes.ZLexCount(c.Tx, c.DB, args[1], r)
	if err != nil {
		return err
	}
	c.W.Int(n)
	return nil
}

func cmdZRemRangeByRank(c *Ctx, args [][]byte) error {
	start, err := parseRankArg(args[2])
	if err != nil {
		return err
	}
	stop, err := parseRankArg(args[3])
	if err != nil {
		return err
	}
	n, err := datatypes.ZRemRangeByRank(c.Tx, c.DB, args[1], start, stop)
	if err != nil {
		return err
	}
	if n > 0 {
		c.removed(NotifyZset, "zremrangebyrank", args[1])
	}
	c.W.Int(n)
	return nil
}

func cmdZRemRangeByScore(c *Ctx, args [][]byte) error {
	r, err := parseScoreRange(args[2], args[3])
	if err != nil {
		return err
	}
	n, err := datatypes.ZRemRangeByScore(c.Tx, c.DB, args[1], r)
	if err != nil {
		return err
	}
	if n > 0 {
		c.removed(NotifyZset, "zremrangebyscore", args[1])
	}
	c.W.Int(n)
	return nil
}

func cmdZRemRangeByLex(c *Ctx, args [][]byte) error {
	r, err := parseLexRange(args[2], args[3])
	if err != nil {
		return err
	}
	n, err := datatypes.ZRemRangeByLex(c.Tx, c.DB, args[1], r)
	if err != nil {
		return err
	}
	if n > 0 {
		c.removed(NotifyZset, "zremrangebylex", args[1])
	}
	c.W.Int(n)
	return nil
}

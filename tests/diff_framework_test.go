package tests

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// A differential case runs the same commands on fresh connections to
// redis-server and diskcached (after FLUSHALL) and compares each reply's
// exact bytes, once in RESP2 and once in RESP3 (after HELLO 3).
//
// A command whose first element is a marker is treated specially:
//
//	{mShape, cmd...}        compare only the reply's shape (types, lengths)
//	{mSkip, cmd...}         run on both, compare nothing
//	{mNoAvgTTL, cmd...}     compare exactly except INFO's avg_ttl figures
//	{mSorted, cmd...}       compare with array/set elements (map pairs) sorted
//	{mSleep, "ms"}          sleep
//	{mScan, "SCAN", args...} iterate the cursor to 0 (cursor goes after the
//	                        command name, or after the key for SSCAN/HSCAN/ZSCAN)
//	                        and compare the sorted set of collected elements
//	{mErrCode, cmd...}      both must be errors with the same first word
type diffCase struct {
	name string
	cmds [][]string
	// pending names a feature not yet in diskcached (e.g. "lists"): if
	// diskcached answers "ERR unknown command" the case is skipped and
	// recorded instead of failing.
	pending string
	// resp2Only skips the RESP3 run (e.g. replies that legitimately differ).
	resp2Only bool
	// noFlush skips the FLUSHALL before the case (for servers that
	// require AUTH first).
	noFlush bool
}

const (
	mShape   = "~shape"
	mSkip    = "~skip"
	mSorted  = "~sorted"
	mSleep   = "~sleep"
	mScan    = "~scan"
	mErrCode = "~errcode"
	// mNoAvgTTL compares an INFO reply exactly except the avg_ttl figures,
	// which Redis estimates from its active-expire sampling (a key with a
	// TTL shows avg_ttl=0 or its TTL depending on whether a cycle ran).
	mNoAvgTTL = "~noavgttl"
)

var avgTTLField = regexp.MustCompile(`avg_ttl=[0-9]+`)

// withoutAvgTTL is a raw reply with every avg_ttl figure zeroed and the
// length header dropped (it changes with the figures).
func withoutAvgTTL(b []byte) string {
	s := avgTTLField.ReplaceAllString(string(b), "avg_ttl=0")
	if i := strings.Index(s, "\r\n"); i > 0 {
		s = s[:1] + s[i:]
	}
	return s
}

var (
	reportMu       sync.Mutex
	diffFailures   []string
	pendingSkipped []string
)

func recordFailure(s string) {
	reportMu.Lock()
	diffFailures = append(diffFailures, s)
	reportMu.Unlock()
}

func recordPending(s string) {
	reportMu.Lock()
	defer reportMu.Unlock()
	for _, p := range pendingSkipped {
		if p == s {
			return
		}
	}
	pendingSkipped = append(pendingSkipped, s)
}

// printDiffSummary is called from TestMain after m.Run.
func printDiffSummary() {
	reportMu.Lock()
	defer reportMu.Unlock()
	if len(pendingSkipped) > 0 {
		fmt.Fprintf(os.Stderr, "\n=== %d differential cases SKIPPED because diskcached lacks a command (pending features):\n", len(pendingSkipped))
		for _, s := range pendingSkipped {
			fmt.Fprintln(os.Stderr, "  ", s)
		}
	}
	if len(diffFailures) > 0 {
		fmt.Fprintf(os.Stderr, "\n=== %d differential mismatches:\n", len(diffFailures))
		for _, s := range diffFailures {
			fmt.Fprintln(os.Stderr, "  ", s)
		}
	}
}

// cs turns lines like `SET k "a b" EX 10` into commands; double-quoted
// words are Go-unquoted (so "" is an empty argument and "\x00" a NUL).
func cs(lines ...string) [][]string {
	out := make([][]string, 0, len(lines))
	for _, l := range lines {
		out = append(out, splitWords(l))
	}
	return out
}

func splitWords(s string) []string {
	var words []string
	i := 0
	for i < len(s) {
		if s[i] == ' ' {
			i++
			continue
		}
		if s[i] == '"' {
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			w, err := strconv.Unquote(s[i : j+1])
			if err != nil {
				panic(fmt.Sprintf("bad quoted word in %q: %v", s, err))
			}
			words = append(words, w)
			i = j + 1
			continue
		}
		j := i
		for j < len(s) && s[j] != ' ' {
			j++
		}
		words = append(words, s[i:j])
		i = j
	}
	return words
}

// runDiffCases runs every case in RESP2 and RESP3 as subtests.
func runDiffCases(t *testing.T, cases []diffCase) {
	t.Helper()
	runDiffCasesOn(t, needRedis(t), needShared(t), cases)
}

// runDiffCasesOn runs cases against a given redis-server and diskcached.
func runDiffCasesOn(t *testing.T, redis, dc *serverProc, cases []diffCase) {
	t.Helper()
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.name] {
			t.Fatalf("duplicate case name %q", c.name)
		}
		seen[c.name] = true
		for _, proto := range []int{2, 3} {
			if proto == 3 && c.resp2Only {
				continue
			}
			t.Run(fmt.Sprintf("%s/resp%d", c.name, proto), func(t *testing.T) {
				runDiffCase(t, redis.addr, dc.addr, c, proto)
			})
		}
	}
}

type diffPair struct {
	t     *testing.T
	c     diffCase
	proto int
	r, d  *respConn
}

func (p *diffPair) do(args []string) (rb, db []byte) {
	t := p.t
	t.Helper()
	rb, err := p.r.Do(args...)
	if err != nil {
		t.Fatalf("redis-server: %s: %v", fmtCmd(args), err)
	}
	db, err = p.d.Do(args...)
	if err != nil {
		recordFailure(fmt.Sprintf("[%s resp%d] %s: redis %q, diskcached I/O error %v", p.c.name, p.proto, fmtCmd(args), rb, err))
		t.Fatalf("diskcached: %s: I/O error %v (redis replied %q)", fmtCmd(args), err, rb)
	}
	if p.c.pending != "" && strings.HasPrefix(string(db), "-ERR unknown command") &&
		!strings.HasPrefix(string(rb), "-ERR unknown command") {
		recordPending(fmt.Sprintf("%s (needs %s): %s", p.c.name, p.c.pending, fmtCmd(args)))
		t.Skipf("PENDING %s: diskcached does not know %s yet (%q)", p.c.pending, fmtCmd(args), db)
	}
	return rb, db
}

func (p *diffPair) mismatch(args []string, how string, rb, db any) {
	p.t.Helper()
	msg := fmt.Sprintf("%s\n    command:    %s\n    redis:      %q\n    diskcached: %q", how, fmtCmd(args), rb, db)
	p.t.Error(msg)
	recordFailure(fmt.Sprintf("[%s resp%d] %s: redis %q, diskcached %q (%s)", p.c.name, p.proto, fmtCmd(args), rb, db, how))
}

func runDiffCase(t *testing.T, redisAddr, dcAddr string, c diffCase, proto int) {
	p := &diffPair{t: t, c: c, proto: proto, r: mustDial(t, redisAddr), d: mustDial(t, dcAddr)}
	if proto == 3 {
		hello := []string{"HELLO", "3"}
		rb, db := p.do(hello)
		rv, err1 := parseReply(rb)
		dv, err2 := parseReply(db)
		if err1 != nil || err2 != nil || rv.typ != dv.typ ||
			strings.Join(mapKeys(rv), ",") != strings.Join(mapKeys(dv), ",") {
			p.mismatch(hello, "HELLO 3 reply keys differ", rb, db)
			t.FailNow()
		}
	}
	for _, args := range [][]string{{"FLUSHALL"}} {
		if c.noFlush {
			break
		}
		rb, db := p.do(args)
		if string(rb) != "+OK\r\n" || string(db) != "+OK\r\n" {
			t.Fatalf("FLUSHALL: redis %q, diskcached %q", rb, db)
		}
	}
	for _, args := range c.cmds {
		if len(args) == 0 {
			continue
		}
		switch args[0] {
		case mSleep:
			ms, _ := strconv.Atoi(args[1])
			time.Sleep(time.Duration(ms) * time.Millisecond)
		case mSkip:
			p.do(args[1:])
		case mNoAvgTTL:
			rb, db := p.do(args[1:])
			if withoutAvgTTL(rb) != withoutAvgTTL(db) {
				p.mismatch(args[1:], "replies differ (avg_ttl ignored)", rb, db)
			}
		case mShape, mSorted, mErrCode:
			rb, db := p.do(args[1:])
			rv, err := parseReply(rb)
			if err != nil {
				t.Fatalf("parse redis reply %q: %v", rb, err)
			}
			dv, err := parseReply(db)
			if err != nil {
				p.mismatch(args[1:], "unparsable diskcached reply: "+err.Error(), rb, db)
				continue
			}
			switch args[0] {
			case mShape:
				if shape(rv) != shape(dv) {
					p.mismatch(args[1:], fmt.Sprintf("reply shapes differ (%s vs %s)", shape(rv), shape(dv)), rb, db)
				}
			case mSorted:
				if sortedRaw(rv) != sortedRaw(dv) {
					p.mismatch(args[1:], "replies differ (order ignored)", rb, db)
				}
			case mErrCode:
				if rv.typ != '-' || dv.typ != '-' || shape(rv) != shape(dv) {
					p.mismatch(args[1:], "expected errors with the same code", rb, db)
				}
			}
		case mScan:
			rs, rerr := p.scanAll(p.r, args[1:])
			ds, derr := p.scanAll(p.d, args[1:])
			if rerr != nil {
				t.Fatalf("redis scan %s: %v", fmtCmd(args[1:]), rerr)
			}
			if derr != nil {
				p.mismatch(args[1:], "diskcached scan failed: "+derr.Error(), rs, "")
				continue
			}
			if strings.Join(rs, "\x00") != strings.Join(ds, "\x00") {
				p.mismatch(args[1:], "full-scan element sets differ", rs, ds)
			}
		default:
			rb, db := p.do(args)
			if string(rb) != string(db) {
				p.mismatch(args, "replies differ", rb, db)
			}
		}
	}
}

// scanAll iterates a SCAN-family command to cursor 0 and returns the sorted
// distinct elements (for HSCAN/ZSCAN: field=value pairs).
func (p *diffPair) scanAll(rc *respConn, args []string) ([]string, error) {
	pos := 1
	if !strings.EqualFold(args[0], "SCAN") {
		pos = 2
	}
	pairs := strings.EqualFold(args[0], "HSCAN") || strings.EqualFold(args[0], "ZSCAN")
	set := map[string]bool{}
	cursor := "0"
	for i := 0; i < 100000; i++ {
		cmd := append(append(append([]string{}, args[:pos]...), cursor), args[pos:]...)
		b, err := rc.Do(cmd...)
		if err != nil {
			return nil, err
		}
		v, err := parseReply(b)
		if err != nil {
			return nil, err
		}
		if v.typ != '*' || len(v.elems) != 2 || v.elems[0].typ != '$' || v.elems[1].typ != '*' {
			return nil, fmt.Errorf("bad scan reply %q", b)
		}
		els := v.elems[1].elems
		for j := 0; j < len(els); j++ {
			if pairs && j+1 < len(els) {
				set[els[j].str+"="+els[j+1].str] = true
				j++
				continue
			}
			set[els[j].str] = true
		}
		cursor = v.elems[0].str
		if cursor == "0" {
			out := make([]string, 0, len(set))
			for k := range set {
				out = append(out, k)
			}
			sort.Strings(out)
			return out, nil
		}
	}
	return nil, fmt.Errorf("scan did not finish after 100000 calls")
}

func TestDiffFramework_SplitWords_Quotes(t *testing.T) {
	got := splitWords(`SET k "a b" "" "\x00\"" x`)
	want := []string{"SET", "k", "a b", "", "\x00\"", "x"}
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Fatalf("got %q want %q", got, want)
	}
}

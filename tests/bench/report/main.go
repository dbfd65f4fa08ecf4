//go:build bench

// Command report turns the CSV files written by tests/bench/bench.sh into the
// ratio tables (markdown, printed and saved), a summary CSV, a gnuplot script
// for a PNG chart, and optionally the block between the bench markers in
// docs/performance.md. It is built with -tags bench so that it stays out of
// go build/vet/test ./... .
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
)

var (
	steadyFactor = 5.0
	writeTests   = map[string]bool{} // tests held to the steady-state rule
)

const (
	beginMarker = "<!-- bench:begin (written by tests/bench/bench.sh; edits between the markers are replaced) -->"
	endMarker   = "<!-- bench:end -->"
)

type key struct{ mode, server, test, pipeline string }

type sample struct {
	rps, p50, p99 float64
	ov            overlay
	hasOv         bool
}

// overlay is what one diskcached run did to its write overlay (raw CSV
// columns 13–22; empty for other servers and for runs before they existed).
type overlay struct {
	requests, secs, size, end, peak, written, flushed, flushes, mbps float64
	steady                                                           bool
}

type stat struct {
	rps, p50, p99 float64
	n, errors     int
	ov            overlay // medians over rounds (diskcached rows with overlay columns)
	ovRuns        int     // rounds with overlay figures
	steadyRuns    int     // of them, rounds that wrote ≥ steady × overlay-size
}

func main() {
	raw := flag.String("raw", "", "raw CSV from bench.sh")
	resPath := flag.String("resources", "", "resources CSV from bench.sh")
	out := flag.String("out", "", "output prefix (writes PREFIX.md, PREFIX-summary.csv, PREFIX.dat, PREFIX.gnuplot)")
	docs := flag.String("docs", "", "markdown file whose bench block to replace (optional)")
	note := flag.String("note", "", "one line describing the run")
	flag.Float64Var(&steadyFactor, "steady", 5, "overlays a steady-state diskcached write run writes")
	wt := flag.String("write-tests", "set,incr,mset,lpush,rpush,lpop,rpop,hset,sadd,spop,zadd,zpopmin",
		"tests the steady-state rule applies to (comma-separated)")
	flag.Parse()
	if *raw == "" || *out == "" {
		log.Fatal("usage: report -raw FILE -resources FILE -out PREFIX [-docs FILE] [-note TEXT]")
	}

	for _, t := range strings.Split(*wt, ",") {
		writeTests[strings.TrimSpace(t)] = true
	}
	rows, err := readCSV(*raw)
	if err != nil {
		log.Fatal(err)
	}
	stats, modes, tests := aggregate(rows)
	res := map[string]map[string]map[string]string{} // mode → server → metric → value
	if *resPath != "" {
		rr, err := readCSV(*resPath)
		if err != nil {
			log.Fatal(err)
		}
		for _, r := range rr {
			if len(r) < 4 {
				continue
			}
			if res[r[0]] == nil {
				res[r[0]] = map[string]map[string]string{}
			}
			if res[r[0]][r[1]] == nil {
				res[r[0]][r[1]] = map[string]string{}
			}
			res[r[0]][r[1]][r[2]] = r[3]
		}
	}

	md := render(stats, modes, tests, res, *note)
	fmt.Print(md)
	must(os.WriteFile(*out+".md", []byte(md), 0o644))
	must(writeSummary(*out+"-summary.csv", stats))
	if len(modes) > 0 { // STARTUP_ONLY runs have nothing to chart
		must(writeChart(*out, stats, modes, tests))
	}
	if *docs != "" {
		must(replaceBlock(*docs, md))
		fmt.Fprintf(os.Stderr, "updated %s\n", *docs)
	}
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func readCSV(path string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	all, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	if len(all) > 0 {
		all = all[1:] // header
	}
	return all, nil
}

// aggregate takes the median over rounds of rps, p50 and p99 (and of the
// overlay figures) for each mode/server/test/pipeline. Raw columns:
// round,mode,server,test,pipeline,requests,rps,avg,min,p50,p95,p99,max,
// seconds,overlay_size,overlay_end,overlay_peak,overlay_written,
// flushed_bytes,flushes,flush_mbps,steady,wal_end.
func aggregate(rows [][]string) (map[key]stat, []string, []string) {
	samples := map[key][]sample{}
	errs := map[key]int{}
	var modes, tests []string
	seen := map[string]bool{}
	for _, r := range rows {
		if len(r) < 12 || r[0] == "0" { // round 0 is the warm-up
			continue
		}
		k := key{r[1], r[2], r[3], r[4]}
		if !seen["m"+k.mode] {
			seen["m"+k.mode] = true
			modes = append(modes, k.mode)
		}
		tp := k.test + "/" + k.pipeline
		if !seen["t"+tp] {
			seen["t"+tp] = true
			tests = append(tests, tp)
		}
		rps, err1 := strconv.ParseFloat(r[6], 64)
		p50, err2 := strconv.ParseFloat(r[9], 64)
		p99, err3 := strconv.ParseFloat(r[11], 64)
		if err1 != nil || err2 != nil || err3 != nil {
			errs[k]++
			continue
		}
		ov, hasOv := parseOverlay(r)
		samples[k] = append(samples[k], sample{rps, p50, p99, ov, hasOv})
	}
	stats := map[key]stat{}
	for k, ss := range samples {
		st := stat{
			rps: median(ss, func(s sample) float64 { return s.rps }),
			p50: median(ss, func(s sample) float64 { return s.p50 }),
			p99: median(ss, func(s sample) float64 { return s.p99 }),
			n:   len(ss), errors: errs[k],
		}
		var ovs []sample
		for _, s := range ss {
			if s.hasOv {
				ovs = append(ovs, s)
				if s.ov.steady {
					st.steadyRuns++
				}
			}
		}
		if st.ovRuns = len(ovs); st.ovRuns > 0 {
			med := func(f func(overlay) float64) float64 {
				return median(ovs, func(s sample) float64 { return f(s.ov) })
			}
			st.ov = overlay{
				requests: med(func(o overlay) float64 { return o.requests }),
				secs:     med(func(o overlay) float64 { return o.secs }),
				size:     med(func(o overlay) float64 { return o.size }),
				end:      med(func(o overlay) float64 { return o.end }),
				peak:     med(func(o overlay) float64 { return o.peak }),
				written:  med(func(o overlay) float64 { return o.written }),
				flushed:  med(func(o overlay) float64 { return o.flushed }),
				flushes:  med(func(o overlay) float64 { return o.flushes }),
				mbps:     med(func(o overlay) float64 { return o.mbps }),
			}
		}
		stats[k] = st
	}
	for k, n := range errs {
		if _, ok := stats[k]; !ok {
			stats[k] = stat{rps: math.NaN(), p50: math.NaN(), p99: math.NaN(), errors: n}
		}
	}
	return stats, modes, tests
}

// parseOverlay reads a raw row's overlay columns; false when the row has
// none (other servers, older raw files).
func parseOverlay(r []string) (overlay, bool) {
	if len(r) < 22 || r[14] == "" {
		return overlay{}, false
	}
	var v [9]float64
	for i, col := range []int{5, 13, 14, 15, 16, 17, 18, 19, 20} {
		f, err := strconv.ParseFloat(r[col], 64)
		if err != nil {
			return overlay{}, false
		}
		v[i] = f
	}
	return overlay{requests: v[0], secs: v[1], size: v[2], end: v[3], peak: v[4], written: v[5],
		flushed: v[6], flushes: v[7], mbps: v[8], steady: r[21] == "1"}, true
}

func median(ss []sample, f func(sample) float64) float64 {
	v := make([]float64, len(ss))
	for i, s := range ss {
		v[i] = f(s)
	}
	sort.Float64s(v)
	if len(v) == 0 {
		return math.NaN()
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// noop returns the do-nothing server's figures for a test, whichever mode it ran in.
func noop(stats map[key]stat, modes []string, test, p string) (stat, bool) {
	for _, m := range modes {
		if s, ok := stats[key{m, "noop", test, p}]; ok && !math.IsNaN(s.rps) {
			return s, true
		}
	}
	return stat{}, false
}

var modeText = map[string]string{
	"none":     "redis: no RDB, no AOF · diskcached: `--appendfsync no`",
	"everysec": "redis: `appendonly yes`, `appendfsync everysec` · diskcached: `--appendfsync everysec`",
	"always":   "redis: `appendonly yes`, `appendfsync always` · diskcached: `--appendfsync always`",
}

func render(stats map[key]stat, modes, tests []string, res map[string]map[string]map[string]string, note string) string {
	var b strings.Builder
	if len(modes) == 0 { // STARTUP_ONLY: the start-to-PONG table alone
		if note != "" {
			fmt.Fprintf(&b, "Run: %s.\n\n", note)
		}
		renderStartup(&b, res)
		return b.String()
	}
	fmt.Fprintf(&b, "### Throughput and latency (median over rounds)\n\n")
	if note != "" {
		fmt.Fprintf(&b, "Run: %s.\n\n", note)
	}
	fmt.Fprintf(&b, "diskcached's write overlay during each measured run (medians over rounds): MB in the overlay at the end / "+
		"peak (sampled every ~0.2 s), MB/s flushed to bbolt (memtable bytes), and overlays written per run "+
		"(✓ when every round wrote ≥ %g × `overlay-size`, the steady-state rule; write tests are sized for it).\n\n", steadyFactor)
	for _, m := range modes {
		fmt.Fprintf(&b, "#### Durability `%s` (%s)%s\n\n", m, modeText[m], overlaySizeText(stats, m))
		b.WriteString("| test | P | redis rps | diskcached rps | noop rps | dc ÷ redis | dc ÷ noop | redis p50 / p99 ms | diskcached p50 / p99 ms | p99 dc ÷ redis | dc overlay end / peak MB | dc flush MB/s | dc overlays written |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, tp := range tests {
			t, p, _ := strings.Cut(tp, "/")
			r, rok := stats[key{m, "redis", t, p}]
			d, dok := stats[key{m, "diskcached", t, p}]
			n, nok := noop(stats, modes, t, p)
			if !rok && !dok && !nok {
				continue
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				strings.ToUpper(t), p, rps(r, rok), rps(d, dok), rps(n, nok),
				ratio(d.rps, r.rps, dok && rok), ratio(d.rps, n.rps, dok && nok),
				lat(r, rok), lat(d, dok), ratio(d.p99, r.p99, dok && rok), overlayCols(d, dok, writeTests[t]))
		}
		b.WriteString("\n")
	}
	renderTargets(&b, stats, modes, res)
	renderResources(&b, modes, res)
	return b.String()
}

// overlaySizeText names the overlay size diskcached ran with in mode m.
func overlaySizeText(stats map[key]stat, m string) string {
	for k, s := range stats {
		if k.mode == m && k.server == "diskcached" && s.ovRuns > 0 && s.ov.size > 0 {
			return fmt.Sprintf(", diskcached `overlay-size` %.0f MiB", s.ov.size/(1<<20))
		}
	}
	return ""
}

// overlayCols formats the three overlay columns of a diskcached row; the
// steady-state verdict only for write tests.
func overlayCols(d stat, ok, write bool) string {
	if !ok || d.ovRuns == 0 {
		return "– | – | –"
	}
	over := "–"
	if write && d.ov.size > 0 {
		over = fmt.Sprintf("%.1f", d.ov.written/d.ov.size)
		if d.steadyRuns == d.ovRuns {
			over += " ✓"
		} else {
			over += fmt.Sprintf(" (%d/%d rounds ≥ %g)", d.steadyRuns, d.ovRuns, steadyFactor)
		}
	}
	return fmt.Sprintf("%.1f / %.1f | %.1f | %s", d.ov.end/(1<<20), d.ov.peak/(1<<20), d.ov.mbps, over)
}

func rps(s stat, ok bool) string {
	switch {
	case !ok:
		return "–"
	case math.IsNaN(s.rps):
		return "error"
	}
	return strconv.FormatFloat(math.Round(s.rps), 'f', 0, 64)
}

func lat(s stat, ok bool) string {
	if !ok || math.IsNaN(s.rps) {
		return "–"
	}
	return fmt.Sprintf("%.3f / %.3f", s.p50, s.p99)
}

func ratio(a, b float64, ok bool) string {
	if !ok || math.IsNaN(a) || math.IsNaN(b) || b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func renderTargets(b *strings.Builder, stats map[key]stat, modes []string, res map[string]map[string]map[string]string) {
	type target struct {
		what  string
		value float64
		ok    bool
		want  string
		pass  func(float64) bool
	}
	at := func(m, s, t, p string) (stat, bool) {
		st, ok := stats[key{m, s, t, p}]
		return st, ok && !math.IsNaN(st.rps)
	}
	var ts []target
	for _, t := range []string{"get", "set"} {
		for _, m := range modes {
			d, dok := at(m, "diskcached", t, "1")
			n, nok := noop(stats, modes, t, "1")
			ts = append(ts, target{fmt.Sprintf("%s P1 `%s`, diskcached ÷ noop", strings.ToUpper(t), m), d.rps / n.rps, dok && nok, "≥ 0.9", func(v float64) bool { return v >= 0.9 }})
		}
	}
	for _, m := range modes {
		d, dok := at(m, "diskcached", "get", "16")
		r, rok := at(m, "redis", "get", "16")
		ts = append(ts, target{fmt.Sprintf("GET P16 `%s`, diskcached ÷ redis", m), d.rps / r.rps, dok && rok, "≥ 1.0", func(v float64) bool { return v >= 1 }})
	}
	for _, m := range modes {
		d, dok := at(m, "diskcached", "set", "16")
		r, rok := at(m, "redis", "set", "16")
		ts = append(ts, target{fmt.Sprintf("SET P16 `%s`, diskcached ÷ redis", m), d.rps / r.rps, dok && rok, "≥ 1.0", func(v float64) bool { return v >= 1 }})
	}
	for _, m := range modes {
		worst, any, which := 0.0, false, ""
		for k, d := range stats {
			if k.mode != m || k.server != "diskcached" || k.pipeline != "1" || math.IsNaN(d.p99) {
				continue
			}
			if r, ok := at(m, "redis", k.test, "1"); ok && r.p99 > 0 {
				if v := d.p99 / r.p99; v > worst {
					worst, any, which = v, true, strings.ToUpper(k.test)
				}
			}
		}
		ts = append(ts, target{fmt.Sprintf("p99 P1 `%s`, worst test (%s), diskcached ÷ redis", m, which), worst, any, "≤ 1.5", func(v float64) bool { return v <= 1.5 }})
	}
	for _, m := range modes {
		d, dok := num(res, m, "diskcached", "rss_anon_peak_kb")
		r, rok := num(res, m, "redis", "rss_anon_peak_kb")
		rf, _ := num(res, m, "redis", "rss_file_peak_kb")
		ts = append(ts, target{fmt.Sprintf("peak anonymous RSS `%s`, diskcached ÷ redis RSS", m), d / (r + rf), dok && rok, "≤ 0.1", func(v float64) bool { return v <= 0.1 }})
	}
	if v, ok := num(res, "startup", "diskcached", "first_pong_ms"); ok {
		keys := res["startup"]["diskcached"]["keys"]
		ts = append(ts, target{fmt.Sprintf("start to first PONG, %s keys, seconds", keys), v / 1000, true, "< 1", func(v float64) bool { return v < 1 }})
	}
	b.WriteString("### Targets (issue 4)\n\n| target | measured | goal | |\n|---|---:|---:|---|\n")
	for _, t := range ts {
		if !t.ok || math.IsNaN(t.value) || math.IsInf(t.value, 0) {
			fmt.Fprintf(b, "| %s | – | %s | not measured |\n", t.what, t.want)
			continue
		}
		verdict := "**missed**"
		if t.pass(t.value) {
			verdict = "met"
		}
		fmt.Fprintf(b, "| %s | %.2f | %s | %s |\n", t.what, t.value, t.want, verdict)
	}
	b.WriteString("\n")
}

func num(res map[string]map[string]map[string]string, mode, server, metric string) (float64, bool) {
	s, ok := res[mode][server][metric]
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

func renderResources(b *strings.Builder, modes []string, res map[string]map[string]map[string]string) {
	mb := func(m, s, metric string, div float64) string {
		v, ok := num(res, m, s, metric)
		if !ok {
			return "–"
		}
		return fmt.Sprintf("%.1f", v/div)
	}
	raw := func(m, s, metric string) string {
		if v, ok := res[m][s][metric]; ok {
			return v
		}
		return "–"
	}
	b.WriteString("### Memory, disk, load and shutdown\n\n")
	b.WriteString("Peak RSS sampled every 0.25 s from /proc/PID/status over the whole mode (pre-load and all rounds); ")
	b.WriteString("file-backed RSS is mostly the page cache mapped by bbolt's mmap, which the kernel can drop.\n\n")
	b.WriteString("| mode | server | keys at end | peak RssAnon MB | peak RssFile MB | data dir MB | pre-load s | SIGTERM → exit ms | exit code |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, m := range modes {
		for _, s := range []string{"redis", "diskcached", "noop"} {
			if res[m][s] == nil {
				continue
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", m, s, raw(m, s, "keys"),
				mb(m, s, "rss_anon_peak_kb", 1024), mb(m, s, "rss_file_peak_kb", 1024),
				mb(m, s, "disk_bytes", 1<<20), mb(m, s, "preload_ms", 1000),
				raw(m, s, "shutdown_ms"), raw(m, s, "exit_code"))
		}
	}
	b.WriteString("\n")
	renderStartup(b, res)
	if v, ok := res["all"]["all"]["bench_seconds"]; ok {
		fmt.Fprintf(b, "Measured part of the run took %s s.\n", v)
	}
}

// startupCases are the start-to-PONG cases bench.sh measures, in table order.
var startupCases = []struct{ name, what string }{
	{"diskcached", "diskcached, clean shutdown"},
	{"diskcached-crash", "diskcached after SIGKILL with ~1 overlay of unflushed writes (log replay)"},
	{"redis-aof", "redis AOF, a log of SET commands (as loaded)"},
	{"redis-aof-preamble", "redis AOF after BGREWRITEAOF (RDB preamble)"},
	{"redis-rdb", "redis RDB (`appendonly no`, dump.rdb)"},
}

// renderStartup writes the start-to-first-PONG table (bench.sh's startup
// test), when it ran.
func renderStartup(b *strings.Builder, res map[string]map[string]map[string]string) {
	st := res["startup"]
	if st == nil {
		return
	}
	get := func(c, metric string) string {
		if v, ok := st[c][metric]; ok && v != "" {
			return v
		}
		return "–"
	}
	mb := func(c, metric string, div float64) string {
		v, ok := num(res, "startup", c, metric)
		if !ok {
			return "–"
		}
		return fmt.Sprintf("%.1f", v/div)
	}
	b.WriteString("### Start to first PONG (store loaded through `redis-cli --pipe`, shut down, restarted)\n\n")
	b.WriteString("Median over restarts of the time from process start to the first `PONG` (`appendfsync everysec` on restart); ")
	b.WriteString("Redis's own \"DB loaded\" log figure beside it. Load average " + get("all", "load_average_start") +
		" at the start of this test, " + get("all", "load_average_end") + " at its end.\n\n")
	b.WriteString("| case | keys | start → first PONG ms (median) | each restart ms | Redis's load log ms | on disk MB | peak RssAnon MB | pre-load s |\n")
	b.WriteString("|---|---:|---:|---|---:|---:|---:|---:|\n")
	for _, c := range startupCases {
		if st[c.name] == nil {
			continue
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", c.what, get(c.name, "keys"),
			get(c.name, "first_pong_ms"), get(c.name, "first_pong_runs_ms"), get(c.name, "load_log_ms"),
			mb(c.name, "disk_bytes", 1<<20), mb(c.name, "rss_anon_peak_kb", 1024), mb(c.name, "load_ms", 1000))
	}
	if v, ok := num(res, "startup", "diskcached-crash", "overlay_bytes_at_kill"); ok {
		w, _ := num(res, "startup", "diskcached-crash", "wal_bytes_at_kill")
		fmt.Fprintf(b, "\nAt the last SIGKILL the overlay held %.1f MB and the current log segment %.1f MB.\n", v/(1<<20), w/(1<<20))
	}
	b.WriteString("\n")
}

func writeSummary(path string, stats map[key]stat) error {
	keys := make([]key, 0, len(stats))
	for k := range stats {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		return fmt.Sprint(a.mode, a.test, a.pipeline, a.server) < fmt.Sprint(b.mode, b.test, b.pipeline, b.server)
	})
	var b strings.Builder
	b.WriteString("mode,test,pipeline,server,median_rps,median_p50_ms,median_p99_ms,rounds,errors," +
		"median_requests,median_seconds,overlay_size,median_overlay_end,median_overlay_peak,median_overlay_written," +
		"median_flushed_bytes,median_flushes,median_flush_mbps,steady_rounds\n")
	for _, k := range keys {
		s := stats[k]
		fmt.Fprintf(&b, "%s,%s,%s,%s,%.0f,%.3f,%.3f,%d,%d", k.mode, k.test, k.pipeline, k.server, s.rps, s.p50, s.p99, s.n, s.errors)
		if o := s.ov; s.ovRuns > 0 {
			fmt.Fprintf(&b, ",%.0f,%.2f,%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.2f,%d", o.requests, o.secs, o.size, o.end, o.peak,
				o.written, o.flushed, o.flushes, o.mbps, s.steadyRuns)
		} else {
			b.WriteString(",,,,,,,,,,")
		}
		b.WriteString("\n")
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// writeChart writes PREFIX.dat and PREFIX.gnuplot, which draws PREFIX.png: one
// clustered bar group per mode/test/pipeline, log-scale requests/s.
func writeChart(prefix string, stats map[key]stat, modes, tests []string) error {
	var d strings.Builder
	d.WriteString("label redis diskcached noop\n")
	val := func(s stat, ok bool) string {
		if !ok || math.IsNaN(s.rps) {
			return "NaN"
		}
		return fmt.Sprintf("%.0f", s.rps)
	}
	for _, m := range modes {
		for _, tp := range tests {
			t, p, _ := strings.Cut(tp, "/")
			r, rok := stats[key{m, "redis", t, p}]
			dc, dok := stats[key{m, "diskcached", t, p}]
			n, nok := noop(stats, modes, t, p)
			if !rok && !dok {
				continue
			}
			fmt.Fprintf(&d, "\"%s %s P%s\" %s %s %s\n", m, strings.ToUpper(t), p, val(r, rok), val(dc, dok), val(n, nok))
		}
	}
	if err := os.WriteFile(prefix+".dat", []byte(d.String()), 0o644); err != nil {
		return err
	}
	g := fmt.Sprintf(`set terminal pngcairo size 1600,700 font ",10"
set output '%[1]s.png'
set title "diskcached vs redis-server vs do-nothing redcon server (median requests/s, log scale)"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set logscale y
set yrange [1000:3000000]
set grid ytics
set xtics rotate by -45 scale 0
set key outside top center horizontal
set termoption noenhanced
set bmargin 8
set rmargin 8
set datafile missing "NaN"
plot '%[1]s.dat' using 2:xtic(1) title 'redis' lc rgb '#d62728', \
     '' using 3 title 'diskcached' lc rgb '#1f77b4', \
     '' using 4 title 'noop (protocol ceiling)' lc rgb '#7f7f7f'
`, prefix)
	return os.WriteFile(prefix+".gnuplot", []byte(g), 0o644)
}

// replaceBlock puts md between the bench markers of path, creating the file or
// the markers when missing.
func replaceBlock(path, md string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	s := string(old)
	block := beginMarker + "\n" + md + endMarker
	i := strings.Index(s, "<!-- bench:begin")
	j := strings.Index(s, endMarker)
	switch {
	case i >= 0 && j > i:
		s = s[:i] + block + s[j+len(endMarker):]
	case s == "":
		s = "# Performance\n\n" + block + "\n"
	default:
		s = strings.TrimRight(s, "\n") + "\n\n" + block + "\n"
	}
	return os.WriteFile(path, []byte(s), 0o644)
}

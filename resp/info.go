package resp

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/diskcached/diskcached/engine"
)

// INFO [section …] replies Redis 7.0's sections, in Redis's order, with the
// fields monitoring tools read, plus "# Diskcache" with the engine's disk
// figures. No argument or "default" gives the default sections; "all" every
// section; "everything" the same (there are no modules); unknown section
// names give nothing. Lines end in CRLF; RESP3 clients get a verbatim
// string. INFO never fails: a section that cannot be computed is left out.
//
// Memory figures describe the disk store: used_memory is the size of the
// data file (diskcached keeps the data on disk; maxmemory is a disk budget).

type infoSection struct {
	name string // lower case
	def  bool   // part of the default set
	gen  func(ic *infoCtx)
}

var infoSections = []infoSection{
	{"server", true, infoServer},
	{"clients", true, infoClients},
	{"memory", true, infoMemory},
	{"persistence", true, infoPersistence},
	{"stats", true, infoStats},
	{"replication", true, infoReplication},
	{"cpu", true, infoCPU},
	{"modules", true, func(*infoCtx) {}},
	{"commandstats", false, infoCommandStats},
	{"errorstats", true, func(*infoCtx) {}},
	{"latencystats", false, func(*infoCtx) {}},
	{"cluster", true, func(ic *infoCtx) { ic.kv("cluster_enabled", "0") }},
	{"keyspace", true, infoKeyspace},
	{"diskcache", true, infoDiskcache},
}

// infoCtx accumulates the reply.
type infoCtx struct {
	c  *Ctx
	s  *Server
	st *introState
	b  []byte
}

func (ic *infoCtx) kv(k, v string) {
	ic.b = append(ic.b, k...)
	ic.b = append(ic.b, ':')
	ic.b = append(ic.b, v...)
	ic.b = append(ic.b, '\r', '\n')
}

func (ic *infoCtx) num(k string, n int64) { ic.kv(k, strconv.FormatInt(n, 10)) }

func (ic *infoCtx) float(k string, f float64, prec int) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		f = 0
	}
	ic.kv(k, strconv.FormatFloat(f, 'f', prec, 64))
}

// cmdInfo builds the requested sections.
func cmdInfo(c *Ctx, args [][]byte) error {
	want := map[string]bool{}
	if len(args) == 1 {
		want["default"] = true
	}
	for _, a := range args[1:] {
		want[strings.ToLower(string(a))] = true
	}
	all := want["all"] || want["everything"]
	ic := &infoCtx{c: c, s: c.S, st: c.S.intro()}
	ic.st.startSampler()
	n := 0
	for _, sec := range infoSections {
		if !all && !want[sec.name] && !(sec.def && want["default"]) {
			continue
		}
		if n > 0 {
			ic.b = append(ic.b, '\r', '\n')
		}
		n++
		title := strings.ToUpper(sec.name[:1]) + sec.name[1:]
		if sec.name == "cpu" {
			title = "CPU"
		}
		ic.b = append(ic.b, "# "+title+"\r\n"...)
		ic.section(sec)
	}
	c.W.Verbatim("txt", string(ic.b))
	return nil
}

// section runs one generator; a panic drops what it wrote, not the reply.
func (ic *infoCtx) section(sec infoSection) {
	mark := len(ic.b)
	defer func() {
		if p := recover(); p != nil {
			ic.b = ic.b[:mark]
			ic.s.log.Error().Interface("panic", p).Str("section", sec.name).Msg("INFO section failed")
		}
	}()
	sec.gen(ic)
}

func infoServer(ic *infoCtx) {
	s := ic.s
	up := s.Uptime()
	now := time.Now()
	exe, _ := os.Executable()
	conf := s.cfg.File()
	if conf != "" {
		if abs, err := filepath.Abs(conf); err == nil {
			conf = abs
		}
	}
	ic.kv("redis_version", redisCompatVersion)
	ic.kv("redis_git_sha1", "00000000")
	ic.kv("redis_git_dirty", "0")
	ic.kv("redis_build_id", "0")
	ic.kv("redis_mode", "standalone")
	ic.kv("os", osName())
	ic.num("arch_bits", int64(strconv.IntSize))
	ic.kv("monotonic_clock", "POSIX clock_gettime")
	ic.kv("multiplexing_api", multiplexingAPI())
	ic.kv("atomicvar_api", "c11-builtin")
	ic.kv("gcc_version", "0.0.0")
	ic.num("process_id", int64(os.Getpid()))
	ic.kv("process_supervised", "no")
	ic.kv("run_id", s.RunID())
	ic.kv("tcp_port", s.cfg.Get("port"))
	ic.num("server_time_usec", now.UnixMicro())
	ic.num("uptime_in_seconds", int64(up/time.Second))
	ic.num("uptime_in_days", int64(up/(24*time.Hour)))
	ic.kv("hz", s.cfg.Get("hz"))
	ic.kv("configured_hz", s.cfg.Get("hz"))
	ic.num("lru_clock", now.Unix()&(1<<24-1))
	ic.kv("executable", exe)
	ic.kv("config_file", conf)
	ic.kv("io_threads_active", "0")
}

// osName is uname's "sysname release machine" as Redis prints it.
func osName() string {
	sys, rel := runtime.GOOS, ""
	if b, err := os.ReadFile("/proc/sys/kernel/ostype"); err == nil {
		sys = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		rel = strings.TrimSpace(string(b))
	}
	arch := map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "i686"}[runtime.GOARCH]
	if arch == "" {
		arch = runtime.GOARCH
	}
	return strings.Join(strings.Fields(sys+" "+rel+" "+arch), " ")
}

func multiplexingAPI() string {
	switch runtime.GOOS {
	case "linux":
		return "epoll"
	case "darwin", "freebsd", "netbsd", "openbsd":
		return "kqueue"
	}
	return "select"
}

// blockedClients asks the blocking-commands code, when present.
func blockedClients(s *Server) int64 {
	switch b := any(s).(type) {
	case interface{ BlockedClients() int }:
		return int64(b.BlockedClients())
	case interface{ BlockedClients() int64 }:
		return b.BlockedClients()
	}
	return 0
}

func infoClients(ic *infoCtx) {
	blocked := blockedClients(ic.s)
	ic.num("connected_clients", int64(len(ic.s.Clients())))
	ic.kv("cluster_connections", "0")
	ic.kv("maxclients", ic.s.cfg.Get("maxclients"))
	ic.kv("client_recent_max_input_buffer", "0")
	ic.kv("client_recent_max_output_buffer", "0")
	ic.num("blocked_clients", blocked)
	ic.kv("tracking_clients", "0")
	ic.num("clients_in_timeout_table", blocked)
}

// diskBytes is diskcached's used_memory: the engine's measure of the
// store's in-use bytes when it offers one, else the data file's size.
func diskBytes(s *Server) int64 {
	if s.db == nil {
		return 0
	}
	return s.db.UsedBytes()
}

// rssBytes is the process's resident set size (Linux; 0 elsewhere).
func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// totalSystemMemory reads MemTotal from /proc/meminfo (0 if unknown).
func totalSystemMemory() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// notePeak records used as a peak candidate and returns the peak.
func (st *introState) notePeak(used int64) int64 {
	for {
		p := st.peakMem.Load()
		if used <= p {
			return p
		}
		if st.peakMem.CompareAndSwap(p, used) {
			return used
		}
	}
}

// bytesToHuman spells a byte count as Redis does (B, K, M, G, T, P).
func bytesToHuman(n int64) string {
	d := float64(n)
	switch {
	case n < 1024:
		return strconv.FormatInt(n, 10) + "B"
	case n < 1<<20:
		return fmt.Sprintf("%.2fK", d/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.2fM", d/(1<<20))
	case n < 1<<40:
		return fmt.Sprintf("%.2fG", d/(1<<30))
	case n < 1<<50:
		return fmt.Sprintf("%.2fT", d/(1<<40))
	case n < 1<<60:
		return fmt.Sprintf("%.2fP", d/(1<<50))
	}
	return strconv.FormatInt(n, 10) + "B"
}

func infoMemory(ic *infoCtx) {
	used := diskBytes(ic.s)
	rss := rssBytes()
	peak := ic.st.notePeak(used)
	sys := totalSystemMemory()
	maxmem := ic.s.cfg.Int("maxmemory")
	ic.num("used_memory", used)
	ic.kv("used_memory_human", bytesToHuman(used))
	ic.num("used_memory_rss", rss)
	ic.kv("used_memory_rss_human", bytesToHuman(rss))
	ic.num("used_memory_peak", peak)
	ic.kv("used_memory_peak_human", bytesToHuman(peak))
	perc := 100.0
	if peak > 0 {
		perc = float64(used) * 100 / float64(peak)
	}
	ic.kv("used_memory_peak_perc", strconv.FormatFloat(perc, 'f', 2, 64)+"%")
	ic.kv("used_memory_overhead", "0")
	ic.kv("used_memory_startup", "0")
	ic.num("used_memory_dataset", used)
	ic.kv("used_memory_dataset_perc", "100.00%")
	ic.num("total_system_memory", sys)
	ic.kv("total_system_memory_human", bytesToHuman(sys))
	ic.num("maxmemory", maxmem)
	ic.kv("maxmemory_human", bytesToHuman(maxmem))
	ic.kv("maxmemory_policy", ic.s.cfg.Get("maxmemory-policy"))
	ratio := 0.0
	if used > 0 {
		ratio = float64(rss) / float64(used)
	}
	ic.float("mem_fragmentation_ratio", ratio, 2)
	ic.kv("mem_not_counted_for_evict", "0")
	ic.kv("mem_allocator", "go-"+runtime.Version())
	ic.kv("lazyfree_pending_objects", "0")
}

func infoPersistence(ic *infoCtx) {
	aof := "0"
	if ic.s.cfg.Bool("appendonly") {
		aof = "1"
	}
	status := "ok"
	if ic.s.db != nil && ic.s.db.LastError() != "" {
		status = "err"
	}
	ic.kv("loading", "0")
	ic.kv("async_loading", "0")
	ic.kv("current_cow_peak", "0")
	ic.kv("current_cow_size", "0")
	ic.kv("current_fork_perc", "0.00")
	ic.num("rdb_changes_since_last_save", ic.s.db.Stats().Changes.Load()-ic.s.changesAtSave.Load())
	ic.kv("rdb_bgsave_in_progress", "0")
	ic.num("rdb_last_save_time", ic.s.lastSave.Load())
	ic.kv("rdb_last_bgsave_status", "ok")
	ic.kv("rdb_last_bgsave_time_sec", "-1")
	ic.kv("rdb_current_bgsave_time_sec", "-1")
	ic.kv("rdb_saves", "0")
	ic.kv("aof_enabled", aof)
	ic.kv("aof_rewrite_in_progress", "0")
	ic.kv("aof_rewrite_scheduled", "0")
	ic.kv("aof_last_rewrite_time_sec", "-1")
	ic.kv("aof_current_rewrite_time_sec", "-1")
	ic.kv("aof_last_bgrewrite_status", "ok")
	ic.kv("aof_rewrites", "0")
	ic.kv("aof_last_write_status", status)
}

// pubsubCounter is what the pub/sub code may provide for INFO's
// pubsub_channels, pubsub_patterns and pubsubshard_channels (0 until then).
type pubsubCounter interface {
	PubSubCounts() (channels, patterns, shardChannels int64)
}

func infoStats(ic *infoCtx) {
	s, st := ic.s, &ic.s.stats
	ops, inKbps, outKbps := ic.st.instantaneous()
	var expired, evicted int64
	if s.db != nil {
		expired = s.db.Stats().ExpiredKeys.Load()
		evicted = s.db.Stats().EvictedKeys.Load()
	}
	var chans, pats, shards int64
	if p, ok := any(s).(pubsubCounter); ok {
		chans, pats, shards = p.PubSubCounts()
	}
	ic.num("total_connections_received", st.ConnectionsReceived.Load())
	ic.num("total_commands_processed", st.CommandsProcessed.Load())
	ic.num("instantaneous_ops_per_sec", ops)
	ic.num("total_net_input_bytes", st.NetInput.Load())
	ic.num("total_net_output_bytes", st.NetOutput.Load())
	ic.kv("total_net_repl_input_bytes", "0")
	ic.kv("total_net_repl_output_bytes", "0")
	ic.float("instantaneous_input_kbps", inKbps, 2)
	ic.float("instantaneous_output_kbps", outKbps, 2)
	ic.kv("instantaneous_input_repl_kbps", "0.00")
	ic.kv("instantaneous_output_repl_kbps", "0.00")
	ic.num("rejected_connections", st.RejectedConns.Load())
	ic.kv("sync_full", "0")
	ic.kv("sync_partial_ok", "0")
	ic.kv("sync_partial_err", "0")
	ic.num("expired_keys", expired)
	ic.kv("expired_stale_perc", "0.00")
	ic.kv("expired_time_cap_reached_count", "0")
	ic.kv("expire_cycle_cpu_milliseconds", "0")
	ic.num("evicted_keys", evicted)
	ic.kv("evicted_clients", "0")
	ic.kv("total_eviction_exceeded_time", "0")
	ic.kv("current_eviction_exceeded_time", "0")
	ic.num("keyspace_hits", st.KeyspaceHits.Load())
	ic.num("keyspace_misses", st.KeyspaceMisses.Load())
	ic.num("pubsub_channels", chans)
	ic.num("pubsub_patterns", pats)
	ic.num("pubsubshard_channels", shards)
	ic.kv("latest_fork_usec", "0")
	ic.kv("total_forks", "0")
	ic.kv("migrate_cached_sockets", "0")
	ic.kv("slave_expires_tracked_keys", "0")
	ic.kv("active_defrag_hits", "0")
	ic.kv("active_defrag_misses", "0")
	ic.kv("active_defrag_key_hits", "0")
	ic.kv("active_defrag_key_misses", "0")
	ic.kv("total_active_defrag_time", "0")
	ic.kv("current_active_defrag_time", "0")
	ic.kv("tracking_total_keys", "0")
	ic.kv("tracking_total_items", "0")
	ic.kv("tracking_total_prefixes", "0")
	ic.kv("unexpected_error_replies", "0")
	ic.num("total_error_replies", st.ErrorReplies.Load())
	ic.kv("dump_payload_sanitizations", "0")
	ic.num("total_reads_processed", st.CommandsProcessed.Load())
	ic.num("total_writes_processed", st.CommandsProcessed.Load())
	ic.kv("io_threaded_reads_processed", "0")
	ic.kv("io_threaded_writes_processed", "0")
}

func infoReplication(ic *infoCtx) {
	ic.kv("role", "master")
	ic.kv("connected_slaves", "0")
	ic.kv("master_failover_state", "no-failover")
	ic.kv("master_replid", ic.s.RunID())
	ic.kv("master_replid2", strings.Repeat("0", 40))
	ic.kv("master_repl_offset", "0")
	ic.kv("second_repl_offset", "-1")
	ic.kv("repl_backlog_active", "0")
	ic.kv("repl_backlog_size", "1048576")
	ic.kv("repl_backlog_first_byte_offset", "0")
	ic.kv("repl_backlog_histlen", "0")
}

func tvSeconds(tv syscall.Timeval) string {
	return strconv.FormatInt(int64(tv.Sec), 10) + "." + fmt.Sprintf("%06d", int64(tv.Usec))
}

func infoCPU(ic *infoCtx) {
	var self, children syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	ic.kv("used_cpu_sys", tvSeconds(self.Stime))
	ic.kv("used_cpu_user", tvSeconds(self.Utime))
	ic.kv("used_cpu_sys_children", tvSeconds(children.Stime))
	ic.kv("used_cpu_user_children", tvSeconds(children.Utime))
}

// infoCommandStats lists every command and subcommand that was called,
// rejected or failed, by name.
func infoCommandStats(ic *infoCtx) {
	for _, cmd := range ic.s.table.sortedCommands() {
		writeCmdStat(ic, cmd)
		for _, sub := range sortedSubs(cmd) {
			writeCmdStat(ic, sub)
		}
	}
}

func writeCmdStat(ic *infoCtx, cmd *Command) {
	st := &cmd.stats
	calls, usec := st.Calls.Load(), st.Usec.Load()
	failed, rejected := st.Failed.Load(), st.Rejected.Load()
	if calls == 0 && failed == 0 && rejected == 0 {
		return
	}
	per := 0.0
	if calls > 0 {
		per = float64(usec) / float64(calls)
	}
	ic.b = fmt.Appendf(ic.b, "cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d\r\n",
		cmd.Name, calls, usec, per, rejected, failed)
}

// keyCounts returns keys and volatile keys per database, read in one
// transaction (the caller's, when it has one). nil on error.
func keyCounts(c *Ctx) [][2]int64 {
	if c.S.db == nil {
		return nil
	}
	read := func(tx *engine.Tx) [][2]int64 {
		out := make([][2]int64, c.S.db.Databases())
		for db := range out {
			k, e := tx.KeyCounts(db)
			out[db] = [2]int64{k, e}
		}
		return out
	}
	if c.Tx != nil {
		return read(c.Tx)
	}
	var out [][2]int64
	// Point lookups only: no snapshot of the active memtable (monitors
	// poll INFO; see engine.DB.ViewPoint).
	if err := c.S.db.ViewPoint(func(tx *engine.Tx) error { out = read(tx); return nil }); err != nil {
		return nil
	}
	return out
}

func infoKeyspace(ic *infoCtx) {
	for db, kc := range keyCounts(ic.c) {
		if kc[0] == 0 {
			continue
		}
		ic.b = fmt.Appendf(ic.b, "db%d:keys=%d,expires=%d,avg_ttl=0\r\n", db, kc[0], kc[1])
	}
}

// infoDiskcache reports the engine: file size, group-commit figures,
// syncs, background reclaim and the durability mode.
func infoDiskcache(ic *infoCtx) {
	s := ic.s
	ic.kv("diskcached_version", s.Version())
	ic.kv("go_version", runtime.Version())
	if s.db == nil {
		return
	}
	es := s.db.Stats()
	commits, batched := es.Commits.Load(), es.BatchedWrites.Load()
	avgBatch, avgCommit := 0.0, 0.0
	if commits > 0 {
		avgBatch = float64(batched) / float64(commits)
		avgCommit = float64(es.CommitNanos.Load()) / float64(commits) / 1000
	}
	u := s.db.Usage()
	ic.kv("disk_path", s.db.Path())
	ic.num("disk_file_bytes", u.FileBytes)
	ic.num("disk_free_bytes", u.FreeBytes)
	ic.num("disk_pages_in_use_bytes", u.InUseBytes)
	ic.num("disk_inpage_bytes", u.PageBytes)
	ic.num("disk_page_size", int64(u.PageSize))
	ic.num("disk_logical_bytes", u.LogicalBytes)
	ic.num("disk_used_bytes", u.UsedBytes)
	ic.float("disk_fill_ratio", u.Ratio, 3)
	ic.num("overlay_bytes", u.OverlayBytes)
	ic.num("overlay_limit_bytes", s.db.OverlayLimit())
	ic.num("wal_bytes", s.db.LogBytes())
	ic.num("wal_written_bytes", s.db.LogWritten())
	cs := s.db.Compaction()
	ic.num("compaction_in_progress", boolInt(cs.Running))
	ic.num("compaction_copied_bytes", cs.CopiedBytes)
	if !cs.Last.At.IsZero() {
		status := "ok"
		if cs.Last.Err != "" {
			status = "err"
		}
		ic.num("compaction_last_time", cs.Last.At.Unix())
		ic.kv("compaction_last_status", status)
		ic.num("compaction_last_took_ms", cs.Last.Took.Milliseconds())
		ic.num("compaction_last_before_bytes", cs.Last.BeforeBytes)
		ic.num("compaction_last_after_bytes", cs.Last.AfterBytes)
	}
	ic.num("commits", commits)
	ic.num("batched_writes", batched)
	ic.float("avg_batch", avgBatch, 2)
	ic.float("avg_commit_usec", avgCommit, 2)
	ic.num("syncs", es.Syncs.Load())
	ic.num("gc_reclaimed", es.GCReclaimed.Load())
	ic.num("memtable_flushes", es.Flushes.Load())
	ic.num("memtable_flushed_bytes", es.FlushedBytes.Load())
	ic.num("evicted_keys", es.EvictedKeys.Load())
	ic.kv("appendfsync", s.db.Fsync().String())
	lastErr := s.db.LastError()
	lastErr = strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, lastErr)
	ic.kv("last_error", lastErr)
	infoDBLimits(ic) // per-db usage and limits (cmd_cache_config.go)
}

// --- instantaneous_* sampling

const (
	infoSamples  = 16
	samplePeriod = 100 * time.Millisecond
)

type opsSample struct{ ops, in, out float64 } // per second

// startSampler starts, once, the goroutine that samples the counters every
// 100 ms (as Redis's cron does) until the server closes.
func (st *introState) startSampler() {
	st.sampler.Do(func() { go st.sampleLoop() })
}

func (st *introState) sampleLoop() {
	s := &st.s.stats
	tick := time.NewTicker(samplePeriod)
	defer tick.Stop()
	last := time.Now()
	lc, li, lo := s.CommandsProcessed.Load(), s.NetInput.Load(), s.NetOutput.Load()
	for now := range tick.C {
		st.s.mu.Lock()
		closing := st.s.closing
		st.s.mu.Unlock()
		if closing {
			return
		}
		secs := now.Sub(last).Seconds()
		c, i, o := s.CommandsProcessed.Load(), s.NetInput.Load(), s.NetOutput.Load()
		if secs > 0 {
			st.sampleMu.Lock()
			st.samples[st.sampleN%infoSamples] = opsSample{
				ops: float64(c-lc) / secs, in: float64(i-li) / secs, out: float64(o-lo) / secs,
			}
			st.sampleN++
			st.sampleMu.Unlock()
		}
		last, lc, li, lo = now, c, i, o
		if st.sampleN%10 == 0 {
			st.notePeak(diskBytes(st.s))
		}
	}
}

// instantaneous averages the samples: ops/s and input/output KB/s.
func (st *introState) instantaneous() (ops int64, inKbps, outKbps float64) {
	st.sampleMu.Lock()
	defer st.sampleMu.Unlock()
	n := st.sampleN
	if n > infoSamples {
		n = infoSamples
	}
	if n == 0 {
		return 0, 0, 0
	}
	var sum opsSample
	for i := 0; i < n; i++ {
		sum.ops += st.samples[i].ops
		sum.in += st.samples[i].in
		sum.out += st.samples[i].out
	}
	return int64(sum.ops / float64(n)), sum.in / float64(n) / 1024, sum.out / float64(n) / 1024
}

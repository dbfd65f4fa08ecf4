#!/usr/bin/env bash
# tests/bench/bench.sh: diskcached side by side with redis-server and a do-nothing redcon server.
#
#   tests/bench/bench.sh              # full run (3 rounds, 1 M keys; ~15 min on 2 cores, EXTRA=1 ~28)
#   QUICK=1 tests/bench/bench.sh      # smoke run (1 round, small counts; about 1 min; never edits docs)
#   STARTUP_ONLY=1 STARTUP_KEYS=10000000 tests/bench/bench.sh   # only the start-to-PONG test, 10 M
#                                     # keys (~10 min, ~4 GB of temporary disk; never edits docs)
#
# For each durability mode it starts redis-server and diskcached at matching durability
#   none      redis: no RDB, no AOF              diskcached: --appendfsync no
#   everysec  redis: appendonly, fsync everysec  diskcached: --appendfsync everysec
#   always    redis: appendonly, fsync always    diskcached: --appendfsync always
# plus cmd/noopserver (PING→PONG, SET→OK, GET→100 bytes: the protocol ceiling of our stack),
# on spare 127.0.0.1 ports with temporary data dirs. It pre-loads PRELOAD_KEYS keys of 100 bytes
# (key:000000000000 …, the names redis-benchmark -r uses), then runs redis-benchmark -c 50 -d 100
# -r 1000000 for each test and pipeline depth, the servers taking turns test by test in ROUNDS
# rounds (start order rotates each round; before each measurement it waits until every server,
# the measured one included, is idle). It prints, per test, each server's median requests/s and p50/p99 latency and
# the ratios diskcached÷redis and diskcached÷noop, then peak RSS (anonymous and file-backed, from
# /proc/PID/status), data-dir bytes, and time from process start to first PONG on a store holding
# STARTUP_KEYS keys beside Redis's AOF and RDB load times.
#
# Steady state. diskcached buffers writes in an in-memory overlay (memtable, `overlay-size`,
# 32 MiB by default, read with CONFIG GET) and flushes it to bbolt in the background; a run shorter
# than a few overlays measures only the buffer. So every measured run of a write test (WRITE_TESTS)
# is sized to make diskcached write at least STEADY_FACTOR × overlay-size into its overlay, using
# the overlay bytes per request measured in the previous run of that test (INFO diskcache:
# Δ(memtable_flushed_bytes + overlay_bytes) ÷ requests); redis-server gets the same -n in the
# same round. Around each diskcached run the script reads INFO diskcache before and after and
# samples overlay_bytes every OVERLAY_SAMPLE s, and records the overlay at the end, its peak,
# the bytes written into it, the bytes flushed to bbolt and the flush rate, and whether the run
# wrote ≥ STEADY_FACTOR overlays (raw CSV; tables). Cost: a write run lasts ~2–4 s instead of 2
# (a full EXTRA=1 run ~28 min instead of ~24 on a quiet 2-core machine). The issue's strict
# form, ≥ 30 s per write run, is WRITE_SECONDS=30: 3 modes × 16 write runs × 3 rounds × 30 s
# = 72 min of diskcached writes plus redis at the same -n (5–15 s each), ~1 h 50 min for
# EXTRA=1, ~1 h without (RUN_SECONDS=30 would stretch the read tests too: ~4 h).
#
# Output: tests/bench/results/<stamp>-{raw,summary,resources}.csv, <stamp>.md, <stamp>.png
# (gnuplot), and, for full runs (not QUICK, not STARTUP_ONLY), the table in docs/performance.md
# between the "bench:begin"/"bench:end" markers. Needs redis-server, redis-benchmark, redis-cli
# (Debian: apt-get install -y redis-server redis-tools gnuplot-nox; the script offers to do it
# when root).
#
# Environment (defaults in brackets):
#   ROUNDS [3; QUICK 1]     rounds of alternating measurements; medians are taken over rounds
#   RUN_SECONDS [2; QUICK 0.3]  target length of one measurement: each server/test/pipeline first
#                           runs a warm-up (WARM_P1 [20000] / WARM_P16 [100000] requests, not
#                           counted), then -n is sized from its last rate to last about this long
#                           (bounded by N_MIN [5000] and N_MAX [3000000]); write tests also by
#                           the steady-state rule above
#   WRITE_SECONDS [RUN_SECONDS]  minimum length of a diskcached write run (30: the strict form)
#   STEADY_FACTOR [5]       overlays each measured diskcached write run must write
#   STEADY_MAX_SECONDS [20] cap on one write run's expected length (a test whose requests write
#                           almost nothing, e.g. RPOP on an empty list, would otherwise run long)
#   WRITE_TESTS ["set,incr,mset,lpush,rpush,lpop,rpop,hset,sadd,spop,zadd,zpopmin"]
#   OVERLAY_SAMPLE [0.2]    seconds between overlay_bytes samples during a diskcached run
#   N_P1, N_P16             fixed request counts instead (no sizing, no steady-state rule)
#   PRELOAD_KEYS [1000000]  keys loaded before measuring (QUICK: 20000)
#   STARTUP_KEYS [1000000]  keys on disk for the start-to-PONG test (the issue asks 10000000)
#   STARTUP_RUNS [5; QUICK 3]  restarts per startup case; the median is reported
#   STARTUP_CRASH [1]       also time diskcached's start after SIGKILL with a full overlay (log replay)
#   STARTUP_ONLY=1          run only the start-to-PONG test;  SKIP_STARTUP=1  skip it
#   KEYSPACE [1000000]      redis-benchmark -r
#   MODES ["none everysec always"]   PIPELINES ["1 16"]   CLIENTS [50]   DATASIZE [100]
#   TESTS ["get,set,incr,mset,ping_mbulk"]; EXTRA=1 adds lpush,rpop,hset,sadd,zadd,lrange_100
#   SERVERS ["redis diskcached noop"]  (noop is measured in the first mode only: it stores nothing)
#   DISKCACHED_ARGS [""]    extra arguments for diskcached, e.g. "--loglevel warning"
#   DISKCACHED_BIN [""]     a prebuilt diskcached binary instead of building ./cmd/diskcached
#   BASE_PORT [16400]       redis, diskcached, noop use BASE_PORT, +1, +2
#   IDLE_CPU [10] IDLE_MAX [5]  before each run, wait up to IDLE_MAX s for every server to use
#                           < IDLE_CPU % of a core
#   UPDATE_DOCS [1; always 0 under QUICK or STARTUP_ONLY]  write the table into docs/performance.md
#   KEEP=1                  keep the temporary work dir (data dirs, logs)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
	ROUNDS=${ROUNDS:-1} RUN_SECONDS=${RUN_SECONDS:-0.3} WARM_P1=${WARM_P1:-2000} WARM_P16=${WARM_P16:-10000}
	PRELOAD_KEYS=${PRELOAD_KEYS:-20000} STARTUP_KEYS=${STARTUP_KEYS:-20000} STARTUP_RUNS=${STARTUP_RUNS:-3}
	UPDATE_DOCS=0 # a smoke run never edits docs/performance.md
fi
STARTUP_ONLY=${STARTUP_ONLY:-0}
[[ $STARTUP_ONLY == 1 ]] && UPDATE_DOCS=0 # the docs block needs the throughput tables
ROUNDS=${ROUNDS:-3}
RUN_SECONDS=${RUN_SECONDS:-2}
WARM_P1=${WARM_P1:-20000}
WARM_P16=${WARM_P16:-100000}
N_MIN=${N_MIN:-5000}
N_MAX=${N_MAX:-3000000}
N_P1=${N_P1:-}
N_P16=${N_P16:-}
PRELOAD_KEYS=${PRELOAD_KEYS:-1000000}
STARTUP_KEYS=${STARTUP_KEYS:-1000000}
KEYSPACE=${KEYSPACE:-1000000}
MODES=${MODES:-none everysec always}
PIPELINES=${PIPELINES:-1 16}
CLIENTS=${CLIENTS:-50}
DATASIZE=${DATASIZE:-100}
TESTS=${TESTS:-get,set,incr,mset,ping_mbulk}
[[ ${EXTRA:-0} == 1 ]] && TESTS="$TESTS,lpush,rpop,hset,sadd,zadd,lrange_100"
SERVERS=${SERVERS:-redis diskcached noop}
DISKCACHED_ARGS=${DISKCACHED_ARGS:-}
REDIS_ARGS="" # extra redis-server arguments (the startup test turns AOF auto-rewrite off)
BASE_PORT=${BASE_PORT:-16400}
IDLE_MAX=${IDLE_MAX:-5}
IDLE_CPU=${IDLE_CPU:-10}
UPDATE_DOCS=${UPDATE_DOCS:-1}
STEADY_FACTOR=${STEADY_FACTOR:-5}
STEADY_MAX_SECONDS=${STEADY_MAX_SECONDS:-20}
WRITE_SECONDS=${WRITE_SECONDS:-$RUN_SECONDS}
WRITE_TESTS=${WRITE_TESTS:-set,incr,mset,lpush,rpush,lpop,rpop,hset,sadd,spop,zadd,zpopmin}
OVERLAY_SAMPLE=${OVERLAY_SAMPLE:-0.2}
STARTUP_RUNS=${STARTUP_RUNS:-5}
STARTUP_CRASH=${STARTUP_CRASH:-1}
RESULTS=$ROOT/tests/bench/results
STAMP=$(date +%Y%m%d-%H%M%S)

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}
has() { [[ " $SERVERS " == *" $1 "* ]]; }

# ---- prerequisites -------------------------------------------------------------------------
need=()
for t in redis-server redis-benchmark redis-cli; do command -v "$t" >/dev/null || need+=("$t"); done
if ((${#need[@]})) || ! command -v gnuplot >/dev/null; then
	if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
		log "installing redis-server redis-tools gnuplot-nox (missing: ${need[*]:-gnuplot})"
		apt-get install -y -q redis-server redis-tools gnuplot-nox >/dev/null 2>&1 ||
			{ apt-get update -q >/dev/null 2>&1 && apt-get install -y -q redis-server redis-tools gnuplot-nox >/dev/null 2>&1; } || true
	fi
fi
for t in redis-server redis-benchmark redis-cli go awk; do command -v "$t" >/dev/null || die "$t not found"; done
command -v gnuplot >/dev/null || log "gnuplot not found: no PNG chart"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/diskcached-bench.XXXXXX")
mkdir -p "$RESULTS" "$WORK/bin"
PIDS=()
cleanup() {
	local p
	touch "$WORK/ov.stop" 2>/dev/null || true # ends an overlay watcher's loop
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [[ ${KEEP:-0} == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "building into $WORK/bin"
(cd "$ROOT" && go build -o "$WORK/bin/noopserver" ./cmd/noopserver) || die "noopserver does not build"
REV="commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- 2>/dev/null || echo ' + local changes')"
[[ -n ${DISKCACHED_BIN:-} ]] && REV="prebuilt binary $DISKCACHED_BIN"
if has diskcached && [[ -n ${DISKCACHED_BIN:-} ]]; then
	cp "$DISKCACHED_BIN" "$WORK/bin/diskcached" || die "DISKCACHED_BIN=$DISKCACHED_BIN not found"
elif has diskcached; then
	(cd "$ROOT" && go build -o "$WORK/bin/diskcached" ./cmd/diskcached) || die "diskcached does not build (SERVERS='redis noop' benchmarks the others)"
fi
(cd "$ROOT" && go build -tags bench -o "$WORK/bin/report" ./tests/bench/report) || die "report tool does not build"

RAW=$RESULTS/$STAMP-raw.csv
RES=$RESULTS/$STAMP-resources.csv
echo "round,mode,server,test,pipeline,requests,rps,avg_ms,min_ms,p50_ms,p95_ms,p99_ms,max_ms,seconds,overlay_size,overlay_end,overlay_peak,overlay_written,flushed_bytes,flushes,flush_mbps,steady,wal_end" >"$RAW"
echo "mode,server,metric,value" >"$RES"
res() { echo "$1,$2,$3,$4" >>"$RES"; }

port_of() {
	case $1 in redis) echo "$BASE_PORT" ;; diskcached) echo $((BASE_PORT + 1)) ;; noop) echo $((BASE_PORT + 2)) ;; esac
}
for s in redis diskcached noop; do
	if has "$s" && redis-cli -p "$(port_of "$s")" ping >/dev/null 2>&1; then
		die "port $(port_of "$s") is in use; set BASE_PORT"
	fi
done

# ---- server control ------------------------------------------------------------------------
declare -A PID SAMPLER DIR
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# start SERVER MODE DIR: starts it in the background, sets PID[SERVER].
start() {
	local s=$1 mode=$2 dir=$3 port
	port=$(port_of "$s")
	mkdir -p "$dir"
	DIR[$s]=$dir
	case $s in
	redis)
		local persist=(--save "" --appendonly no)
		[[ $mode != none ]] && persist=(--save "" --appendonly yes --appendfsync "$mode")
		# shellcheck disable=SC2086 # REDIS_ARGS is a word list on purpose
		redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --protected-mode no \
			--daemonize no --logfile "$dir/redis.log" "${persist[@]}" $REDIS_ARGS &
		;;
	diskcached)
		local fsync=$mode
		[[ $mode == none ]] && fsync=no
		# shellcheck disable=SC2086 # DISKCACHED_ARGS is a word list on purpose
		"$WORK/bin/diskcached" --port "$port" --bind 127.0.0.1 --dir "$dir" \
			--appendfsync "$fsync" $DISKCACHED_ARGS >"$dir/diskcached.log" 2>&1 &
		;;
	noop)
		"$WORK/bin/noopserver" --port "$port" >"$dir/noop.log" 2>&1 &
		;;
	esac
	PID[$s]=$!
	PIDS+=("$!")
}

# wait_pong SERVER [timeout_s]: polls PING until +PONG; prints elapsed ms since call.
wait_pong() {
	local s=$1 limit=${2:-120} t0 out
	t0=$(now_ms)
	while :; do
		out=$(redis-cli -p "$(port_of "$s")" ping 2>/dev/null || true)
		[[ $out == PONG ]] && break
		kill -0 "${PID[$s]}" 2>/dev/null || die "$s exited during start (see ${DIR[$s]})"
		(($(now_ms) - t0 > limit * 1000)) && die "$s did not answer PING within ${limit}s"
		# 5 ms polls for the first second, then 20 ms (a polling redis-cli costs CPU a loading
		# server on 2 cores would miss)
		if (($(now_ms) - t0 < 1000)); then sleep 0.005; else sleep 0.02; fi
	done
	echo $(($(now_ms) - t0))
}

# stop SERVER: SIGTERM, wait; sets STOP_RC (exit code) and STOP_MS. Not in a subshell: it waits.
stop() {
	local s=$1 t0
	t0=$(now_ms)
	STOP_RC=0
	kill -TERM "${PID[$s]}" 2>/dev/null || true
	wait "${PID[$s]}" 2>/dev/null || STOP_RC=$?
	STOP_MS=$(($(now_ms) - t0))
}

# sampler SERVER OUTFILE: background loop recording peak RssAnon/RssFile (kB) of the server;
# sets SAMPLER[SERVER]. It ends by itself when the server exits.
sampler() {
	local s=$1 out=$2 pid=${PID[$1]}
	echo "0 0" >"$out"
	(
		anon=0 file=0
		while [[ -r /proc/$pid/status ]]; do
			while read -r k v _; do
				case $k in
				RssAnon:) ((v > anon)) && anon=$v ;;
				RssFile:) ((v > file)) && file=$v ;;
				esac
			done </proc/"$pid"/status 2>/dev/null || true
			echo "$anon $file" >"$out.tmp" && mv "$out.tmp" "$out"
			sleep 0.25
		done
	) &
	SAMPLER[$s]=$!
	PIDS+=("$!")
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# wait_idle SERVER...: waits (at most IDLE_MAX s) until each listed server uses < IDLE_CPU % of a
# core, so background work left by an earlier run (flushes, AOF rewrites) does not slow the next
# measurement, of the same server or another one.
wait_idle() {
	local s a b t0 deadline hz
	t0=$(now_ms)
	deadline=$((t0 + IDLE_MAX * 1000))
	hz=$(getconf CLK_TCK)
	for s in "$@"; do
		while :; do
			a=$(cpu_ticks "${PID[$s]}")
			sleep 0.2
			b=$(cpu_ticks "${PID[$s]}")
			(((b - a) * 500 < hz * IDLE_CPU)) && break # CPU % over 0.2 s = ticks * 500 / hz
			if (($(now_ms) > deadline)); then
				log "  $s still busy after $IDLE_MAX s; measuring anyway"
				break
			fi
		done
	done
	(($(now_ms) - t0 > 1000)) && log "  waited $(($(now_ms) - t0)) ms for ${*} to go idle"
	return 0
}

# preload SERVER N: loads key:000000000000 … with DATASIZE-byte values through redis-cli --pipe.
preload() {
	local s=$1 n=$2 t0 out
	t0=$(now_ms)
	out=$(awk -v n="$n" -v d="$DATASIZE" 'BEGIN {
		v = sprintf("%*s", d, ""); gsub(/ /, "x", v)
		for (i = 0; i < n; i++) printf "*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$%d\r\n%s\r\n", i, d, v
	}' | redis-cli -p "$(port_of "$s")" --pipe 2>&1) || {
		log "  redis-cli --pipe into $s failed ($out); falling back to redis-benchmark"
		redis-benchmark -p "$(port_of "$s")" -t set -n "$((n * 3))" -r "$n" -d "$DATASIZE" -P 64 -c 8 -q >/dev/null
	}
	echo $(($(now_ms) - t0))
}

# dc_info: prints diskcached's "overlay_bytes memtable_flushed_bytes memtable_flushes wal_bytes"
# (INFO diskcache; zeros when it does not answer).
dc_info() {
	redis-cli -p "$(port_of diskcached)" info diskcache 2>/dev/null | tr -d '\r' | awk -F: '
		$1 == "overlay_bytes" { o = $2 } $1 == "memtable_flushed_bytes" { f = $2 }
		$1 == "memtable_flushes" { c = $2 } $1 == "wal_bytes" { w = $2 }
		END { printf "%.0f %.0f %.0f %.0f\n", o, f, c, w }'
}

# overlay_size: diskcached's overlay-size in bytes (CONFIG GET; 32 MiB if it does not say).
overlay_size() {
	local v
	v=$(redis-cli -p "$(port_of diskcached)" config get overlay-size 2>/dev/null | tail -1)
	[[ $v =~ ^[0-9]+$ ]] && echo "$v" || echo 33554432
}

# ov_watch_start / ov_watch_stop: one redis-cli connection asks INFO diskcache every
# OVERLAY_SAMPLE s while a run lasts; stop prints the largest overlay_bytes seen.
ov_watch_start() {
	rm -f "$WORK/ov.stop"
	(while [[ -d $WORK && ! -e $WORK/ov.stop ]]; do
		echo "INFO diskcache"
		sleep "$OVERLAY_SAMPLE"
	done) | redis-cli -p "$(port_of diskcached)" 2>/dev/null |
		awk -F: '$1 == "overlay_bytes" { v = $2 + 0; if (v > m) m = v } END { print m + 0 }' >"$WORK/ov.peak" &
	OV_PID=$!
	PIDS+=("$!")
}
ov_watch_stop() {
	touch "$WORK/ov.stop"
	wait "$OV_PID" 2>/dev/null || true
	cat "$WORK/ov.peak" 2>/dev/null || echo 0
}

is_write() { [[ ",$WRITE_TESTS," == *",$1,"* ]]; }

# plan_n MODE ROUND TEST P: sets PLAN_N, the -n every server but noop runs for a write test in
# a measured round: enough requests that diskcached lasts WRITE_SECONDS and writes STEADY_FACTOR
# overlays (from BPR, its overlay bytes per request in the last run of the test, either pipeline
# depth), at most max(STEADY_MAX_SECONDS, WRITE_SECONDS) at its last rate. Empty (each server sizes its own run) for other tests and for the warm-up.
declare -A BPR
plan_n() {
	local mode=$1 round=$2 t=$3 p=$4
	PLAN_N=
	((round > 0)) && has diskcached && is_write "$t" || return 0
	[[ -n $N_P1 && $p == 1 ]] && return 0
	[[ -n $N_P16 && $p != 1 ]] && return 0
	PLAN_N=$(awk -v r="${RATE[diskcached/$mode/$t/$p]:-0}" -v s="$WRITE_SECONDS" -v b="${BPR[$mode/$t]:-0}" \
		-v o="${OVERLAY[$mode]:-33554432}" -v f="$STEADY_FACTOR" -v cap="$STEADY_MAX_SECONDS" \
		-v lo="$N_MIN" -v hi="$N_MAX" 'BEGIN {
		n = r * s
		# 25 % margin: bytes per request drift (SADD of a member already there writes nothing)
		if (b > 0 && 1.25 * f * o / b > n) n = 1.25 * f * o / b
		if (cap < s) cap = s
		if (r > 0 && n > r * cap) n = r * cap
		n = int(n); if (n < lo) n = lo; if (n > hi) n = hi; print n }')
}

# bench SERVER MODE ROUND TEST P: one redis-benchmark run, appended to $RAW. Round 0 is the
# warm-up; later rounds run PLAN_N requests (write tests) or size -n from the last rate seen
# (RATE) to last RUN_SECONDS. diskcached runs also record the overlay figures (see the header).
declare -A RATE OVERLAY
bench() {
	local s=$1 mode=$2 round=$3 t=$4 p=$5 n out row fixed t0 secs ov="" peak o0 f0 c0 o1 f1 c1 w1
	fixed=$N_P1
	((p > 1)) && fixed=$N_P16
	if ((round == 0)); then
		n=$WARM_P1
		((p > 1)) && n=$WARM_P16
	elif [[ -n $fixed ]]; then
		n=$fixed
	elif [[ -n $PLAN_N && $s != noop ]]; then
		n=$PLAN_N
	else
		n=$(awk -v r="${RATE[$s/$mode/$t/$p]:-0}" -v s="$RUN_SECONDS" -v lo="$N_MIN" -v hi="$N_MAX" \
			'BEGIN { n = int(r * s); if (n < lo) n = lo; if (n > hi) n = hi; print n }')
	fi
	if [[ $s == diskcached ]]; then
		read -r o0 f0 c0 _ <<<"$(dc_info)"
		ov_watch_start
	fi
	t0=$(now_ms)
	out=$(redis-benchmark -p "$(port_of "$s")" -c "$CLIENTS" -n "$n" -d "$DATASIZE" -r "$KEYSPACE" \
		-t "$t" -P "$p" --csv 2>&1) || out="error: $out"
	secs=$(awk -v ms=$(($(now_ms) - t0)) 'BEGIN { printf "%.2f", ms / 1000 }')
	if [[ $s == diskcached ]]; then
		peak=$(ov_watch_stop)
		read -r o1 f1 c1 w1 <<<"$(dc_info)"
		# overlay_size,overlay_end,overlay_peak,overlay_written,flushed_bytes,flushes,flush_mbps,steady,wal_end
		ov=$(awk -v sz="${OVERLAY[$mode]}" -v o0="$o0" -v f0="$f0" -v c0="$c0" -v o1="$o1" -v f1="$f1" \
			-v c1="$c1" -v w1="$w1" -v pk="$peak" -v secs="$secs" -v k="$STEADY_FACTOR" 'BEGIN {
			wr = (f1 + o1) - (f0 + o0); if (wr < 0) wr = 0
			if (o0 > pk) pk = o0; if (o1 > pk) pk = o1
			printf "%.0f,%.0f,%.0f,%.0f,%.0f,%.0f,%.2f,%d,%.0f", sz, o1, pk, wr, f1 - f0, c1 - c0,
				(secs > 0 ? (f1 - f0) / secs / 1048576 : 0), (wr >= k * sz), w1 }')
		IFS=, read -r _ _ _ written _ <<<"$ov"
		((written > 0)) && BPR[$mode/$t]=$(awk -v w="$written" -v n="$n" 'BEGIN { printf "%.1f", w / n }')
	fi
	if [[ $out == error:* ]]; then
		log "  $s $t P$p failed: $(echo "$out" | grep -v '^"' | tail -1)"
		echo "$round,$mode,$s,$t,$p,$n,error,,,,,,,$secs,$ov" >>"$RAW"
		return
	fi
	row=$(echo "$out" | grep -v '^"test"' | grep '^"' | tail -1 | tr -d '"')
	[[ -z $row ]] && {
		log "  $s $t P$p: no CSV row in output"
		return
	}
	# row: name,rps,avg,min,p50,p95,p99,max; the name may contain a space and parentheses.
	IFS=, read -r _ rps avg min p50 p95 p99 max <<<"$row"
	RATE[$s/$mode/$t/$p]=$rps
	echo "$round,$mode,$s,$t,$p,$n,$rps,$avg,$min,$p50,$p95,$p99,$max,$secs,$ov" >>"$RAW"
	local extra=""
	if [[ -n $ov ]]; then
		extra=$(awk -F, '{ printf "  overlay end/peak %.1f/%.1f MB, wrote %.1f× overlay, flushed %.0f MB %.1f MB/s%s",
			$2 / 1048576, $3 / 1048576, ($1 > 0 ? $4 / $1 : 0), $5 / 1048576, $7, ($8 == 1 ? "" : " (not steady)") }' <<<"$ov")
	fi
	printf '  %s r%d %-9s %-10s %-11s P%-2s n=%-8s %10s rps  p50 %6s ms  p99 %6s ms%s\n' \
		"$(date +%T)" "$round" "$mode" "$s" "$t" "$p" "$n" "$rps" "$p50" "$p99" "$extra" >&2
}

# ---- measured rounds -----------------------------------------------------------------------
T_START=$(now_ms)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
if [[ $STARTUP_ONLY == 1 ]]; then
	log "results: $RESULTS/$STAMP-*; start-to-PONG only, $STARTUP_KEYS keys, $STARTUP_RUNS restarts per case"
	MODES=""
else
	log "results: $RESULTS/$STAMP-*; rounds=$ROUNDS run=${RUN_SECONDS}s steady=${STEADY_FACTOR}x overlay preload=$PRELOAD_KEYS tests=$TESTS servers=$SERVERS"
fi
first_mode=1
for mode in $MODES; do
	servers=()
	for s in redis diskcached noop; do
		has "$s" || continue
		[[ $s == noop && $first_mode == 0 ]] && continue
		servers+=("$s")
	done
	log "mode $mode: starting ${servers[*]}"
	for s in "${servers[@]}"; do
		start "$s" "$mode" "$WORK/$mode/$s"
		sampler "$s" "$WORK/$mode/$s.rss"
	done
	for s in "${servers[@]}"; do
		ms=$(wait_pong "$s")
		res "$mode" "$s" start_empty_ms "$ms"
		[[ $s == diskcached ]] && OVERLAY[$mode]=$(overlay_size)
		if [[ $s != noop ]]; then
			ms=$(preload "$s" "$PRELOAD_KEYS")
			res "$mode" "$s" preload_ms "$ms"
			log "  $s: $PRELOAD_KEYS keys loaded in $ms ms ($(redis-cli -p "$(port_of "$s")" dbsize 2>/dev/null || echo '?') keys)"
		fi
	done
	IFS=, read -ra tests <<<"$TESTS"
	for ((r = 0; r <= ROUNDS; r++)); do # round 0: warm-up, not counted
		# rotate the start order each round
		order=("${servers[@]:$((r % ${#servers[@]}))}" "${servers[@]:0:$((r % ${#servers[@]}))}")
		for t in "${tests[@]}"; do
			for p in $PIPELINES; do
				plan_n "$mode" "$r" "$t" "$p"
				for s in "${order[@]}"; do
					# Every server idle first, the measured one included: diskcached
					# may still be flushing what the previous test wrote, work that
					# belongs to that test (whose own runs are held to a steady state
					# of several overlay flushes) and not to this one.
					wait_idle "${servers[@]}"
					bench "$s" "$mode" "$r" "$t" "$p"
				done
			done
		done
	done
	for s in "${servers[@]}"; do
		if [[ $s == diskcached ]]; then
			redis-cli -p "$(port_of "$s")" info >"$RESULTS/$STAMP-$mode-diskcached-info.txt" 2>&1 || true
		fi
		[[ $s != noop ]] && res "$mode" "$s" keys "$(redis-cli -p "$(port_of "$s")" dbsize 2>/dev/null || echo 0)"
		stop "$s"
		res "$mode" "$s" exit_code "$STOP_RC"
		res "$mode" "$s" shutdown_ms "$STOP_MS"
		[[ $STOP_RC != 0 ]] && log "  $s exited with $STOP_RC on SIGTERM"
		wait "${SAMPLER[$s]}" 2>/dev/null || true
		read -r anon file <"$WORK/$mode/$s.rss" || anon=0 file=0
		res "$mode" "$s" rss_anon_peak_kb "$anon"
		res "$mode" "$s" rss_file_peak_kb "$file"
		res "$mode" "$s" disk_bytes "$(du -sb "$WORK/$mode/$s" | cut -f1)"
	done
	first_mode=0
done
[[ $STARTUP_ONLY == 1 ]] || res all all bench_seconds $((($(now_ms) - T_START) / 1000))

# ---- start to first PONG on a store holding STARTUP_KEYS keys ------------------------------
# Each store is loaded once through redis-cli --pipe (what clients would send; appendfsync no
# during the load, its speed is not the figure), shut down cleanly, then restarted STARTUP_RUNS
# times at everysec; the median start → first PONG is reported per case:
#   diskcached          clean shutdown (overlay flushed to bbolt, log empty)
#   diskcached-crash    SIGKILL once the overlay holds ~85 % of overlay-size (or the log segment
#                       reaches overlay-size): log replay on start
#   redis-aof           the AOF as the load wrote it (a log of SET commands; auto-rewrite off)
#   redis-aof-preamble  after BGREWRITEAOF: an RDB base file, Redis's fastest AOF load
#   redis-rdb           appendonly no, dump.rdb written by SAVE
# Redis's own "DB loaded from …: X seconds" log figure is kept beside it.

median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# restarts SERVER MODE DIR CASE [LOGPATTERN]: STARTUP_RUNS clean restarts; records the case.
restarts() {
	local s=$1 mode=$2 dir=$3 case=$4 pat=${5:-} i ms runs="" loads="" anon=0 file=0 a f l
	for ((i = 0; i < STARTUP_RUNS; i++)); do
		start "$s" "$mode" "$dir"
		sampler "$s" "$dir.rss"
		ms=$(wait_pong "$s" 1200)
		runs+="$ms "
		if [[ -n $pat ]]; then
			l=$(grep -o "$pat: [0-9.]* seconds" "$dir/redis.log" | tail -1 | awk '{ printf "%d", $(NF-1) * 1000 }')
			loads+="$l "
		fi
		stop "$s"
		wait "${SAMPLER[$s]}" 2>/dev/null || true
		read -r a f <"$dir.rss" || a=0 f=0
		((a > anon)) && anon=$a
		((f > file)) && file=$f
	done
	res startup "$case" first_pong_ms "$(median <<<"$runs")"
	res startup "$case" first_pong_runs_ms "${runs% }"
	[[ -n $loads ]] && res startup "$case" load_log_ms "$(median <<<"$loads")"
	res startup "$case" rss_anon_peak_kb "$anon"
	res startup "$case" rss_file_peak_kb "$file"
	log "  $case: first PONG after $(median <<<"$runs") ms (runs: ${runs% } ms)${loads:+; its log: ${loads% } ms}"
}

# load_store SERVER MODE DIR CASE: starts an empty server, loads STARTUP_KEYS keys, stops it.
load_store() {
	local s=$1 mode=$2 dir=$3 case=$4 ms keys
	start "$s" "$mode" "$dir"
	wait_pong "$s" >/dev/null
	ms=$(preload "$s" "$STARTUP_KEYS")
	keys=$(redis-cli -p "$(port_of "$s")" dbsize 2>/dev/null || echo '?')
	log "  $s: $STARTUP_KEYS keys loaded in $ms ms ($keys keys)"
	res startup "$case" load_ms "$ms"
	res startup "$case" keys "$keys"
	stop "$s"
	res startup "$case" shutdown_ms "$STOP_MS"
}

# crash_restarts DIR: STARTUP_RUNS times: start, overwrite keys until the overlay holds ~85 % of
# overlay-size or the log segment reaches overlay-size (rewrites of the same keys grow the log,
# not the memtable), SIGKILL, time the next start (log replay).
crash_restarts() {
	local dir=$1 i j size o w ms runs="" wal=0 ov=0
	for ((i = 0; i < STARTUP_RUNS; i++)); do
		start diskcached everysec "$dir"
		wait_pong diskcached >/dev/null
		size=$(overlay_size)
		for ((j = 0; j < 400; j++)); do
			redis-benchmark -p "$(port_of diskcached)" -t set -n 2000 -r "$STARTUP_KEYS" -d "$DATASIZE" \
				-P 16 -c 4 -q >/dev/null 2>&1
			read -r o _ _ w <<<"$(dc_info)"
			((o * 100 >= size * 85 || w >= size)) && break
		done
		wal=$w ov=$o
		kill -KILL "${PID[diskcached]}"
		wait "${PID[diskcached]}" 2>/dev/null || true
		start diskcached everysec "$dir"
		ms=$(wait_pong diskcached 1200)
		runs+="$ms "
		stop diskcached
	done
	res startup diskcached-crash keys "$(res_get startup diskcached keys)"
	res startup diskcached-crash first_pong_ms "$(median <<<"$runs")"
	res startup diskcached-crash first_pong_runs_ms "${runs% }"
	res startup diskcached-crash wal_bytes_at_kill "$wal"
	res startup diskcached-crash overlay_bytes_at_kill "$ov"
	res startup diskcached-crash disk_bytes "$(du -sb "$dir" | cut -f1)"
	log "  diskcached after SIGKILL (overlay $ov B, log segment $wal B): first PONG after $(median <<<"$runs") ms (runs: ${runs% } ms)"
}

res_get() { awk -F, -v m="$1" -v s="$2" -v k="$3" '$1 == m && $2 == s && $3 == k { v = $4 } END { print v }' "$RES"; }

if [[ ${SKIP_STARTUP:-0} != 1 ]]; then
	log "startup: $STARTUP_KEYS keys, $STARTUP_RUNS restarts per case ($(df -h --output=avail "$WORK" | tail -1 | tr -d ' ') free in $WORK)"
	res startup all load_average_start "$(cut -d' ' -f1-3 /proc/loadavg)"
	if has diskcached; then
		dir=$WORK/startup/diskcached
		load_store diskcached no "$dir" diskcached
		res startup diskcached disk_bytes "$(du -sb "$dir" | cut -f1)"
		restarts diskcached everysec "$dir" diskcached
		[[ $STARTUP_CRASH == 1 ]] && crash_restarts "$dir"
		rm -rf "$dir"
	fi
	if has redis; then
		dir=$WORK/startup/redis
		REDIS_ARGS="--auto-aof-rewrite-percentage 0" # keep the load's AOF a pure command log
		load_store redis no "$dir" redis-aof
		res startup redis-aof disk_bytes "$(du -sb "$dir/appendonlydir" | cut -f1)"
		restarts redis everysec "$dir" redis-aof "DB loaded from append only file"
		start redis everysec "$dir"
		wait_pong redis 1200 >/dev/null
		redis-cli -p "$(port_of redis)" bgrewriteaof >/dev/null
		sleep 0.5
		while redis-cli -p "$(port_of redis)" info persistence | grep -q 'aof_rewrite_in_progress:1'; do sleep 0.2; done
		redis-cli -p "$(port_of redis)" save >/dev/null # dump.rdb for the RDB case
		stop redis
		for c in redis-aof-preamble redis-rdb; do res startup "$c" keys "$(res_get startup redis-aof keys)"; done
		res startup redis-aof-preamble disk_bytes "$(du -sb "$dir/appendonlydir" | cut -f1)"
		res startup redis-rdb disk_bytes "$(stat -c %s "$dir/dump.rdb")"
		restarts redis everysec "$dir" redis-aof-preamble "DB loaded from append only file"
		restarts redis none "$dir" redis-rdb "DB loaded from disk"
		REDIS_ARGS=""
		rm -rf "$dir"
	fi
	res startup all load_average_end "$(cut -d' ' -f1-3 /proc/loadavg)"
fi

# ---- report --------------------------------------------------------------------------------
args=(-raw "$RAW" -resources "$RES" -out "$RESULTS/$STAMP"
	-steady "$STEADY_FACTOR" -write-tests "$WRITE_TESTS"
	-note "$ROUNDS rounds of ${N_P1:+fixed n }${N_P1:-~${RUN_SECONDS} s} per measurement after a warm-up (write tests: at least $STEADY_FACTOR × diskcached's overlay written per run, at most ~$STEADY_MAX_SECONDS s), -c $CLIENTS -d $DATASIZE -r $KEYSPACE, preload $PRELOAD_KEYS keys, $(nproc) cores, load average $LOAD_START at start and $(cut -d' ' -f1-3 /proc/loadavg) at end, redis-server $(redis-server --version | awk '{print $3}' | tr -d 'v='), diskcached $REV")
[[ $STARTUP_ONLY == 1 ]] && args=(-raw "$RAW" -resources "$RES" -out "$RESULTS/$STAMP"
	-note "start to first PONG only, $STARTUP_KEYS keys, $STARTUP_RUNS restarts per case, $(nproc) cores, load average $LOAD_START at start and $(cut -d' ' -f1-3 /proc/loadavg) at end, redis-server $(redis-server --version | awk '{print $3}' | tr -d 'v='), diskcached $REV")
[[ $UPDATE_DOCS == 1 ]] && args+=(-docs "$ROOT/docs/performance.md")
"$WORK/bin/report" "${args[@]}"
if command -v gnuplot >/dev/null && [[ -f $RESULTS/$STAMP.gnuplot ]]; then
	gnuplot "$RESULTS/$STAMP.gnuplot" && log "chart: $RESULTS/$STAMP.png"
fi
cp "$RESULTS/$STAMP.md" "$RESULTS/latest.md"
log "done in $((($(now_ms) - T_START) / 1000)) s; raw: $RAW"

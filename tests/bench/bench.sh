#!/usr/bin/env bash
# tests/bench/bench.sh: diskcached side by side with redis-server and a do-nothing redcon server.
#
#   tests/bench/bench.sh              # full run (3 rounds, 1 M keys; about 15 min on 2 cores)
#   QUICK=1 tests/bench/bench.sh      # smoke run (1 round, small counts; about 1 min)
#
# For each durability mode it starts redis-server and diskcached at matching durability
#   none      redis: no RDB, no AOF              diskcached: --appendfsync no
#   everysec  redis: appendonly, fsync everysec  diskcached: --appendfsync everysec
#   always    redis: appendonly, fsync always    diskcached: --appendfsync always
# plus cmd/noopserver (PING→PONG, SET→OK, GET→100 bytes: the protocol ceiling of our stack),
# on spare 127.0.0.1 ports with temporary data dirs. It pre-loads PRELOAD_KEYS keys of 100 bytes
# (key:000000000000 …, the names redis-benchmark -r uses), then runs redis-benchmark -c 50 -d 100
# -r 1000000 for each test and pipeline depth, the servers taking turns test by test in ROUNDS
# rounds (start order rotates each round; before each measurement it waits until the other
# servers are idle). It prints, per test, each server's median requests/s and p50/p99 latency and
# the ratios diskcached÷redis and diskcached÷noop, then peak RSS (anonymous and file-backed, from
# /proc/PID/status), data-dir bytes, and time from process start to first PONG on a store holding
# STARTUP_KEYS keys beside Redis's AOF load time.
#
# Output: tests/bench/results/<stamp>-{raw,summary,resources}.csv, <stamp>.md, <stamp>.png
# (gnuplot), and, for non-QUICK runs, the table in docs/performance.md between the
# "bench:begin"/"bench:end" markers. Needs redis-server, redis-benchmark, redis-cli (Debian:
# apt-get install -y redis-server redis-tools gnuplot-nox; the script offers to do it when root).
#
# Environment (defaults in brackets):
#   ROUNDS [3; QUICK 1]     rounds of alternating measurements; medians are taken over rounds
#   RUN_SECONDS [2; QUICK 0.3]  target length of one measurement: each server/test/pipeline first
#                           runs a warm-up (WARM_P1 [20000] / WARM_P16 [100000] requests, not
#                           counted), then -n is sized from its last rate to last about this long
#                           (bounded by N_MIN [5000] and N_MAX [3000000]). RUN_SECONDS=15 gives
#                           the issue's steady-state runs (ROUNDS x 15 s of each write test).
#   N_P1, N_P16             fixed request counts instead (no sizing)
#   PRELOAD_KEYS [1000000]  keys loaded before measuring (QUICK: 20000)
#   STARTUP_KEYS [1000000]  keys on disk for the start-to-PONG test (the issue asks 10000000)
#   KEYSPACE [1000000]      redis-benchmark -r
#   MODES ["none everysec always"]   PIPELINES ["1 16"]   CLIENTS [50]   DATASIZE [100]
#   TESTS ["get,set,incr,mset,ping_mbulk"]; EXTRA=1 adds lpush,rpop,hset,sadd,zadd,lrange_100
#   SERVERS ["redis diskcached noop"]  (noop is measured in the first mode only: it stores nothing)
#   DISKCACHED_ARGS [""]    extra arguments for diskcached, e.g. "--loglevel warning"
#   DISKCACHED_BIN [""]     a prebuilt diskcached binary instead of building ./cmd/diskcached
#   BASE_PORT [16400]       redis, diskcached, noop use BASE_PORT, +1, +2
#   IDLE_CPU [10] IDLE_MAX [5]  before each run, wait up to IDLE_MAX s for the other servers to
#                           use < IDLE_CPU % of a core
#   UPDATE_DOCS [1; QUICK 0]  write the table into docs/performance.md
#   KEEP=1                  keep the temporary work dir (data dirs, logs)
#   SKIP_STARTUP=1          skip the start-to-PONG test
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
QUICK=${QUICK:-0}
if [[ $QUICK == 1 ]]; then
	ROUNDS=${ROUNDS:-1} RUN_SECONDS=${RUN_SECONDS:-0.3} WARM_P1=${WARM_P1:-2000} WARM_P16=${WARM_P16:-10000}
	PRELOAD_KEYS=${PRELOAD_KEYS:-20000} STARTUP_KEYS=${STARTUP_KEYS:-20000} UPDATE_DOCS=${UPDATE_DOCS:-0}
fi
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
BASE_PORT=${BASE_PORT:-16400}
IDLE_MAX=${IDLE_MAX:-5}
IDLE_CPU=${IDLE_CPU:-10}
UPDATE_DOCS=${UPDATE_DOCS:-1}
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
echo "round,mode,server,test,pipeline,requests,rps,avg_ms,min_ms,p50_ms,p95_ms,p99_ms,max_ms" >"$RAW"
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
		redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --protected-mode no \
			--daemonize no --logfile "$dir/redis.log" "${persist[@]}" &
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
		sleep 0.005
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
# core, so one server's background work (flushes, AOF rewrites) does not slow another's figures.
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

# bench SERVER MODE ROUND TEST P: one redis-benchmark run, appended to $RAW. Round 0 is the
# warm-up; later rounds size -n from the last rate seen (RATE) to last RUN_SECONDS.
declare -A RATE
bench() {
	local s=$1 mode=$2 round=$3 t=$4 p=$5 n out row fixed
	fixed=$N_P1
	((p > 1)) && fixed=$N_P16
	if ((round == 0)); then
		n=$WARM_P1
		((p > 1)) && n=$WARM_P16
	elif [[ -n $fixed ]]; then
		n=$fixed
	else
		n=$(awk -v r="${RATE[$s/$mode/$t/$p]:-0}" -v s="$RUN_SECONDS" -v lo="$N_MIN" -v hi="$N_MAX" \
			'BEGIN { n = int(r * s); if (n < lo) n = lo; if (n > hi) n = hi; print n }')
	fi
	if ! out=$(redis-benchmark -p "$(port_of "$s")" -c "$CLIENTS" -n "$n" -d "$DATASIZE" -r "$KEYSPACE" \
		-t "$t" -P "$p" --csv 2>&1); then
		log "  $s $t P$p failed: $(echo "$out" | grep -v '^"' | tail -1)"
		echo "$round,$mode,$s,$t,$p,$n,error,,,,,," >>"$RAW"
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
	echo "$round,$mode,$s,$t,$p,$n,$rps,$avg,$min,$p50,$p95,$p99,$max" >>"$RAW"
	printf '  %s r%d %-9s %-10s %-11s P%-2s n=%-8s %10s rps  p50 %6s ms  p99 %6s ms\n' \
		"$(date +%T)" "$round" "$mode" "$s" "$t" "$p" "$n" "$rps" "$p50" "$p99" >&2
}

# ---- measured rounds -----------------------------------------------------------------------
log "results: $RESULTS/$STAMP-*; rounds=$ROUNDS run=${RUN_SECONDS}s preload=$PRELOAD_KEYS tests=$TESTS servers=$SERVERS"
T_START=$(now_ms)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
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
				for s in "${order[@]}"; do
					others=()
					for o in "${servers[@]}"; do [[ $o != "$s" ]] && others+=("$o"); done
					wait_idle "${others[@]}"
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
res all all bench_seconds $((($(now_ms) - T_START) / 1000))

# ---- start to first PONG on a store holding STARTUP_KEYS keys ------------------------------
if [[ ${SKIP_STARTUP:-0} != 1 ]]; then
	log "startup: $STARTUP_KEYS keys, appendfsync everysec"
	for s in redis diskcached; do
		has "$s" || continue
		dir=$WORK/startup/$s
		start "$s" everysec "$dir"
		wait_pong "$s" >/dev/null
		ms=$(preload "$s" "$STARTUP_KEYS")
		log "  $s: $STARTUP_KEYS keys loaded in $ms ms"
		if [[ $s == redis ]]; then
			# Best case for Redis: rewrite the AOF so its base is an RDB preamble.
			redis-cli -p "$(port_of redis)" bgrewriteaof >/dev/null
			sleep 0.5
			while redis-cli -p "$(port_of redis)" info persistence | grep -q 'aof_rewrite_in_progress:1'; do sleep 0.2; done
		fi
		stop "$s"
		res startup "$s" keys "$STARTUP_KEYS"
		res startup "$s" disk_bytes "$(du -sb "$dir" | cut -f1)"
		start "$s" everysec "$dir"
		sampler "$s" "$dir.rss"
		ms=$(wait_pong "$s" 600)
		res startup "$s" first_pong_ms "$ms"
		log "  $s: first PONG after $ms ms"
		if [[ $s == redis ]]; then
			load=$(grep -o 'DB loaded from append only file: [0-9.]* seconds' "$dir/redis.log" | tail -1 | awk '{print $(NF-1)}')
			[[ -n $load ]] && res startup redis aof_load_ms "$(awk -v s="$load" 'BEGIN{printf "%d", s*1000}')"
		fi
		sleep 1
		stop "$s"
		wait "${SAMPLER[$s]}" 2>/dev/null || true
		read -r anon file <"$dir.rss" || anon=0 file=0
		res startup "$s" rss_anon_peak_kb "$anon"
		res startup "$s" rss_file_peak_kb "$file"
	done
fi

# ---- report --------------------------------------------------------------------------------
args=(-raw "$RAW" -resources "$RES" -out "$RESULTS/$STAMP"
	-note "$ROUNDS rounds of ${N_P1:+fixed n }${N_P1:-~${RUN_SECONDS} s} per measurement after a warm-up, -c $CLIENTS -d $DATASIZE -r $KEYSPACE, preload $PRELOAD_KEYS keys, $(nproc) cores, load average $LOAD_START at start and $(cut -d' ' -f1-3 /proc/loadavg) at end, redis-server $(redis-server --version | awk '{print $3}' | tr -d 'v='), diskcached $REV")
[[ $UPDATE_DOCS == 1 ]] && args+=(-docs "$ROOT/docs/performance.md")
"$WORK/bin/report" "${args[@]}"
if command -v gnuplot >/dev/null && [[ -f $RESULTS/$STAMP.gnuplot ]]; then
	gnuplot "$RESULTS/$STAMP.gnuplot" && log "chart: $RESULTS/$STAMP.png"
fi
cp "$RESULTS/$STAMP.md" "$RESULTS/latest.md"
log "done in $((($(now_ms) - T_START) / 1000)) s; raw: $RAW"

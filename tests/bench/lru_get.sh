#!/usr/bin/env bash
# tests/bench/lru_get.sh: GET throughput of diskcached under allkeys-lru (and
# allkeys-lfu) against the same build under noeviction — the eviction issue's
# "GET under allkeys-lru ≥ 0.9× noeviction". Reads are what LRU/LFU record,
# so this measures the touch buffer's cost on the read path and in the
# background.
#
#   tests/bench/lru_get.sh          # KEYS=200000 ROUNDS=3 POLICIES="noeviction allkeys-lru allkeys-lfu"
#
# Each policy gets its own server (127.0.0.1, BASE_PORT+i, temporary data
# dir, appendfsync everysec, no maxmemory so nothing is evicted and only
# the recording costs), KEYS keys of 100 bytes are loaded, and
# redis-benchmark -t get -r KEYS -d 100 -c 50 runs at P1 and P16 for each
# server in turn, ROUNDS times (start order rotating). It prints the median
# requests/s per policy and pipeline and the ratio to noeviction.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KEYS=${KEYS:-200000}
ROUNDS=${ROUNDS:-3}
N_P1=${N_P1:-200000}
N_P16=${N_P16:-2000000}
POLICIES=${POLICIES:-noeviction allkeys-lru allkeys-lfu}
BASE_PORT=${BASE_PORT:-16500}
WORK=$(mktemp -d)
BIN=$WORK/diskcached
trap 'for p in $(jobs -p); do kill $p 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$WORK"' EXIT
(cd "$ROOT" && go build -o "$BIN" ./cmd/diskcached)

i=0
declare -A PORT
for pol in $POLICIES; do
	port=$((BASE_PORT + i)); i=$((i + 1)); PORT[$pol]=$port
	mkdir -p "$WORK/$pol"
	"$BIN" --port "$port" --dir "$WORK/$pol" --maxmemory-policy "$pol" --loglevel warning >"$WORK/$pol.log" 2>&1 &
done
for pol in $POLICIES; do
	for _ in $(seq 100); do redis-cli -p "${PORT[$pol]}" ping >/dev/null 2>&1 && break; sleep 0.1; done
	redis-benchmark -p "${PORT[$pol]}" -t set -r "$KEYS" -n $((KEYS * 3)) -d 100 -c 50 -P 16 -q >/dev/null
	echo "$pol: $(redis-cli -p "${PORT[$pol]}" dbsize) keys loaded" >&2
done

declare -A RES
pols=($POLICIES)
for r in $(seq "$ROUNDS"); do
	for p in 1 16; do
		n=$N_P1; [[ $p == 16 ]] && n=$N_P16
		for j in "${!pols[@]}"; do
			pol=${pols[$(((j + r) % ${#pols[@]}))]}
			rps=$(redis-benchmark -p "${PORT[$pol]}" -t get -r "$KEYS" -n "$n" -d 100 -c 50 -P "$p" --csv | awk -F'"' '/GET/ {print $4}')
			RES[$pol,$p]="${RES[$pol,$p]:-} $rps"
			echo "round $r P$p $pol $rps" >&2
		done
	done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
printf '| policy | P1 req/s | ratio | P16 req/s | ratio |\n|---|---|---|---|---|\n'
for p in 1 16; do base[$p]=$(echo "${RES[noeviction,$p]:-}" | median); done
for pol in $POLICIES; do
	m1=$(echo "${RES[$pol,1]}" | median); m16=$(echo "${RES[$pol,16]}" | median)
	printf '| %s | %.0f | %.2f | %.0f | %.2f |\n' "$pol" "$m1" "$(echo "$m1 / ${base[1]}" | bc -l)" "$m16" "$(echo "$m16 / ${base[16]}" | bc -l)"
done

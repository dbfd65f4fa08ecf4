#!/usr/bin/env bash
# tests/redis-tcl/run.sh [UNIT...]
#
# Runs units of Redis's own TCL test suite (tag 7.0.15, external-server mode)
# against a freshly built diskcached and prints, per unit, our pass count next
# to the baseline (tests that ran on real Redis 7.0.15). Not part of go test.
#
# It fetches nothing: point REDIS_SRC at an unpacked redis 7.0.15 tree
# (git --git-dir=<redis mirror> archive 7.0.15 | tar -x -C /tmp/redis-7.0.15).
# Needs tclsh 8.5+ (apt-get install -y tcl).
#
# Environment:
#   REDIS_SRC   (required) redis 7.0.15 source tree with runtest and tests/
#   PORT        port for diskcached (default: a free port picked at random)
#   TOOLS       directory holding redis-tcl.sh and redis-tcl.baseline
#               (default: ../shared/tools relative to the repository)
#   PROFILE     passed through to redis-tcl.sh (default cache)
#   KEEP_DATA   1 = keep the temporary data directory and server log
#   VERBOSE     1 = list failed tests per unit (passed through)
# Arguments: units (default: the string/key units of issue 3).
set -u

REPO=$(cd "$(dirname "$0")/../.." && pwd)
: "${REDIS_SRC:?set REDIS_SRC to an unpacked redis 7.0.15 source tree}"
TOOLS=${TOOLS:-$REPO/../shared/tools}
[ -x "$TOOLS/redis-tcl.sh" ] || [ -f "$TOOLS/redis-tcl.sh" ] || { echo "no redis-tcl.sh in $TOOLS (set TOOLS)" >&2; exit 2; }
BASELINE=${BASELINE:-$TOOLS/redis-tcl.baseline}
PROFILE=${PROFILE:-cache}
export PROFILE VERBOSE="${VERBOSE:-0}" BASELINE

UNITS="$*"
[ -n "$UNITS" ] || UNITS="unit/type/string unit/type/incr unit/expire unit/keyspace unit/info-command unit/quit unit/auth unit/bitops unit/bitfield"

pick_port() {
  local p
  for _ in $(seq 1 50); do
    p=$(( 20000 + RANDOM % 20000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}
PORT=${PORT:-$(pick_port)} || { echo "no free port found" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dc-tcl.XXXXXX")
BIN=$WORK/diskcached
PID=""
cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID"
    for _ in $(seq 1 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$PID" 2>/dev/null && kill -KILL "$PID"
  fi
  if [ "${KEEP_DATA:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "building diskcached..."
( cd "$REPO" && go build -o "$BIN" ./cmd/diskcached ) || { echo "build failed" >&2; exit 1; }

"$BIN" --port "$PORT" --bind 127.0.0.1 --dir "$WORK/data" >"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  kill -0 "$PID" 2>/dev/null || { echo "diskcached exited:" >&2; cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.1
done
echo "diskcached pid $PID on 127.0.0.1:$PORT, data in $WORK/data"

OUT=$WORK/results.txt
UNITS="$UNITS" bash "$TOOLS/redis-tcl.sh" 127.0.0.1 "$PORT" | tee "$OUT"
rc=${PIPESTATUS[0]}

# Per-unit summary: ours vs baseline, and the share of the baseline we pass.
echo
printf '%-28s %6s %8s %6s\n' unit passed baseline pct
awk -v key="$PROFILE" -v base="$BASELINE" '
  BEGIN { while ((getline l < base) > 0) { split(l, f, " "); if (f[1] == key) bl[f[2]] = f[3] } }
  /^unit\// && NF >= 7 {
    b = ($1 in bl) ? bl[$1] : "?"
    pct = (b != "?" && b > 0) ? sprintf("%5.1f%%", 100 * $2 / b) : "  n/a"
    printf "%-28s %6d %8s %6s\n", $1, $2, b, pct
    if (b != "?") { tp += $2; tb += b }
  }
  END { if (tb > 0) printf "%-28s %6d %8d %5.1f%%\n", "total", tp, tb, 100 * tp / tb }
' "$OUT"
exit "$rc"

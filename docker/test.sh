#!/usr/bin/env bash
# docker/test.sh: builds the image, runs it, checks health, writes with redis-cli, restarts the
# container and reads back, checks protected mode, stops it and checks the exit was graceful.
#
#   docker/test.sh                    # TARGET=auto: registry build, else the hostbin target
#   TARGET=hostbin docker/test.sh     # pack a binary built here into scratch (no registry needed)
#
# Where no Docker engine answers, it prints why it skipped and exits 0.
# Environment: TARGET [auto|image|hostbin], IMAGE [diskcached:test], PORT [16379], KEEP_IMAGE=1.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET=${TARGET:-auto}
IMAGE=${IMAGE:-diskcached:test}
PORT=${PORT:-16379}
NAME=diskcached-test-$$
VOLUME=diskcached-test-$$
PASSWORD=test-$$-$RANDOM

log() { printf '[docker/test] %s\n' "$*" >&2; }
fail() {
	log "FAIL: $*"
	docker logs --tail 50 "$NAME" 2>&1 | sed 's/^/    /' >&2 || true
	exit 1
}

if ! command -v docker >/dev/null 2>&1; then
	log "SKIP: no docker command on this machine; nothing tested"
	exit 0
fi
if ! docker info >/dev/null 2>&1; then
	log "SKIP: the docker client cannot reach an engine ($(docker info 2>&1 | grep -m1 -i 'cannot\|error' || true)); nothing tested"
	exit 0
fi
if ! command -v redis-cli >/dev/null 2>&1; then
	if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then apt-get install -y -q redis-tools >/dev/null 2>&1 || true; fi
	command -v redis-cli >/dev/null 2>&1 || {
		log "SKIP: redis-cli not found (apt-get install redis-tools)"
		exit 0
	}
fi

cleanup() {
	docker rm -f "$NAME" "$NAME-open" >/dev/null 2>&1 || true
	docker volume rm -f "$VOLUME" >/dev/null 2>&1 || true
	rm -f "$ROOT/docker/diskcached"
	[[ ${KEEP_IMAGE:-0} == 1 ]] || docker image rm -f "$IMAGE" >/dev/null 2>&1 || true
}
trap cleanup EXIT

version=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo dev)
build_hostbin() {
	log "building the binary on the host and the hostbin target"
	(cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "-s -w -X main.version=$version" \
		-o docker/diskcached ./cmd/diskcached)
	docker build -q -f "$ROOT/docker/Dockerfile" --target hostbin --build-arg VERSION="$version" -t "$IMAGE" "$ROOT" >/dev/null
}
case $TARGET in
image) docker build -f "$ROOT/docker/Dockerfile" --build-arg VERSION="$version" -t "$IMAGE" "$ROOT" ;;
hostbin) build_hostbin ;;
auto)
	if ! docker build -q -f "$ROOT/docker/Dockerfile" --build-arg VERSION="$version" -t "$IMAGE" "$ROOT" >/dev/null 2>&1; then
		log "registry build failed (no registry access?); falling back to the hostbin target"
		build_hostbin
	fi
	;;
*) fail "TARGET must be auto, image or hostbin" ;;
esac

size=$(docker image inspect -f '{{.Size}}' "$IMAGE")
user=$(docker image inspect -f '{{.Config.User}}' "$IMAGE")
log "image $IMAGE: $((size / 1024 / 1024)) MB, user $user"
((size < 20 * 1024 * 1024)) || fail "image is $size bytes, target < 20 MB"
[[ $user == 999:999 ]] || fail "image user is '$user', want 999:999"
if command -v hadolint >/dev/null 2>&1; then hadolint "$ROOT/docker/Dockerfile" || fail "hadolint"; fi

# wait_health CONTAINER: until the built-in HEALTHCHECK reports healthy (max 60 s).
wait_health() {
	local i s
	for ((i = 0; i < 120; i++)); do
		s=$(docker inspect -f '{{.State.Health.Status}}' "$1" 2>/dev/null || echo gone)
		[[ $s == healthy ]] && return 0
		[[ $s == gone || $(docker inspect -f '{{.State.Running}}' "$1") != true ]] && fail "$1 is not running"
		sleep 0.5
	done
	fail "$1 not healthy after 60 s (status $s)"
}
cli() { redis-cli -h 127.0.0.1 -p "$PORT" --no-auth-warning -a "$PASSWORD" "$@"; }

log "run with a password, a named volume and a 1 s health interval"
docker run -d --name "$NAME" -p "127.0.0.1:$PORT:6379" -v "$VOLUME:/data" \
	-e DISKCACHED_PASSWORD="$PASSWORD" --health-interval 1s --health-start-period 30s \
	"$IMAGE" --requirepass "$PASSWORD" >/dev/null
wait_health "$NAME"
log "healthy"

[[ $(cli ping) == PONG ]] || fail "PING with password"
[[ $(redis-cli -h 127.0.0.1 -p "$PORT" ping 2>&1) == *NOAUTH* ]] || fail "no NOAUTH without password"
for i in $(seq 1 100); do echo "SET docker:key:$i value-$i"; done | cli >/dev/null
[[ $(cli get docker:key:42) == value-42 ]] || fail "GET after SET"
[[ $(docker exec "$NAME" /usr/local/bin/diskcached healthcheck --password wrong 2>&1; echo "rc=$?") == *rc=1 ]] ||
	fail "healthcheck with a wrong password did not fail"

log "restart (SIGTERM, then start on the same volume)"
docker restart -t 10 "$NAME" >/dev/null
wait_health "$NAME"
[[ $(cli get docker:key:42) == value-42 ]] || fail "key lost across restart"
[[ $(cli dbsize) -ge 100 ]] || fail "DBSIZE after restart is $(cli dbsize)"
log "data survived the restart"

log "stop: graceful exit on SIGTERM within the 10 s timeout"
t0=$(date +%s)
docker stop -t 10 "$NAME" >/dev/null
code=$(docker inspect -f '{{.State.ExitCode}}' "$NAME")
oom=$(docker inspect -f '{{.State.OOMKilled}}' "$NAME")
[[ $code == 0 && $oom == false ]] || fail "exit code $code (OOMKilled $oom), want 0"
(($(date +%s) - t0 < 10)) || fail "stop took the whole timeout (SIGKILL)"
log "exit code 0 after $(($(date +%s) - t0)) s"

log "protected mode: no password, published port"
docker run -d --name "$NAME-open" -p "127.0.0.1:$((PORT + 1)):6379" --health-interval 1s "$IMAGE" >/dev/null
wait_health "$NAME-open"
out=$(redis-cli -h 127.0.0.1 -p $((PORT + 1)) ping 2>&1 || true)
[[ $out == *DENIED* || $out == *protected* ]] || fail "protected mode did not refuse a remote client without password: $out"
log "remote client refused (${out:0:60}...), healthcheck from inside healthy"

log "PASS"

#!/usr/bin/env bash
# Throwaway Redis server for tests: no systemd, nothing persisted.
#
#   scripts/redis_throwaway.sh start    install redis-server if needed, start it on
#                                       127.0.0.1:${REDIS_PORT:-6390} (no RDB/AOF);
#                                       prints on stdout
#                                         REDIS_URL=redis://127.0.0.1:6390/0
#   scripts/redis_throwaway.sh stop     shut it down and delete its directory
#   scripts/redis_throwaway.sh status   is one running on that port?
#   scripts/redis_throwaway.sh env      print the URL again
#
# Everything except the KEY=value line goes to stderr. A server left over from
# an earlier run on the same port (a dir /tmp/engage-redis.*) is shut down
# before a fresh, empty one starts.
#
# Environment: REDIS_PORT (default 6390), ENGAGE_APT_UPDATED=1 to skip apt-get update.
set -euo pipefail

PORT="${REDIS_PORT:-6390}"
BASE=/tmp
STATE_FILE="$BASE/engage-redis-$PORT.state"

log() { printf 'redis_throwaway: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

cd /

print_env() { printf 'REDIS_URL=redis://127.0.0.1:%s/0\n' "$PORT"; }

install_redis() {
    [ "$(id -u)" = 0 ] || die "redis-server not found; as root: apt-get install redis-server"
    log "installing redis-server from Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    # Keep the package's maintainer scripts from starting the default service.
    local policy=/usr/sbin/policy-rc.d made_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        made_policy=1
    fi
    local rc=0
    {
        if [ "${ENGAGE_APT_UPDATED:-}" != 1 ]; then apt-get update -q; fi
        apt-get install -y -q --no-install-recommends redis-server redis-tools
    } >&2 || rc=$?
    [ "$made_policy" = 1 ] && rm -f "$policy"
    [ "$rc" = 0 ] || die "apt-get install redis-server failed ($rc)"
}

ensure_redis() {
    if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
        install_redis
    fi
    command -v redis-server >/dev/null || die "redis-server still missing after install"
}

redis_ping() { redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null | grep -q PONG; }

stop_dir() {  # stop_dir DIR: stop the server whose pidfile is in DIR, delete DIR
    local d="$1" pid=""
    [ -d "$d" ] || return 0
    pid=$(cat "$d/redis.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        log "stopping redis-server (pid $pid, $d)"
        if [ "$(cat "$d/.engage-port" 2>/dev/null)" = "$PORT" ]; then
            redis-cli -h 127.0.0.1 -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
        fi
        local i
        for i in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            [ "$i" = 20 ] && kill -TERM "$pid" 2>/dev/null
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "redis-server $pid did not stop; SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    case "$d" in
        "$BASE"/engage-redis.*) rm -rf -- "$d" ;;
        *) log "not deleting unexpected dir $d" ;;
    esac
}

stop_all() {
    local d
    if [ -f "$STATE_FILE" ]; then
        d=$(sed -n 's/^DIR=//p' "$STATE_FILE")
        [ -n "$d" ] && stop_dir "$d"
        rm -f "$STATE_FILE"
    fi
    for d in "$BASE"/engage-redis.*; do
        [ -d "$d" ] || continue
        if [ "$(cat "$d/.engage-port" 2>/dev/null)" = "$PORT" ]; then
            stop_dir "$d"
        fi
    done
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

cmd_start() {
    ensure_redis
    stop_all
    if port_in_use; then
        die "127.0.0.1:$PORT is in use by something this script did not start; set REDIS_PORT"
    fi
    local d
    d=$(mktemp -d "$BASE/engage-redis.XXXXXX")
    printf '%s\n' "$PORT" >"$d/.engage-port"
    printf 'DIR=%s\nPORT=%s\n' "$d" "$PORT" >"$STATE_FILE"

    log "starting redis-server on 127.0.0.1:$PORT ($d)"
    redis-server --bind 127.0.0.1 --port "$PORT" --daemonize yes --save '' --appendonly no \
        --dir "$d" --pidfile "$d/redis.pid" --logfile "$d/redis.log" >&2 || {
        cat "$d/redis.log" >&2 2>/dev/null || true
        die "redis-server failed to start"
    }
    local i
    for i in $(seq 100); do
        redis_ping && break
        sleep 0.1
    done
    redis_ping || {
        tail -n 30 "$d/redis.log" >&2 2>/dev/null || true
        die "redis-server did not answer PING on port $PORT"
    }
    log "ready; stop with: $0 stop"
    print_env
}

cmd_stop() {
    if [ ! -f "$STATE_FILE" ] && ! ls -d "$BASE"/engage-redis.* >/dev/null 2>&1; then
        log "nothing to stop on port $PORT"
        return 0
    fi
    stop_all
    log "stopped (port $PORT)"
}

cmd_status() {
    if [ -f "$STATE_FILE" ] && command -v redis-cli >/dev/null && redis_ping; then
        log "running on port $PORT ($(sed -n 's/^DIR=//p' "$STATE_FILE"))"
        return 0
    fi
    log "not running on port $PORT"
    return 3
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) print_env ;;
    *)
        echo "usage: $0 start|stop|status|env   (REDIS_PORT=${PORT})" >&2
        exit 2
        ;;
esac

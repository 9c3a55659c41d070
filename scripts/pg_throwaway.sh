#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests: no systemd, no Debian cluster tooling.
#
#   scripts/pg_throwaway.sh start    install PostgreSQL if needed, initdb a temp
#                                    cluster, start it on 127.0.0.1:${PGPORT:-5433},
#                                    create role engage/engage and databases
#                                    engage + engage_test_upgrade; prints on stdout
#                                      DATABASE_URL=postgresql+psycopg://engage:engage@127.0.0.1:5433/engage
#                                      ENGAGE_TEST_PG_UPGRADE_URL=postgresql+psycopg://.../engage_test_upgrade
#   scripts/pg_throwaway.sh stop     stop it and delete its data directory
#   scripts/pg_throwaway.sh status   is one running on that port?
#   scripts/pg_throwaway.sh env      print the two URLs again
#
# Everything except those KEY=value lines goes to stderr, so a caller can do
#   eval "$(scripts/pg_throwaway.sh start)"   or read the lines.
#
# A server left over from an earlier run on the same port (a dir
# /tmp/engage-pg.*, cluster in its data/) is stopped and deleted before a fresh one starts, so every
# start gives empty databases. Works as root (the server runs as the postgres
# user through runuser, as Debian needs) and as an ordinary user (runs as you).
#
# Environment: PGPORT (default 5433), ENGAGE_APT_UPDATED=1 to skip apt-get update.
set -euo pipefail

PORT="${PGPORT:-5433}"
BASE=/tmp
STATE_FILE="$BASE/engage-pg-$PORT.state"
DB_USER=engage
DB_PASSWORD=engage
DATABASES=(engage engage_test_upgrade)

log() { printf 'pg_throwaway: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

IS_ROOT=0
[ "$(id -u)" = 0 ] && IS_ROOT=1

# Commands run as the server's owner: postgres when we are root, else ourselves.
as_pg() {
    if [ "$IS_ROOT" = 1 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Run from / so that runuser'd tools don't warn about an unreadable cwd.
cd /

url() {  # url DBNAME
    printf 'postgresql+psycopg://%s:%s@127.0.0.1:%s/%s' "$DB_USER" "$DB_PASSWORD" "$PORT" "$1"
}

print_env() {
    printf 'DATABASE_URL=%s\n' "$(url engage)"
    printf 'ENGAGE_TEST_PG_UPGRADE_URL=%s\n' "$(url engage_test_upgrade)"
}

# The newest Debian server binaries (preferred over /usr/local/bin symlinks).
find_pgbin() {
    local d
    # shellcheck disable=SC2012  # version dirs are plain numbers
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
    if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
        printf '%s\n' "$d"
        return 0
    fi
    return 1
}

install_postgresql() {
    [ "$IS_ROOT" = 1 ] || die "PostgreSQL server binaries not found; as root: apt-get install postgresql"
    log "installing PostgreSQL from Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    # Keep the packages' maintainer scripts from starting the default cluster
    # (policy-rc.d exit 101 = "action forbidden"), unless a policy is in place.
    local policy=/usr/sbin/policy-rc.d made_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        made_policy=1
    fi
    local rc=0
    {
        if [ "${ENGAGE_APT_UPDATED:-}" != 1 ]; then apt-get update -q; fi
        apt-get install -y -q --no-install-recommends postgresql postgresql-contrib
    } >&2 || rc=$?
    [ "$made_policy" = 1 ] && rm -f "$policy"
    [ "$rc" = 0 ] || die "apt-get install postgresql failed ($rc)"
}

ensure_pgbin() {
    if PGBIN=$(find_pgbin) && { [ "$IS_ROOT" = 0 ] || id postgres >/dev/null 2>&1; }; then
        return 0
    fi
    install_postgresql
    PGBIN=$(find_pgbin) || die "no /usr/lib/postgresql/*/bin after installing postgresql"
    id postgres >/dev/null 2>&1 || [ "$IS_ROOT" = 0 ] || die "no postgres user after installing postgresql"
}

# Port recorded in a data dir's postmaster.pid (4th line), if it has one.
pid_file_port() { sed -n 4p "$1/data/postmaster.pid" 2>/dev/null || true; }

stop_dir() {  # stop_dir DIR [PGBIN]: stop the server in DIR/data (if any), delete DIR
    local d="$1" bin="${2:-}"
    [ -d "$d" ] || return 0
    if [ -z "$bin" ]; then bin=$(find_pgbin || true); fi
    if [ -f "$d/data/postmaster.pid" ] && [ -n "$bin" ]; then
        log "stopping server in $d/data"
        as_pg "$bin/pg_ctl" -D "$d/data" -m fast -w -t 30 stop >&2 || {
            # Last resort: the postmaster's PID is the first line of postmaster.pid.
            local pid
            pid=$(head -1 "$d/data/postmaster.pid" 2>/dev/null || true)
            if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
                log "pg_ctl stop failed; sending SIGQUIT to $pid"
                kill -QUIT "$pid" 2>/dev/null || true
                sleep 1
            fi
        }
    fi
    case "$d" in
        "$BASE"/engage-pg.*) rm -rf -- "$d" ;;
        *) log "not deleting unexpected data dir $d" ;;
    esac
}

# Stop what the state file names, and any orphaned /tmp/engage-pg.* cluster on
# our port (e.g. a run killed before its cleanup ran).
stop_all() {
    local d bin=""
    if [ -f "$STATE_FILE" ]; then
        d=$(sed -n 's/^DIR=//p' "$STATE_FILE")
        bin=$(sed -n 's/^PGBIN=//p' "$STATE_FILE")
        [ -n "$d" ] && stop_dir "$d" "$bin"
        rm -f "$STATE_FILE"
    fi
    for d in "$BASE"/engage-pg.*; do
        [ -d "$d" ] || continue
        if [ "$(pid_file_port "$d")" = "$PORT" ]; then
            stop_dir "$d" "$bin"
        elif [ ! -f "$d/data/postmaster.pid" ] && [ -f "$d/.engage-port" ] \
            && [ "$(cat "$d/.engage-port")" = "$PORT" ]; then
            stop_dir "$d" "$bin"   # a half-made cluster that never started
        fi
    done
}

port_in_use() {
    # bash's /dev/tcp: connecting succeeds iff something listens.
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null
}

cmd_start() {
    ensure_pgbin
    stop_all
    if port_in_use; then
        die "127.0.0.1:$PORT is in use by something this script did not start; set PGPORT"
    fi

    # $d: socket dir, log and marker; $d/data: the cluster (initdb wants it empty).
    local d
    d=$(mktemp -d "$BASE/engage-pg.XXXXXX")
    printf '%s\n' "$PORT" >"$d/.engage-port"
    mkdir -m 700 "$d/data"
    [ "$IS_ROOT" = 1 ] && chown -R postgres:postgres "$d"
    printf 'DIR=%s\nPGBIN=%s\nPORT=%s\n' "$d" "$PGBIN" "$PORT" >"$STATE_FILE"

    log "initdb $d/data ($PGBIN)"
    as_pg "$PGBIN/initdb" -D "$d/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 --no-sync >"$d/initdb.log" 2>&1 || {
        cat "$d/initdb.log" >&2
        die "initdb failed"
    }

    # Durability off: a throwaway cluster for tests, speed matters.
    log "starting on 127.0.0.1:$PORT"
    as_pg "$PGBIN/pg_ctl" -D "$d/data" -l "$d/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $d -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >&2 || {
        tail -n 30 "$d/server.log" >&2 || true
        die "pg_ctl start failed"
    }

    local sql=(
        -c "CREATE ROLE $DB_USER LOGIN CREATEDB PASSWORD '$DB_PASSWORD'"
    )
    local db
    for db in "${DATABASES[@]}"; do
        sql+=(-c "CREATE DATABASE $db OWNER $DB_USER")
    done
    as_pg "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$d" -p "$PORT" -U postgres -d postgres \
        "${sql[@]}" >&2 || die "creating role/databases failed"

    log "ready; stop with: $0 stop"
    print_env
}

cmd_stop() {
    if [ ! -f "$STATE_FILE" ] && ! ls -d "$BASE"/engage-pg.* >/dev/null 2>&1; then
        log "nothing to stop on port $PORT"
        return 0
    fi
    stop_all
    log "stopped (port $PORT)"
}

cmd_status() {
    local d
    if [ -f "$STATE_FILE" ]; then
        d=$(sed -n 's/^DIR=//p' "$STATE_FILE")
        if [ -f "$d/data/postmaster.pid" ]; then
            log "running: data dir $d/data, port $PORT"
            return 0
        fi
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
        echo "usage: $0 start|stop|status|env   (PGPORT=${PORT})" >&2
        exit 2
        ;;
esac

#!/bin/bash
# Starts or stops a throw-away PostgreSQL 15 server for the CC tests.
#   cc_pg.sh start DIR   -> prints postgres://USER@127.0.0.1:PORT/postgres, exit 0
#                           (exit 77 with a reason on stderr when it cannot run here)
#   cc_pg.sh restart DIR -> restarts it (same port): clients see their connection break
#   cc_pg.sh stop DIR    -> stops the server and removes DIR
# PostgreSQL refuses to run as root, so as root the server runs as `nobody`.
set -u
PGBIN=${HEARTH_PG_BIN:-/usr/lib/postgresql/15/bin}
cmd=$1 dir=$2

as_user() {
    if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
    [ -x "$PGBIN/initdb" ] || { echo "no PostgreSQL at $PGBIN" >&2; exit 77; }
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then
        chown nobody "$dir" || { echo "cannot chown $dir to nobody" >&2; exit 77; }
        chmod 0700 "$dir"
        # nobody needs to reach the directory.
        p=$dir
        while p=$(dirname "$p") && [ "$p" != / ]; do chmod o+x "$p" 2>/dev/null; done
    fi
    user=$( [ "$(id -u)" = 0 ] && echo nobody || id -un )
    as_user "$PGBIN/initdb" -D "$dir/data" -U "$user" --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 ||
        { echo "initdb failed: $(tail -3 "$dir/initdb.log")" >&2; exit 77; }
    for _ in 1 2 3 4 5; do
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
        if as_user "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/pg.log" -w -t 30 \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null 2>&1; then
            echo "postgres://$user@127.0.0.1:$port/postgres"
            exit 0
        fi
    done
    echo "postgres did not start: $(tail -3 "$dir/pg.log" 2>/dev/null)" >&2
    exit 77
    ;;
restart)
    as_user "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w restart >/dev/null 2>&1
    ;;
stop)
    [ -d "$dir/data" ] && as_user "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
    rm -rf "$dir"
    ;;
esac

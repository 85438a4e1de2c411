# tests/e2e/lib/services.sh - start Debian's PostgreSQL, MariaDB, Redis and RabbitMQ on loopback
# random ports with their data in a temp dir, for tests (source it from bash).
#
#   . tests/e2e/lib/services.sh
#   svc_init                 # creates $SVC_DIR, installs an EXIT trap running stop_all
#   start_postgres  || echo "skip: $SVC_WHY"   # sets PG_PORT PG_USER PG_PASSWORD
#   start_mariadb   || ...                      # sets MY_PORT MY_USER MY_PASSWORD
#   start_redis     || ...                      # checks redis-server (the broker runs them)
#   start_rabbitmq  || ...                      # sets RMQ_PORT RMQ_MGMT_PORT RMQ_USER RMQ_PASSWORD
#   stop_all                 # kills only the PIDs started here, removes $SVC_DIR
#
# Each start_* returns non-zero with the reason in $SVC_WHY when the server cannot start here.
# Servers that refuse root run as the user the Debian package created (postgres, mysql).

SVC_PIDS=()
SVC_DIR=

svc_init() {
    SVC_DIR=$(mktemp -d /tmp/hearth-svc.XXXXXX)
    chmod 755 "$SVC_DIR"
    trap stop_all EXIT
}

# A free loopback TCP port (the kernel's choice; closed again before the server binds it).
svc_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

svc_wait() { # svc_wait SECONDS CMD... : retry CMD until it succeeds
    local n=$(($1 * 5))
    shift
    while ((n-- > 0)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    return 1
}

start_postgres() {
    local bin=/usr/lib/postgresql/15/bin d="$SVC_DIR/pg"
    [ -x "$bin/postgres" ] || bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -1)
    if [ ! -x "$bin/postgres" ]; then SVC_WHY="postgres not installed"; return 1; fi
    id postgres >/dev/null 2>&1 || { SVC_WHY="no postgres user"; return 1; }
    PG_PORT=$(svc_free_port) PG_USER=postgres PG_PASSWORD=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
    mkdir -p "$d/data" "$d/run" && echo "$PG_PASSWORD" >"$d/pw" && chown -R postgres: "$d"
    if ! runuser -u postgres -- "$bin/initdb" -D "$d/data" -U postgres --pwfile="$d/pw" \
        --auth-host=scram-sha-256 --auth-local=trust >"$d/initdb.log" 2>&1; then
        SVC_WHY="initdb failed: $(tail -3 "$d/initdb.log")"
        return 1
    fi
    if ! runuser -u postgres -- "$bin/pg_ctl" -D "$d/data" -l "$d/log" -w -t 60 start \
        -o "-p $PG_PORT -k $d/run -c listen_addresses=127.0.0.1" >/dev/null 2>&1; then
        SVC_WHY="postgres did not start: $(tail -3 "$d/log")"
        return 1
    fi
    SVC_PIDS+=("$(head -1 "$d/data/postmaster.pid")")
    PG_BIN=$bin
}

start_mariadb() {
    local d="$SVC_DIR/my"
    command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || { SVC_WHY="mariadbd not installed"; return 1; }
    MY_PORT=$(svc_free_port) MY_USER=admin MY_PASSWORD=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
    mkdir -p "$d/data" "$d/run" && chown -R mysql: "$d"
    if ! mariadb-install-db --no-defaults --datadir="$d/data" --user=mysql \
        --auth-root-authentication-method=normal --skip-test-db >"$d/install.log" 2>&1; then
        SVC_WHY="mariadb-install-db failed: $(tail -3 "$d/install.log")"
        return 1
    fi
    /usr/sbin/mariadbd --no-defaults --datadir="$d/data" --user=mysql --port="$MY_PORT" \
        --bind-address=127.0.0.1 --socket="$d/run/sock" --pid-file="$d/run/pid" \
        --skip-name-resolve --log-error="$d/log" 2>>"$d/stderr" &
    SVC_PIDS+=($!)
    if ! svc_wait 60 mariadb --no-defaults --socket="$d/run/sock" -uroot -e 'SELECT 1'; then
        SVC_WHY="mariadbd did not start: $(tail -3 "$d/log")"
        return 1
    fi
    mariadb --no-defaults --socket="$d/run/sock" -uroot <<SQL
DELETE FROM mysql.global_priv WHERE User = '';
FLUSH PRIVILEGES;
CREATE USER '$MY_USER'@'%' IDENTIFIED BY '$MY_PASSWORD';
GRANT ALL ON *.* TO '$MY_USER'@'%' WITH GRANT OPTION;
SQL
    MY_SOCK="$d/run/sock"
}

start_redis() {
    command -v redis-server >/dev/null || { SVC_WHY="redis-server not installed"; return 1; }
    command -v redis-cli >/dev/null || { SVC_WHY="redis-cli not installed"; return 1; }
}

start_rabbitmq() {
    local d="$SVC_DIR/rmq" bin=/usr/lib/rabbitmq/bin
    [ -x "$bin/rabbitmq-server" ] || { SVC_WHY="rabbitmq-server not installed"; return 1; }
    mkdir -p "$d/home" "$d/mnesia" "$d/log"
    RMQ_PORT=$(svc_free_port) RMQ_MGMT_PORT=$(svc_free_port) RMQ_EPMD_PORT=$(svc_free_port)
    RMQ_DIST_PORT=$(svc_free_port)
    RMQ_USER=admin RMQ_PASSWORD=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
    RMQ_NODE="hearth$RMQ_PORT@localhost"
    echo '[rabbitmq_management].' >"$d/plugins"
    cat >"$d/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$RMQ_PORT
management.tcp.port = $RMQ_MGMT_PORT
management.tcp.ip = 127.0.0.1
default_user = $RMQ_USER
default_pass = $RMQ_PASSWORD
loopback_users = none
CONF
    head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$d/home/.erlang.cookie"
    chmod 400 "$d/home/.erlang.cookie"
    # Own epmd on its own port, so nothing outlives the test.
    epmd -port "$RMQ_EPMD_PORT" >/dev/null 2>&1 &
    SVC_PIDS+=($!)
    RMQ_ENV=(HOME="$d/home" ERL_EPMD_PORT="$RMQ_EPMD_PORT" RABBITMQ_NODENAME="$RMQ_NODE"
        RABBITMQ_DIST_PORT="$RMQ_DIST_PORT" RABBITMQ_MNESIA_BASE="$d/mnesia"
        RABBITMQ_LOG_BASE="$d/log" RABBITMQ_CONFIG_FILE="$d/rabbitmq.conf"
        RABBITMQ_ENABLED_PLUGINS_FILE="$d/plugins" RABBITMQ_PID_FILE="$d/pid"
        RABBITMQ_CONF_ENV_FILE="$d/none" RABBITMQ_ADVANCED_CONFIG_FILE="$d/advanced.config")
    env "${RMQ_ENV[@]}" "$bin/rabbitmq-server" >"$d/stdout" 2>&1 &
    SVC_PIDS+=($!)
    if ! svc_wait 120 curl -sf -u "$RMQ_USER:$RMQ_PASSWORD" "http://127.0.0.1:$RMQ_MGMT_PORT/api/overview"; then
        SVC_WHY="rabbitmq did not start: $(tail -5 "$d/stdout")"
        return 1
    fi
    [ -s "$d/pid" ] && SVC_PIDS+=("$(cat "$d/pid")")
}

# PIDs of the redis-servers whose working directory is under DIR (a broker's instance servers).
svc_redis_under() {
    local p cwd
    for p in $(pgrep -x redis-server); do
        cwd=$(readlink "/proc/$p/cwd" 2>/dev/null) || continue
        case "$cwd" in "$1"/*) echo "$p" ;; esac
    done
}

# Stops what this file started: only the PIDs recorded above (and the redis-servers of a broker
# whose data dir is under $SVC_DIR), then removes $SVC_DIR.
stop_all() {
    local p f
    # Per-instance redis-servers a broker under test started, by their pid files.
    for f in "$SVC_DIR"/*/redis/*/redis.pid; do
        [ -f "$f" ] && SVC_PIDS+=("$(cat "$f")")
    done
    # and any of them whose pid file is gone: they run in their instance dir under $SVC_DIR
    [ -n "$SVC_DIR" ] && for p in $(svc_redis_under "$SVC_DIR"); do SVC_PIDS+=("$p"); done
    local i
    # Newest first (a server's own pid after its wrapper), then give each time to stop.
    for ((i = ${#SVC_PIDS[@]} - 1; i >= 0; i--)); do kill "${SVC_PIDS[i]}" 2>/dev/null; done
    for ((i = ${#SVC_PIDS[@]} - 1; i >= 0; i--)); do
        p=${SVC_PIDS[i]}
        for _ in $(seq 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null
    done
    SVC_PIDS=()
    [ -n "$SVC_DIR" ] && rm -rf "$SVC_DIR"
    SVC_DIR=
}

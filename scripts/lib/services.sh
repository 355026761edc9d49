# shellcheck shell=bash
# Throwaway PostgreSQL and Redis servers for one test run: each lives in its own temporary
# directory, listens only on 127.0.0.1 (and PostgreSQL also on a unix socket in that
# directory), keeps nothing on disk that matters, and is gone after stop_services.
# Sourced by scripts/test, after scripts/lib/system-packages.sh (for pg_bin_dir).
# Sets DATABASE_URL and REDIS_URL (not exported: the caller decides).

SERVICES_PG_DIR=""
SERVICES_PG_USER=""
SERVICES_REDIS_DIR=""

# Prints a TCP port on 127.0.0.1 that is free right now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Runs a command as the unprivileged user that owns the PostgreSQL cluster.
_as_pg_user() {
  if [ "$SERVICES_PG_USER" = "$(id -un)" ]; then
    "$@"
  else
    # From / because the caller's directory may be closed to that user.
    (cd / && runuser -u "$SERVICES_PG_USER" -- "$@")
  fi
}

# PostgreSQL refuses to run as root: use the `postgres` system user, or make one.
_pick_pg_user() {
  if [ "$(id -u)" -ne 0 ]; then
    id -un
  elif id -u postgres >/dev/null 2>&1; then
    echo postgres
  else
    useradd --system --no-create-home --shell /usr/sbin/nologin chosa-pg >/dev/null
    echo chosa-pg
  fi
}

# Starts a fresh cluster with durability switched off (a test database needs speed, not safety).
start_postgres() {
  local bin port
  bin=$(pg_bin_dir)
  port=$(free_port)
  SERVICES_PG_USER=$(_pick_pg_user)
  # /tmp and not $TMPDIR: the postgres user must be able to reach the directory.
  SERVICES_PG_DIR=$(mktemp -d /tmp/chosa-pg.XXXXXX)
  chown "$SERVICES_PG_USER" "$SERVICES_PG_DIR"
  _as_pg_user "$bin/initdb" --pgdata="$SERVICES_PG_DIR/data" --username=chosa --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$SERVICES_PG_DIR/initdb.log" 2>&1 \
    || { cat "$SERVICES_PG_DIR/initdb.log" >&2; return 1; }
  local opts="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$SERVICES_PG_DIR"
  opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
  _as_pg_user "$bin/pg_ctl" start --wait --timeout=60 --pgdata="$SERVICES_PG_DIR/data" \
    --log="$SERVICES_PG_DIR/postgres.log" --options="$opts" >/dev/null \
    || { cat "$SERVICES_PG_DIR/postgres.log" >&2; return 1; }
  _as_pg_user "$bin/createdb" --host="$SERVICES_PG_DIR" --port="$port" --username=chosa chosa
  # shellcheck disable=SC2034 # read by the caller
  DATABASE_URL="postgres://chosa@127.0.0.1:$port/chosa"
}

# Starts Redis with persistence off, bound to 127.0.0.1 on a free port.
start_redis() {
  local port
  port=$(free_port)
  SERVICES_REDIS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/chosa-redis.XXXXXX")
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
    --dir "$SERVICES_REDIS_DIR" --daemonize yes --pidfile "$SERVICES_REDIS_DIR/redis.pid" \
    --logfile "$SERVICES_REDIS_DIR/redis.log" >/dev/null
  local _
  for _ in $(seq 100); do
    [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ] && break
    sleep 0.1
  done
  [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ] \
    || { cat "$SERVICES_REDIS_DIR/redis.log" >&2; return 1; }
  # shellcheck disable=SC2034 # read by the caller
  REDIS_URL="redis://127.0.0.1:$port/0"
}

# Stops both servers and removes their directories; safe to call more than once.
stop_services() {
  if [ -n "$SERVICES_PG_DIR" ]; then
    if [ -f "$SERVICES_PG_DIR/data/postmaster.pid" ]; then
      _as_pg_user "$(pg_bin_dir)/pg_ctl" stop --mode=immediate --wait \
        --pgdata="$SERVICES_PG_DIR/data" >/dev/null 2>&1 || true
    fi
    rm -rf "$SERVICES_PG_DIR"
    SERVICES_PG_DIR=""
  fi
  if [ -n "$SERVICES_REDIS_DIR" ]; then
    if [ -f "$SERVICES_REDIS_DIR/redis.pid" ]; then
      local pid _
      pid=$(cat "$SERVICES_REDIS_DIR/redis.pid")
      kill "$pid" 2>/dev/null || true
      # Wait so that the directory is not removed under a running server.
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -rf "$SERVICES_REDIS_DIR"
    SERVICES_REDIS_DIR=""
  fi
}

# `bash scripts/lib/services.sh watch PID PG_DIR PG_USER REDIS_DIR`: waits until process PID is
# gone, then stops and removes those servers. scripts/test starts it in its own session so that
# the servers go even when scripts/test is killed outright (SIGKILL runs no trap).
if [ "${BASH_SOURCE[0]}" = "$0" ] && [ "${1:-}" = watch ]; then
  # shellcheck source=scripts/lib/system-packages.sh
  . "$(dirname "$0")/system-packages.sh"
  while kill -0 "$2" 2>/dev/null; do sleep 1; done
  SERVICES_PG_DIR=$3 SERVICES_PG_USER=$4 SERVICES_REDIS_DIR=$5
  stop_services
fi

#!/usr/bin/env bash
# Make a PostgreSQL and a Redis reachable for the tests and write their URLs to
# var/services.env. Servers already answering on the standard ports are used;
# otherwise Debian's packages are installed and throwaway instances are started
# under var/ on free ports (CALLWARDEN_OWN_SERVICES=1 forces that).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/lib.sh"
var="$root/var"
mkdir -p "$var"
py="$root/.venv/bin/python"

pg_answers() {
  "$py" - "$1" <<'PY' 2>/dev/null
import sys, psycopg
psycopg.connect(sys.argv[1].replace("+psycopg", ""), connect_timeout=3).close()
PY
}

redis_answers() {
  local port=$1 reply=""
  exec 3<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null || return 1
  printf 'PING\r\n' >&3
  read -r -t 3 reply <&3 || true
  exec 3>&-
  [[ "$reply" == "+PONG"* ]]
}

start_own_postgres() {
  local bin data port owner
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$bin" ]; then
    apt_install postgresql
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  data="$var/pg"
  run=()
  if [ "$(id -u)" = 0 ]; then
    # PostgreSQL refuses to run as root: run it as the postgres user, somewhere it can reach.
    run=(runuser -u postgres --)
    mkdir -p "$data"
    chown postgres "$data"
    if ! runuser -u postgres -- test -w "$data"; then
      data="/tmp/callwarden-pg-$(printf %s "$root" | md5sum | cut -c1-12)"
      mkdir -p "$data" && chown postgres "$data"
    fi
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    "${run[@]}" "$bin/initdb" -D "$data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  fi
  port=$(free_port)
  "${run[@]}" "$bin/pg_ctl" -D "$data" -w -l "$data/server.log" \
    -o "-p $port -c listen_addresses=127.0.0.1 -k $data -c fsync=off" start >/dev/null
  "${run[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres test 2>/dev/null || true
  echo "$port" >"$var/pg.port"
  echo "$data" >"$var/pg.data"
  echo "postgresql+psycopg://postgres@127.0.0.1:$port/test"
}

start_own_redis() {
  local port
  command -v redis-server >/dev/null || apt_install redis-server
  port=$(free_port)
  mkdir -p "$var/redis"
  redis-server --port "$port" --bind 127.0.0.1 --daemonize yes --save "" --appendonly no \
    --dir "$var/redis" --pidfile "$var/redis/redis.pid" --logfile "$var/redis/redis.log"
  for _ in $(seq 50); do redis_answers "$port" && break; sleep 0.1; done
  echo "$port" >"$var/redis.port"
  echo "redis://127.0.0.1:$port/0"
}

own=${CALLWARDEN_OWN_SERVICES:-}
pg_url=${CALLWARDEN_TEST_POSTGRES_URL:-}
if [ -z "$pg_url" ]; then
  standard="postgresql+psycopg://postgres@127.0.0.1:5432/test"
  mine=""
  [ -f "$var/pg.port" ] && mine="postgresql+psycopg://postgres@127.0.0.1:$(cat "$var/pg.port")/test"
  if [ -z "$own" ] && pg_answers "$standard"; then pg_url=$standard
  elif [ -n "$mine" ] && pg_answers "$mine"; then pg_url=$mine
  else pg_url=$(start_own_postgres)
  fi
fi
pg_answers "$pg_url" || { echo "PostgreSQL at $pg_url does not answer" >&2; exit 1; }

redis_url=${CALLWARDEN_TEST_REDIS_URL:-}
if [ -z "$redis_url" ]; then
  if [ -z "$own" ] && redis_answers 6379; then redis_url="redis://127.0.0.1:6379/0"
  elif [ -f "$var/redis.port" ] && redis_answers "$(cat "$var/redis.port")"; then
    redis_url="redis://127.0.0.1:$(cat "$var/redis.port")/0"
  else redis_url=$(start_own_redis)
  fi
fi

cat >"$var/services.env" <<ENV
export CALLWARDEN_TEST_POSTGRES_URL=$pg_url
export CALLWARDEN_TEST_REDIS_URL=$redis_url
ENV
echo "services: postgres $pg_url, redis $redis_url"

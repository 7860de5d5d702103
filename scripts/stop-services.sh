#!/usr/bin/env bash
# Stop the throwaway PostgreSQL and Redis that ensure-services.sh started (if any).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
var="$root/var"
if [ -f "$var/pg.data" ]; then
  data=$(cat "$var/pg.data")
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$bin/pg_ctl" -D "$data" -m fast stop
  else "$bin/pg_ctl" -D "$data" -m fast stop; fi
  rm -f "$var/pg.port" "$var/pg.data"
fi
if [ -f "$var/redis/redis.pid" ]; then
  kill "$(cat "$var/redis/redis.pid")" 2>/dev/null
  rm -f "$var/redis.port" "$var/redis/redis.pid"
fi
exit 0

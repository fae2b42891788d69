#!/usr/bin/env bash
# Start a throw-away PostgreSQL server from Debian's packages for the test suite.
#   scripts/pg_test_server.sh start DIR   → prints the database URL on stdout
#   scripts/pg_test_server.sh replica DIR PRIMARY_URL  → a hot standby streaming from the
#                                 primary (pg_basebackup -R), on its own port; prints its URL
#   scripts/pg_test_server.sh stop DIR               (a primary's or a replica's DIR)
# Installs the `postgresql` package with apt-get when no server binaries are present.
set -euo pipefail
action=${1:?start|replica|stop}
dir=${2:?data directory}
# a free port unless one is given, so a developer's own server never collides
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=${JIEBANG_TEST_PG_PORT:-$(free_port)}
[ "$action" = replica ] && port=$(free_port)  # never the primary's JIEBANG_TEST_PG_PORT

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }

as_pg() {  # initdb and postgres refuse to run as root
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$action" in
start)
  bin=$(find_bin)
  if [ -z "$bin" ]; then
    echo "installing PostgreSQL from Debian packages…" >&2
    sudo_cmd=""; [ "$(id -u)" != 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq postgresql >&2
    bin=$(find_bin)
  fi
  rm -rf "$dir"; mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >&2
  # a standby may stream from it (scripts/pg_test_server.sh replica): WAL for replication,
  # and replication connections from 127.0.0.1 (initdb's default pg_hba has them; be sure)
  grep -Eq '^host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32' "$dir/data/pg_hba.conf" ||
    echo "host replication all 127.0.0.1/32 trust" | as_pg tee -a "$dir/data/pg_hba.conf" >/dev/null
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c wal_level=replica -c max_wal_senders=10" \
    start >&2
  as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres jiebang_test >&2
  echo "postgresql+psycopg://postgres@127.0.0.1:$port/jiebang_test"
  ;;
replica)
  primary=${3:?primary database URL}
  bin=$(find_bin)
  [ -n "$bin" ] || { echo "no PostgreSQL binaries: start a primary first" >&2; exit 1; }
  # postgresql+psycopg://USER@HOST:PORT/DB → its parts (the test servers trust 127.0.0.1)
  rest=${primary#*://}; user=${rest%%@*}; rest=${rest#*@}
  hostport=${rest%%/*}; database=${rest#*/}; database=${database%%\?*}
  host=${hostport%%:*}; pport=${hostport##*:}
  rm -rf "$dir"; mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  # a copy of the primary with standby.signal and primary_conninfo (-R), WAL streamed along
  as_pg "$bin/pg_basebackup" -h "$host" -p "$pport" -U "$user" -D "$dir/data" -R -X stream \
    -c fast >&2
  # a short standby delay: replay cancels a conflicting replica query rather than lag behind
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c hot_standby=on -c max_standby_streaming_delay=5s" \
    start >&2
  echo "postgresql+psycopg://$user@127.0.0.1:$port/$database"
  ;;
stop)
  bin=$(find_bin)
  [ -d "$dir/data" ] && as_pg "$bin/pg_ctl" -D "$dir/data" -m fast stop >&2 || true
  ;;
*) echo "usage: $0 start|stop DIR | replica DIR PRIMARY_URL" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Start a throw-away PostgreSQL server from Debian's packages for the test suite.
#   scripts/pg_test_server.sh start DIR   → prints the database URL on stdout
#   scripts/pg_test_server.sh stop DIR
# Installs the `postgresql` package with apt-get when no server binaries are present.
set -euo pipefail
action=${1:?start|stop}
dir=${2:?data directory}
# a free port unless one is given, so a developer's own server never collides
port=${JIEBANG_TEST_PG_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}

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
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >&2
  as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres jiebang_test >&2
  echo "postgresql+psycopg://postgres@127.0.0.1:$port/jiebang_test"
  ;;
stop)
  bin=$(find_bin)
  [ -d "$dir/data" ] && as_pg "$bin/pg_ctl" -D "$dir/data" -m fast stop >&2 || true
  ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac

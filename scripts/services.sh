#!/usr/bin/env bash
# Finds or starts the database servers the integration tests use (MariaDB on 127.0.0.1:3306,
# PostgreSQL on 127.0.0.1:5432) and waits until they answer. The AWS sandbox (moto) and the
# BigQuery emulator are started by the test fixtures themselves.
#
# On a machine without these servers this says so and returns 0: the tests that need them are
# skipped and listed at the end of the run. Under CI (CI=true) a server that does not answer
# is a failure.
set -u

in_ci() { case "${CI:-}" in true|1|yes) return 0;; *) return 1;; esac; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {  # name port seconds
  local i
  for ((i = 0; i < $3 * 4; i++)); do
    port_open "$2" && return 0
    sleep 0.25
  done
  return 1
}

start_mariadb() {
  if command -v start-stop-daemon >/dev/null && [ -x /usr/sbin/mariadbd ]; then
    echo "services: starting MariaDB"
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  elif command -v mysqld >/dev/null; then
    echo "services: starting mysqld"
    (mysqld >/dev/null 2>&1 &)
  else
    return 1
  fi
}

start_postgres() {
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "services: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  else
    return 1
  fi
}

answers_mariadb() {
  if command -v mariadb >/dev/null; then mariadb -h127.0.0.1 -uroot -e 'select 1' >/dev/null 2>&1
  elif command -v mysql >/dev/null; then mysql -h127.0.0.1 -uroot -e 'select 1' >/dev/null 2>&1
  else port_open 3306; fi
}

answers_postgres() {
  if command -v pg_isready >/dev/null; then pg_isready -h 127.0.0.1 -p 5432 -q
  else port_open 5432; fi
}

status=0
ensure() {  # name port start_fn answers_fn
  local name=$1 port=$2
  local tries=120
  if ! port_open "$port"; then
    # Nothing here to start it with: do not wait a minute for a server that cannot come.
    $3 || tries=1
  fi
  local i ok=1
  for ((i = 0; i < tries; i++)); do
    if $4; then ok=0; break; fi
    sleep 0.5
  done
  if [ $ok -eq 0 ]; then
    echo "services: $name answers on 127.0.0.1:$port"
  elif in_ci; then
    echo "services: ERROR: $name does not answer on 127.0.0.1:$port (CI=true: this is a failure)" >&2
    status=1
  else
    echo "services: $name is not available on 127.0.0.1:$port; the tests that need it will be skipped" \
         "(the end of the test run says how to provide it)"
  fi
}

ensure MariaDB 3306 start_mariadb answers_mariadb
ensure PostgreSQL 5432 start_postgres answers_postgres
exit $status

#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 with trust auth and a `test` database:
# start the cluster when it is down, install Debian's postgresql when it is missing (as root).
set -euo pipefail

ready() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "postgres.sh: PostgreSQL is not installed; install it (Debian: apt-get install postgresql)," >&2
    echo "             or run only the SQLite tests with TEST_DATABASES=sqlite." >&2
    exit 1
  fi
  echo "postgres.sh: installing postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq postgresql >/dev/null
fi

if ! ready; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  if [ -z "$version" ]; then
    echo "postgres.sh: no cluster found under /etc/postgresql" >&2
    exit 1
  fi
  conf=/etc/postgresql/$version/main
  # trust auth on loopback, as CI and the tests expect: prepended, so it wins over the
  # existing rules (pg_hba.conf is first match) without deleting them
  if ! grep -q "^host all all 127.0.0.1/32 trust" "$conf/pg_hba.conf"; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$conf/pg_hba.conf"
  fi
  # pg_ctlcluster exits 2 when the cluster already runs, so only start a stopped one
  if ! pg_ctlcluster "$version" main status >/dev/null 2>&1; then
    echo "postgres.sh: starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
  else
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  fi
  for _ in $(seq 1 60); do ready && break; sleep 0.5; done
  ready || { echo "postgres.sh: PostgreSQL did not come up" >&2; exit 1; }
fi

if ! psql -h 127.0.0.1 -U postgres -d test -Atc 'select 1' >/dev/null 2>&1; then
  psql -h 127.0.0.1 -U postgres -d postgres -qc 'CREATE DATABASE test' >/dev/null
fi
echo "postgres.sh: PostgreSQL is ready on 127.0.0.1:5432"

#!/usr/bin/env bash
# The benchmark suite of issue 6, in one command:   bash bench/run.sh
#
# Installs what a fresh machine lacks (wrk, curl, PostgreSQL, node for the peer, the
# project's virtualenv), makes sure PostgreSQL answers on 127.0.0.1:5432
# (scripts/postgres.sh), then runs bench/suite.py: a fresh `bench` database migrated with
# `alembic upgrade head`, the bcrypt ceiling, a bare Tornado hello world, the Next.js peer
# (through its own bench.sh), our app in both session modes and with --workers 1 and 2.
# Writes bench/results/<stamp>/summary.md, summary.json and results.json (git-ignored).
# What each figure means, and the targets: docs/performance.md.
#
# Knobs (environment): DURATION=10s WARMUP=3s LOGIN_DURATION=10s ROUNDS=2 CONNECTIONS=1,64
#   LOGIN_CONNECTIONS=16 STORM_CONNECTIONS=1 PEER=1 (0 leaves the peer out) PEER_WORKDIR=/tmp/peer-nextjs
#   BENCH_PG_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres BENCH_DB=bench VENV=.venv
# Takes about 15 minutes (the first run also builds the peer: a few more).
# A quick look: ROUNDS=1 DURATION=3s WARMUP=1s LOGIN_DURATION=5s bash bench/run.sh  (about 3 minutes)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${VENV:-$ROOT/.venv}"
log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

apt_updated=0
apt_install() {  # packages... (only the missing ones; as root)
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "missing ${missing[*]}: install them (apt-get install ${missing[*]}) or run as root"
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if [ "$apt_updated" = 0 ]; then apt-get -o DPkg::Lock::Timeout=600 update -qq; apt_updated=1; fi
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null
}

command -v wrk >/dev/null || apt_install wrk
command -v curl >/dev/null || apt_install curl
if [ "${PEER:-1}" = 1 ] && ! command -v node >/dev/null; then apt_install nodejs npm; fi
command -v python3 >/dev/null || apt_install python3 python3-venv

# PostgreSQL: the project's own script starts (or installs) the server on 127.0.0.1:5432.
if [ -z "${BENCH_PG_URL:-}" ]; then
  bash scripts/postgres.sh >&2
fi

if [ ! -x "$VENV/bin/python" ]; then
  log "creating $VENV"
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import tornado, sqlalchemy, asyncpg, bcrypt, alembic, jinja2, pydantic' 2>/dev/null; then
  log "pip install -e . into $VENV"
  "$VENV/bin/pip" install -q -e . >&2
fi

exec "$VENV/bin/python" bench/suite.py

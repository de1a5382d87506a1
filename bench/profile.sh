#!/usr/bin/env bash
# A py-spy profile of our hot path (GET /dashboard, signed in, 64 connections):
#   bash bench/profile.sh
# Installs py-spy from PyPI into its own virtualenv (TOOLS_VENV, default /tmp/bench-tools),
# then runs bench/hotpath.py (see its docstring). Knobs: PROFILE_PATH=/dashboard
# PROFILE_SECONDS=8 SESSION_MODE=database. Needs what bench/run.sh installs (wrk, PostgreSQL).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${VENV:-$ROOT/.venv}"
TOOLS_VENV="${TOOLS_VENV:-/tmp/bench-tools}"
if [ ! -x "$TOOLS_VENV/bin/py-spy" ]; then
  python3 -m venv "$TOOLS_VENV"
  "$TOOLS_VENV/bin/pip" install -q py-spy >&2
fi
command -v wrk >/dev/null || { echo "profile.sh: wrk is missing (bash bench/run.sh installs it)" >&2; exit 1; }
PY_SPY="$TOOLS_VENV/bin/py-spy" exec "$VENV/bin/python" bench/hotpath.py

#!/usr/bin/env bash
# A release on one host, as a sample: install the new code's dependencies, migrate once
# (alembic upgrade head, before any new instance starts), then restart the instances one
# at a time, each answering /readyz before the next goes down, so nginx always has one.
#   INSTANCES="8001 8002" bash deploy/release.sh      (run in /srv/tornado-pages as root)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
INSTANCES="${INSTANCES:-8001 8002}"
set -a; . /etc/tornado-pages/env; set +a

.venv/bin/pip install -q -e .
.venv/bin/alembic upgrade head

for port in $INSTANCES; do
  systemctl restart "tornado-pages@$port"
  for _ in $(seq 1 60); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" && break
    sleep 0.5
  done
  curl -fsS "http://127.0.0.1:$port/readyz" || { echo "instance $port is not ready; stopping the release" >&2; exit 1; }
  echo
done

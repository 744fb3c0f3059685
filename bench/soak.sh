#!/usr/bin/env bash
# Soak: 50 wall displays refreshing every 5 s against `callboard serve` on the bench database
# with the live simulator running, for SECONDS (default 3600; 86400 = a day). One line per
# minute goes to bench/results/soak-<start>.csv as it happens (requests, errors, p50/p95/p99,
# server RSS and CPU), so a day-long run can be watched and cut short without losing data;
# the summary (RSS at start and end) is printed at the end.
#   bench/soak.sh [SECONDS] [extra bench.wallboard_load options, e.g. --workers 4]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-3600}"
shift || true
stamp="$(date -u +%Y%m%d-%H%M%S)"
mkdir -p bench/results
exec .venv/bin/python -m bench.wallboard_load --duration "$seconds" --window 60 \
    --csv "bench/results/soak-$stamp.csv" --json "bench/results/soak-$stamp.json" "$@"

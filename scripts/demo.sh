#!/usr/bin/env bash
# Installs Callboard and starts the demo: embedded SQLite database (var/callboard.db) filled
# with generated demo data, dashboard at http://127.0.0.1:8050. Extra arguments go to
# `callboard demo` (e.g. --days 30).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh
exec .venv/bin/callboard demo "$@"

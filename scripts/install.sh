#!/usr/bin/env bash
# Creates .venv (if missing) and installs Callboard into it.
#   scripts/install.sh          the app
#   scripts/install.sh --dev    the app plus everything the tests need (Python side)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
  .venv/bin/pip install --quiet --upgrade pip
fi
extra=""
[ "${1:-}" = "--dev" ] && extra="[dev]"
.venv/bin/pip install --quiet --disable-pip-version-check -e ".${extra}"

#!/usr/bin/env bash
# Installs everything the tests need and runs them:
#  - Debian: Chromium + driver and fonts (browser tests, figure export), poppler-utils (PDF checks)
#  - PostgreSQL: started if installed but stopped; installed (and opened for local trust
#    auth) if missing
#  - Python: .venv with the dev dependencies
# Then runs pytest (extra arguments are passed on).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
command -v pdftoppm >/dev/null 2>&1 || need_apt+=(poppler-utils)
for font in /usr/share/fonts/truetype/dejavu /usr/share/fonts/truetype/liberation2 /usr/share/fonts/truetype/noto; do
  [ -d "$font" ] || need_apt+=(fonts-dejavu-core fonts-liberation2 fonts-noto-core)
done
if ! command -v pg_ctlcluster >/dev/null 2>&1; then need_apt+=(postgresql); fi
if [ -z "${CALLBOARD_TEST_MYSQL_URL:-}" ] && ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
  need_apt+=(mariadb-server)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq $(printf '%s\n' "${need_apt[@]}" | sort -u) >/dev/null
fi

# PostgreSQL: the tests need a reachable server (CI fails, never skips, without one).
if [ -z "${CALLBOARD_TEST_POSTGRES_URL:-}" ]; then
  if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    version=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1)
    if [ -z "$version" ]; then
      echo "PostgreSQL is not installed and could not be installed" >&2; exit 1
    fi
    hba=/etc/postgresql/$version/main/pg_hba.conf
    if ! grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$hba"; then
      # A freshly installed server: let local TCP connections in without a password, as
      # on the development machines (tests only ever use 127.0.0.1).
      sed -i -E 's/^(host\s+all\s+all\s+127\.0\.0\.1\/32\s+)\S+/\1trust/' "$hba"
    fi
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
  fi
  psql -h 127.0.0.1 -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 \
    || psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE test"
fi

# MariaDB: the --from-db importers are tested against a real one (CI fails without it).
if [ -z "${CALLBOARD_TEST_MYSQL_URL:-}" ]; then
  if ! mariadb-admin -h 127.0.0.1 -u root ping >/dev/null 2>&1; then
    if [ -x /etc/init.d/mariadb ]; then
      /etc/init.d/mariadb start >/dev/null || true  # mysqld_safe: runs the server as mysql
    else
      mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
      start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
    fi
    for _ in $(seq 1 30); do mariadb-admin -h 127.0.0.1 -u root ping >/dev/null 2>&1 && break; sleep 1; done
    # A fresh Debian install lets root in by socket only: allow the empty password over TCP
    # as on the development machines (tests only ever use 127.0.0.1).
    mariadb-admin -h 127.0.0.1 -u root ping >/dev/null 2>&1 || mariadb -u root -e \
      "ALTER USER root@localhost IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('')"
  fi
  mariadb -h 127.0.0.1 -u root -e "CREATE DATABASE IF NOT EXISTS test"
fi

./scripts/install.sh --dev
exec .venv/bin/python -m pytest "$@"

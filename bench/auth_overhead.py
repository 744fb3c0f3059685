"""What signing in costs per request and per login (callboard.auth), on SQLite and PostgreSQL.

    .venv/bin/python -m bench.auth_overhead [--requests 300] [--pg-url URL]

Rows (median of --requests runs, milliseconds):
- session check: data.access.sessions.load (the guard's lookup on every request) beside
  the bare SQL of the same join;
- scope of a user: users.scope_for_user (user, scope rows, role masking) beside bare SQL;
- a request through the whole app with the guard (session check, level decision, security
  headers, CSRF cookie) beside the same request to an app without it: GET /_dash-dependencies,
  whose answer does not depend on who asks — the guard's share of a request;
- one password hash: the OWASP Argon2id parameters used beside argon2-cffi's default (the
  naive choice: 64 MiB, 3 passes, 4 lanes).
Each database is a fresh one (SQLite file in a temporary directory; on PostgreSQL a
database named callboard_bench_auth, dropped at the end).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import tempfile
import time
from contextlib import contextmanager

import sqlalchemy as sa

def median_ms(fn, n: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


@contextmanager
def database(kind: str, pg_url: str | None):
    from callboard.core.settings import reset_settings_cache
    from data import db
    from data.migrate import upgrade

    if kind == "sqlite":
        tmp = tempfile.mkdtemp(prefix="bench-auth-")
        url = f"sqlite:///{tmp}/callboard.db"
        admin = None
    else:
        base = sa.engine.make_url(pg_url)
        admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql('DROP DATABASE IF EXISTS "callboard_bench_auth" WITH (FORCE)')
            conn.exec_driver_sql('CREATE DATABASE "callboard_bench_auth"')
        url = base.set(database="callboard_bench_auth").render_as_string(hide_password=False)
    os.environ["CALLBOARD_DATABASE_URL"] = url
    reset_settings_cache()
    upgrade(url)
    try:
        yield url
    finally:
        db.dispose_engines()
        if admin is not None:
            with admin.connect() as conn:
                conn.exec_driver_sql('DROP DATABASE IF EXISTS "callboard_bench_auth" WITH (FORCE)')
            admin.dispose()


def run(kind: str, pg_url: str | None, n: int) -> list[tuple[str, float, str, float]]:
    from data.access import sessions
    from data.access import users
    from data import db
    from data import schema as s

    rows = []
    with database(kind, pg_url):
        users.add_user("bench-admin", "bench-password", "admin")
        uid = users.add_user("bench-manager", "bench-password", "manager")
        users.set_scope("bench-manager", groups=["Sales"], queues=["600", "601"])
        sid = sessions.create(uid)
        h = sessions.hash_id(sid)
        us, u = s.user_session, s.app_user
        bare_session = (sa.select(us.c.user_id, us.c.last_seen_utc, us.c.expires_utc, u.c.role, u.c.disabled)
                        .join(u, u.c.id == us.c.user_id).where(us.c.id_hash == h))
        rows.append(("session check", median_ms(lambda: sessions.load(sid), n),
                     "bare SQL", median_ms(lambda: db.fetch_all(bare_session), n)))
        bare_scope = sa.select(s.user_scope).where(s.user_scope.c.user_id == uid)
        rows.append(("scope of a user", median_ms(lambda: users.scope_for_user(uid), n),
                     "bare SQL", median_ms(lambda: db.fetch_all(bare_scope), n)))

        from app import create_app

        guarded = create_app().server.test_client()
        page = guarded.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        guarded.post("/login", data=dict(username="bench-admin", password="bench-password", csrf_token=token))
        guarded.get("/records")

        # The same app without the guard: its before/after hooks taken off.
        bare_app = create_app()
        server = bare_app.server
        server.before_request_funcs[None] = [f for f in server.before_request_funcs.get(None, [])
                                             if f.__module__ != "callboard.web.auth.guard"]
        server.after_request_funcs[None] = [f for f in server.after_request_funcs.get(None, [])
                                            if f.__module__ != "callboard.web.auth.guard"]
        bare = server.test_client()
        bare.get("/healthz")

        def get(client):
            resp = client.get("/_dash-dependencies")
            assert resp.status_code == 200, resp.status_code

        rows.append(("GET /_dash-dependencies", median_ms(lambda: get(guarded), n),
                     "without the guard", median_ms(lambda: get(bare), n)))
    return rows


def hashing(n: int) -> tuple[str, float, str, float]:
    from argon2 import PasswordHasher

    from data.access.passwords import _hasher

    default = PasswordHasher()
    return ("password hash (OWASP Argon2id)", median_ms(lambda: _hasher.hash("bench-password"), n),
            "argon2-cffi default", median_ms(lambda: default.hash("bench-password"), n))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--pg-url", default=os.environ.get("CALLBOARD_BENCH_AUTH_URL",
                                                       "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--no-pg", action="store_true")
    args = ap.parse_args()
    table = []
    for kind in ("sqlite",) + (() if args.no_pg else ("postgresql",)):
        table += [(kind, *row) for row in run(kind, args.pg_url, args.requests)]
    table.append(("-", *hashing(min(args.requests, 10))))
    print(f"{'database':<11} {'what':<31} {'ms':>8}   {'beside':<20} {'ms':>8}  {'ratio':>6}")
    for kind, what, ms, other, other_ms in table:
        print(f"{kind:<11} {what:<31} {ms:>8.2f}   {other:<20} {other_ms:>8.2f}  {ms / other_ms:>6.2f}")


if __name__ == "__main__":
    main()

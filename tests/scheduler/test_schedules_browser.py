"""The schedules page in Chromium and the emailed links over HTTP, against one running app
(SQLite) and one real SMTP server.

- Schedules page: invalid input shows each reason under its field and saves nothing;
  valid input saves; "Run now" sends the mail; no callback errors.
- Links: the download link returns the stored file WITHOUT a login; the view link shows
  the same numbers read-only without a login and redirects a signed-in user to the report
  page with the schedule's filters; an expired link answers 410
  and a forged one 404, with a page and no data.
"""

from __future__ import annotations

import csv
import io
import os
import urllib.error
import urllib.request
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from callboard.reports import schedules
from data import db
from data import schema as s
from scheduler import runner
from tests.browser_support import (
    DASH_IDLE_JS, app_settings, browser_page, chromium, running_app, watch_problems,
)
from tests.scheduler.smtp_support import attachment, insert_admin, insert_calls, links, smtp_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """(base url, mailbox, env) of the app on a filled SQLite database, with SMTP."""
    from data.migrate import upgrade

    tmp = tmp_path_factory.mktemp("schedules")
    url = f"sqlite:///{tmp / 'callboard.db'}"
    with smtp_server() as (box, port):
        env = dict(CALLBOARD_DATABASE_URL=url, CALLBOARD_TIMEZONE="Europe/Prague", CALLBOARD_DEFAULT_LANGUAGE="en",
                   CALLBOARD_FILES_DIR=str(tmp / "files"), CALLBOARD_RECORDINGS_DIR=str(tmp / "rec"),
                   CALLBOARD_SMTP_HOST="127.0.0.1", CALLBOARD_SMTP_PORT=str(port), CALLBOARD_SMTP_SECURITY="none")
        with app_settings(**env):
            upgrade(url)
            engine = sa.create_engine(url)
            with engine.begin() as conn:
                insert_calls(conn)
                insert_admin(conn)
            engine.dispose()
        with running_app(env, tmp) as base:
            env["CALLBOARD_BASE_URL"] = base
            yield base, box, env


@pytest.fixture
def settings_of(setup, monkeypatch):
    """This process's settings pointed at the app's database, files and SMTP server."""
    from callboard.core.settings import reset_settings_cache

    for k, v in setup[2].items():
        monkeypatch.setenv(k, v)
    reset_settings_cache()
    yield
    db.dispose_engines()
    reset_settings_cache()


def _idle(page):
    page.wait_for_function(DASH_IDLE_JS)


def _count_schedules() -> int:
    return len(db.fetch_all(sa.select(s.schedule.c.id)))


def test_schedules_page_refuses_next_to_the_field_saves_and_runs_now(setup, settings_of):
    base, box, _env = setup
    before = len(box.messages)
    with chromium() as browser, browser_page(browser, base, timeout_ms=20_000,
                                             viewport={"width": 1400, "height": 1000}) as page:
        problems = watch_problems(page)
        page.goto("/schedules/reports")
        page.wait_for_selector("#sch-save")
        _idle(page)
        page.fill("#sch-name", "Report_1")
        page.fill("#sch-recipients", "; ".join(f"u{i}@example.com" for i in range(11)))
        for label in ("Outbound", "Internal", "Inbound"):
            page.locator("#sch-directions").get_by_text(label, exact=True).click()
        page.fill("#sch-link_valid_hours", "12")
        page.click("#sch-save")
        page.wait_for_function("() => document.querySelector('#sch-err-recipients').innerText.length > 0")
        assert page.inner_text("#sch-err-recipients") == "At most 10 addresses; you entered 11."
        assert "at least one communication type" in page.inner_text("#sch-err-directions")
        assert page.inner_text("#sch-err-link_valid_hours") == "The link validity must be between 24 and 120 hours."
        assert page.inner_text("#sch-err-name") == ""
        assert _count_schedules() == 0  # nothing saved

        page.fill("#sch-recipients", "boss@example.com; deputy@example.cz")
        page.locator("#sch-directions").get_by_text("Inbound", exact=True).click()
        page.fill("#sch-link_valid_hours", "72")
        page.locator("#sch-format").get_by_text("CSV", exact=True).click()  # PDFs are tested elsewhere
        page.click("#sch-save")
        page.wait_for_selector("#sch-saved")
        assert page.inner_text("#sch-err-recipients") == ""
        assert _count_schedules() == 1
        (row,) = db.fetch_all(sa.select(s.schedule))
        assert (row.name, row.report_type, row.filters["directions"], row.link_valid_hours, row.format) == (
            "Report_1", "extension-statistics", ["inbound"], 72, "csv")
        page.wait_for_selector(f"#sch-row-{row.id}")
        page.screenshot(path="/tmp/scheduler-shots-schedules.png", full_page=True)

        page.locator(f"#sch-row-{row.id}").get_by_text("Run now").click()
        page.wait_for_selector("#sch-run-result")
        assert "was sent" in page.inner_text("#sch-run-result"), page.inner_text("#sch-run-result")
        _idle(page)
        assert "Sent" in page.inner_text("#sch-runs-table")

        # a report with its own option: editing shows and keeps it
        other = schedules.create({"name": "Monthly activity", "kind": "report", "report_type": "pbx-activity",
                                  "options": {"by": "month"}, "period": "last_month", "directions": ["inbound"],
                                  "recipients": "boss@example.com", "frequency": "monthly", "day_of_month": 31,
                                  "run_time": "07:00", "link_valid_hours": 24, "format": "csv", "language": "en"},
                                 owner_id=row.owner_id)
        page.reload()
        page.wait_for_selector(f"#sch-row-{other}")
        _idle(page)
        page.locator(f"#sch-row-{other}").get_by_text("Edit").click()
        page.wait_for_function("() => document.querySelector('#sch-name').value === 'Monthly activity'")
        _idle(page)
        assert page.is_visible("#sch-option") and "Month" in page.inner_text("#sch-option-box")
        assert page.input_value("#sch-day_of_month") == "31"
        page.fill("#sch-name", "Monthly PBX activity")
        page.click("#sch-save")
        page.wait_for_selector("#sch-saved")
        edited = schedules.get(other)
        assert (edited.name, edited.filters["options"], edited.day_of_month) == ("Monthly PBX activity",
                                                                                 {"by": "month"}, 31)
        assert _count_schedules() == 2
        page.click("#sch-new")
        page.wait_for_function("() => document.querySelector('#sch-name').value === ''")
        assert page.input_value("#sch-recipients") == ""
        assert problems == []
    assert len(box.messages) == before + 1
    assert box.messages[-1]["Subject"].startswith("Report_1: Extension call statistics")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **kw):
        return None


def _anonymous(url: str):
    """GET without any session (a fresh opener: no cookies, redirects not followed)."""
    opener = urllib.request.build_opener(_NoRedirect())
    try:
        with opener.open(url, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def test_emailed_links_work_without_login_until_they_expire(setup, settings_of):
    base, box, _env = setup
    admin = db.fetch_all(sa.select(s.app_user.c.id).where(s.app_user.c.username == "admin"))[0].id
    schedules.create({"name": "Links", "kind": "report", "report_type": "extension-statistics",
                      "period": "fixed", "fixed_from": "2026-11-01", "fixed_to": "2026-11-25",
                      "directions": ["inbound"], "recipients": "boss@example.com",
                      "frequency": "weekly", "weekday": 2, "run_time": "10:00", "link_valid_hours": 24,
                      "format": "csv", "language": "cs"}, owner_id=admin, now=datetime(2026, 11, 20))
    now = schedules.utc_now() - timedelta(hours=1)  # a run an hour ago: its 24-hour link is valid
    run_id = runner.run_now(db.fetch_all(sa.select(s.schedule.c.id).where(s.schedule.c.name == "Links"))[0].id,
                            now)
    (outcome,) = runner.process_ready(now, only=run_id)
    assert outcome.status == "sent"
    msg = box.messages[-1]
    urls = links(msg)
    assert urls["download"].startswith(base + "/files/")

    status, headers, body = _anonymous(urls["download"])
    assert status == 200 and "attachment" in headers["Content-Disposition"]
    assert body == attachment(msg)[1]
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    assert rows[0][0] != "Extension"  # in the schedule's language (cs)
    assert {r[0]: r[2] for r in rows[1:]} == {"101": "2", "102": "1"}

    # without a login: the same numbers read-only, in the schedule's language (cs)
    status, _headers, body = _anonymous(urls["view"])
    assert status == 200
    page = body.decode()
    assert "<h1 class=\"h4\">Links: " in page
    assert "<td>101</td><td>Alice Dvořáková</td><td>2</td>" in page and "<td>102</td><td>Bob</td><td>1</td>" in page
    # signed in: the interactive report page with the schedule's filters
    req = urllib.request.Request(urls["view"], method="GET")
    opener = urllib.request.build_opener(_NoRedirect())
    from tests.browser_support import SESSION_COOKIE, session_of

    req.add_header("Cookie", f"{SESSION_COOKIE}={session_of(base)}")
    try:
        opener.open(req, timeout=10)
        raise AssertionError("no redirect")
    except urllib.error.HTTPError as err:
        assert err.code == 303
        assert err.headers["Location"].endswith(
            "/reports/extension-statistics?from=2026-11-01&to=2026-11-25&dir=inbound&lang=cs")

    forged = urls["download"][:-4] + ("AAAA" if not urls["download"].endswith("AAAA") else "BBBB")
    status, _h, body = _anonymous(forged)
    assert status == 404 and b"101" not in body

    with db.transaction() as conn:  # the link's 24 hours are over
        conn.execute(s.delivery.update().where(s.delivery.c.run_id == run_id)
                     .values(expires_utc=datetime(2026, 1, 1)))
    status, _h, body = _anonymous(urls["download"])
    assert status == 410 and "Platnost odkazu vypršela".encode() in body and b"101," not in body
    status, _h, _b = _anonymous(urls["view"])
    assert status == 410
    # a signed-in user still downloads it from the download list
    delivery_id = db.fetch_all(sa.select(s.delivery.c.id).where(s.delivery.c.run_id == run_id))[0].id
    assert _anonymous(f"{base}/files/by-id/{delivery_id}")[0] in (302, 401, 404)  # not without a login
    with urllib.request.urlopen(f"{base}/files/by-id/{delivery_id}", timeout=10) as resp:  # signed in
        assert resp.status == 200 and resp.read() == attachment(msg)[1]


def test_cdr_export_as_xlsx_matches_the_database(setup, settings_of):
    """A call-records schedule as XLSX: the file behind the emailed link holds exactly the
    period's calls of the chosen types (hand-checked: inbound n1, n2, n4 in Nov 1..25)."""
    import openpyxl

    base, box, _env = setup
    admin = db.fetch_all(sa.select(s.app_user.c.id).where(s.app_user.c.username == "admin"))[0].id
    sid = schedules.create({"name": "Inbound CDR", "kind": "cdr", "period": "fixed", "fixed_from": "2026-11-01",
                            "fixed_to": "2026-11-25", "directions": ["inbound"], "recipients": "ops@example.com",
                            "frequency": "daily", "run_time": "06:00", "link_valid_hours": 120, "format": "xlsx",
                            "language": "en"}, owner_id=admin)
    now = schedules.utc_now()
    (outcome,) = runner.process_ready(now, only=runner.run_now(sid, now))
    assert outcome.status == "sent", outcome.error
    urls = links(box.messages[-1])
    status, headers, body = _anonymous(urls["download"])
    assert status == 200
    sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).active
    cells = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    # one row per inbound call (their caller is +420601000111), none for n3 (outbound) or n5 (October)
    assert sum(1 for row in cells if "+420601000111" in row) == 3
    assert not any("+420777000222" in row for row in cells)
    expected = db.fetch_all(sa.select(s.call.c.call_uid).where(
        s.call.c.direction == "inbound", s.call.c.start_utc >= datetime(2026, 10, 31, 23),
        s.call.c.start_utc < datetime(2026, 11, 25, 23)))
    assert sorted(r.call_uid for r in expected) == ["n1", "n2", "n4"]
    (delivery,) = db.fetch_all(sa.select(s.delivery).where(s.delivery.c.schedule_id == sid))
    assert (delivery.record_count, delivery.total_count, delivery.format) == (3, 3, "xlsx")
    assert "/records?preset=custom&from=2026-11-01&to=2026-11-25&dir=inbound" in delivery.view_path

"""Issue 15, points 7, 8 and 9 (ids): a schedule is read only by its owner (or an
administrator) in every schedule callback; downloads of generated files (by the emailed
link and from the download list), a report's "CSV with calls" and "run now" leave an
audit row, read back here; ids the database cannot hold answer 400, not 500.

The app and its principals: tests/callboard/web/auth/conftest.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from dash._utils import stringify_id

from callboard.reports import schedules
from data.access import users
from data import db
from data import schema as s
from tests.callboard.web.auth.support import PASSWORD, client_of, exact_body, post_body, server_callbacks

SCHEDULE = dict(kind="report", report_type="ivr", period="last_month", recipients="b@example.com",
                frequency="weekly", run_time="08:00", weekday=0, link_valid_hours=72, format="csv", language="en",
                directions=["inbound", "outbound", "internal"], options={"by": "month"})


def _now():
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _key(app, first_output: str, prop: str) -> str:
    """The callback_map key of the server-side callback whose first output is id.prop."""
    return next(k for k, outs in server_callbacks(app).items()
                if outs[0]["id"] == first_output and outs[0]["property"].split("@")[0] == prop)


def _updates(answer) -> dict:
    """What a callback's answer changes on the page ({} for none); a 500 fails here."""
    assert answer.status_code in (200, 204), answer.get_data(as_text=True)[:300]
    return answer.get_json()["response"] if answer.status_code == 200 else {}


def _user_id(name: str) -> int:
    return next(u.id for u in users.list_users() if u.username == name)


def _audit_rows(action: str) -> list:
    a = s.audit_log
    return db.fetch_all(sa.select(a).where(a.c.action == action).order_by(a.c.id))


@pytest.fixture(scope="module")
def manager_b(world):
    """A second manager with a report schedule of her own: (client, schedule id)."""
    app, _ = world
    users.add_user("manager_b", PASSWORD, "manager", actor="test")
    users.set_scope("manager_b", groups=["Sales"], actor="test")
    sid = schedules.create(dict(SCHEDULE, name="B's IVR report"), owner_id=_user_id("manager_b"))
    client = client_of(app, "manager_b")
    client.get("/schedules/reports")
    return client, sid


def test_the_report_type_of_another_managers_schedule_is_not_read(world, clients, manager_b):
    """The form's report-type callback loaded any schedule's report type by id (issue 15)."""
    app, _ = world
    client_b, sid = manager_b
    key = _key(app, "sch-report_type", "value")
    body = exact_body(app, key, {("sch-edit-id", "data"): sid, ("sch-kind", "data"): "report"})
    body["changedPropIds"] = ["sch-edit-id.data"]
    answer = post_body(clients["manager_a"], body)
    assert _updates(answer) == {}  # no update: as if it did not exist
    for owner in (client_b, clients["admin"]):  # its owner and the administrator get it
        answer = post_body(owner, body)
        assert answer.status_code == 200 and answer.get_json()["response"]["sch-report_type"]["value"] == "ivr"
    # The report option callback does not read its stored option either ("month" vs the default "day").
    key = _key(app, "sch-option-box", "style")
    body = exact_body(app, key, {("sch-report_type", "value"): "ivr", ("sch-edit-id", "data"): sid,
                                 ("sch-option", "value"): None, ("lang", "value"): "en"})
    assert post_body(clients["manager_a"], body).get_json()["response"]["sch-option"]["value"] == "day"
    assert post_body(client_b, body).get_json()["response"]["sch-option"]["value"] == "month"


def _row_action(app, client, action: str, sid):
    key = _key(app, "sch-message", "children")
    body = exact_body(app, key, {("sch-version", "data"): 0, ("lang", "value"): "en"})
    button = {"type": "sch-act", "action": action, "id": sid}
    body["inputs"] = [[{"id": button, "property": "n_clicks", "value": 1}]]
    body["changedPropIds"] = [stringify_id(button) + ".n_clicks"]
    return post_body(client, body)


def test_run_now_is_audited_and_only_for_the_owner(world, clients, manager_b):
    app, _ = world
    client_b, sid = manager_b
    before = len(_audit_rows("schedule_run_now"))
    refused = _row_action(app, clients["manager_a"], "run", sid)
    assert refused.status_code == 200 and "no longer exists" in refused.get_data(as_text=True)
    assert len(_audit_rows("schedule_run_now")) == before  # nothing ran
    done = _row_action(app, client_b, "run", sid)
    assert done.status_code == 200 and "B's IVR report" in done.get_data(as_text=True)
    row = _audit_rows("schedule_run_now")[-1]
    assert (row.username, row.object_type, row.object_id, row.ip) == ("manager_b", "schedule", str(sid), "127.0.0.1")
    assert row.details["name"] == "B's IVR report" and row.details["run_id"] > 0 and row.details["status"]
    # Ids that are no schedule's: the same "no longer exists", never a 500.
    for bad in ("abc", 10**30, -1, True):
        answer = _row_action(app, client_b, "edit", bad)
        assert answer.status_code == 200 and "no longer exists" in answer.get_data(as_text=True), bad


def test_downloads_of_generated_files_are_audited(world, clients):
    from callboard.core.settings import get_settings
    from scheduler import links

    owner = _user_id("manager_a")
    rel = "audit/team-a.csv"
    (get_settings().files_dir / "audit").mkdir(parents=True, exist_ok=True)
    (get_settings().files_dir / rel).write_text("a;b\n")
    salt = links.new_salt()
    with db.transaction() as conn:
        did = conn.execute(sa.insert(s.delivery).values(
            owner_id=owner, kind="cdr", name="Team A export", format="csv", path=rel, status="sent",
            created_utc=_now(), expires_utc=_now() + timedelta(hours=24), filename="team-a.csv",
            mimetype="text/csv", language="en", token_hash=links.token_hash(links.token_for(salt)), token_salt=salt,
        ).returning(s.delivery.c.id)).scalar_one()
    assert clients["anonymous"].get("/files/" + links.token_for(salt)).data == b"a;b\n"
    assert clients["manager_a"].get(f"/files/by-id/{did}").data == b"a;b\n"
    assert clients["viewer_a"].get(f"/files/by-id/{did}").status_code == 404  # not hers: no row
    by_link, by_list = _audit_rows("download_file")[-2:]
    assert (by_link.username, by_link.user_id, by_link.ip, by_link.object_id) == (None, None, "127.0.0.1", str(did))
    assert by_link.details == {"via": "link", "name": "Team A export", "filename": "team-a.csv", "owner_id": owner}
    assert (by_list.username, by_list.user_id, by_list.details["via"]) == ("manager_a", owner, "list")
    assert len(_audit_rows("download_file")) == 2  # the refused download wrote none
    assert clients["anonymous"].get("/files/not-a-token").status_code == 404
    assert len(_audit_rows("download_file")) == 2


def test_a_reports_csv_with_calls_is_audited(world, clients):
    app, _ = world
    key = _key(app, "pa-csv", "data")
    body = exact_body(app, key, {("pa-dates", "start_date"): "2026-03-10", ("pa-dates", "end_date"): "2026-03-10",
                                 ("pa-csv-calls-btn", "n_clicks"): 1, ("pa-lang", "data"): "en"})
    body["changedPropIds"] = ["pa-csv-calls-btn.n_clicks"]
    answer = post_body(clients["manager_a"], body)
    assert answer.status_code == 200
    csv_text = answer.get_json()["response"]["pa-csv"]["data"]["content"]
    row = _audit_rows("export_report_calls")[-1]
    assert (row.username, row.object_type, row.object_id) == ("manager_a", "report", "pbx-activity")
    assert row.details == {"from": "2026-03-10", "to": "2026-03-10"} and csv_text
    body["changedPropIds"] = ["pa-csv-btn.n_clicks"]  # the report's own CSV (no calls): no row for it
    assert post_body(clients["manager_a"], body).status_code == 200
    assert len(_audit_rows("export_report_calls")) == 1


def test_ids_the_database_cannot_hold_answer_400(world, clients):
    app, ids = world
    for url in ("/recordings/99999999999999999999999/audio", "/recordings/0/audio",
                "/files/by-id/99999999999999999999999"):
        answer = clients["admin"].get(url)
        assert answer.status_code == 400 and answer.get_data(as_text=True) == "That is not a valid id.", url
    assert clients["admin"].get(f"/recordings/{ids['recs']['c1']}/audio").status_code == 200
    # The delete buttons' pattern ids and the confirmation's store come from the client too.
    key = _key(app, "rec-del-modal", "is_open")
    for oid, status in ((10**30, 200), ("x", 200), (None, 400)):  # None is no id value: the guard's 400
        body = exact_body(app, key, {("lang", "value"): "en"})
        button = {"type": "rec-del-ask", "kind": "recording", "oid": oid}
        body["inputs"][0] = [{"id": button, "property": "n_clicks", "value": 1}]
        body["changedPropIds"] = [stringify_id(button) + ".n_clicks"]
        answer = post_body(clients["admin"], body)
        assert answer.status_code == status and (status == 400 or _updates(answer) == {}), oid
    body = exact_body(app, key, {("rec-del-confirm", "n_clicks"): 1, ("rec-del-pending", "data"): ["x"],
                                 ("lang", "value"): "en"})
    body["changedPropIds"] = ["rec-del-confirm.n_clicks"]
    updates = _updates(post_body(clients["admin"], body))
    assert "rec-del-result" not in updates  # closed the dialog, deleted nothing, said nothing

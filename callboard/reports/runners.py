"""The report runners: one function per report turns its query's rows into the table behind
the chart (raw numbers; callboard.reports.results) — ``run_x(scope, filter, tz, engine,
path) -> (columns, table, chart frame, calls counted, notes[, filter used[, sections]])``.
The registry (callboard.reports.registry) names which runner each report uses.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy.engine import Engine

from callboard.core.i18n import N_
from callboard.core.settings import get_settings
from data import db, metrics
from data.queries.callbacks import callback_activity
from data.queries.did_dod import did_dod, phone_number_names
from data.queries.extensions import STATUS_COLUMNS, extension_activity, extension_names, extension_statistics
from data.queries.ivr import ivr_entered, ivr_names, ivr_next, ivr_options, ivr_options_over_time
from data.queries.missed import missed_unreturned
from data.queries.pbx import pbx_activity
from data.queries.queue_agents import (agent_calls, agent_logged_in, agent_paused, agent_pauses_list,
                                       agent_ring_no_answer, agent_sessions_list)
from data.queries.queues import QUEUE_SUMS, agents_logged_in_by_hour, queue_names, queue_stats, queue_targets
from data.queries.report_calls import report_calls
from data.queries.report_filter import DID_BY, PBX_BY, ReportFilter
from data.queries.ring_groups import ring_group_info, ring_group_members_answered, ring_groups
from data.queries.surveys import answered_queue_calls, survey_scores
from data.schema import IVR_OPTIONS
from data.scope import Scope, expand_groups
from data.timebuckets import UTC, hour_rows
from callboard.reports.results import (AVG, IVR_OPTION_LABELS, KIND_LABELS, PERIOD_LABELS, Col, ReportResult, Section,
                                      as_date, as_datetime)

# Finest interval allowed for a range of N days (more would not be readable).
MAX_DAYS = {15: 31, 30: 31, 60: 92}


# --------------------------------------------------------------------------- running


def _fetch(stmt, engine):
    return [tuple(r) for r in db.fetch_all(stmt, engine)]


def _names(stmt_fn, numbers, engine) -> dict[str, str]:
    numbers = [n for n in numbers if n]
    if not numbers:
        return {}
    return {n: name for n, name in _fetch(stmt_fn(numbers), engine)}


def _months(first: date, last: date) -> list[date]:
    out, m = [], first.replace(day=1)
    while m <= last:
        out.append(m)
        m = (m + timedelta(days=32)).replace(day=1)
    return out


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def run_extension_statistics(scope, flt, tz, engine, path):
    rows = _fetch(extension_statistics(scope, flt, tz, path=path), engine)
    keys = ["extension", "calls", *STATUS_COLUMNS, "talk_s", "hold_s"]
    df = pd.DataFrame(rows, columns=keys)
    for k in keys[1:]:
        df[k] = df[k].fillna(0).astype("int64")
    names = _names(extension_names, df["extension"].tolist(), engine)
    df.insert(1, "name", [names.get(e, "") for e in df["extension"]])
    df["avg_talk_s"] = [metrics.avg_talk_s(t, a) for t, a in zip(df["talk_s"], df["answered"])]
    df = df[["extension", "name", "calls", *STATUS_COLUMNS, "talk_s", "avg_talk_s", "hold_s"]]
    cols = [Col("extension", N_("Extension"), "text"), Col("name", N_("Name"), "text"), Col("calls", N_("Calls"))]
    cols += [Col(k, metrics.STATUS_LABELS[k]) for k in STATUS_COLUMNS]
    cols += [Col("talk_s", N_("Talk time"), "duration"), Col("avg_talk_s", N_("Average talk time"), "duration", digits=AVG),
             Col("hold_s", N_("Hold time"), "duration")]
    return cols, df, df, int(df["calls"].sum()), []


def run_pbx_activity(scope, flt, tz, engine, path):
    if flt.by not in PBX_BY:
        raise ValueError(f"by must be one of {PBX_BY}")
    rows = _fetch(pbx_activity(scope, flt, tz, path=path), engine)
    if flt.by == "hour_of_day":
        axis = list(range(24))
        norm = int
    elif flt.by == "day":
        axis, norm = _days(flt.first_day, flt.last_day), as_date
    else:
        axis, norm = _months(flt.first_day, flt.last_day), as_date
    found = {norm(r[0]): r[1:] for r in rows}
    data = []
    for p in axis:
        inbound, outbound, internal, calls, answered = (int(v or 0) for v in found.get(p, (0, 0, 0, 0, 0)))
        data.append((p, inbound, outbound, internal, calls, answered, metrics.unanswered(calls, answered)))
    df = pd.DataFrame(data, columns=["period", "inbound", "outbound", "internal", "calls", "answered", "unanswered"])
    kind = {"hour_of_day": "hour", "day": "date", "month": "month"}[flt.by]
    cols = [
        Col("period", PERIOD_LABELS[flt.by], kind),
        Col("inbound", N_("Inbound")),
        Col("outbound", N_("Outbound")),
        Col("internal", N_("Internal")),
        Col("calls", N_("Calls")),
        Col("answered", N_("Answered")),
        Col("unanswered", N_("Unanswered")),
    ]
    return cols, df, df, int(df["calls"].sum()), []


def _effective_interval(flt: ReportFilter) -> tuple[ReportFilter, list[str]]:
    interval = flt.interval
    while interval in MAX_DAYS and flt.days > MAX_DAYS[interval]:
        interval = {15: 60, 30: 60, 60: 1440}[interval]
    if interval != flt.interval:
        return flt.with_(interval=interval), [N_("The range is too long for the chosen interval; showing a coarser one.")]
    return flt, []


def run_extension_activity(scope, flt, tz, engine, path):
    flt, notes = _effective_interval(flt)
    rows = _fetch(extension_activity(scope, flt, tz, path=path), engine)
    if flt.interval == 1440:
        axis = [(d, 0) for d in _days(flt.first_day, flt.last_day)]
        found_key = lambda p, m: (as_date(p), 0)  # noqa: E731
    else:
        start, end = flt.bounds(tz)
        axis = [(h["bucket_utc"], m) for h in hour_rows(start, end, tz) for m in range(0, 60, flt.interval)]
        found_key = lambda p, m: (as_datetime(p), int(m))  # noqa: E731
    counts: dict[tuple, dict[str, int]] = {}
    answered: dict[tuple, int] = {}
    exts: list[str] = []
    for period, minute, ext, calls, ans in rows:
        k = found_key(period, minute)
        counts.setdefault(k, {})[ext] = counts.get(k, {}).get(ext, 0) + int(calls)
        answered[k] = answered.get(k, 0) + int(ans or 0)
        if ext not in exts:
            exts.append(ext)
    exts.sort(key=lambda e: (len(e), e))
    data, long = [], []
    for k in axis:
        if flt.interval == 1440:
            when = k[0]
        else:
            when = (k[0] + timedelta(minutes=k[1])).replace(tzinfo=UTC).astimezone(tz)
        per = counts.get(k, {})
        row = {"time": when}
        for e in exts:
            row[f"ext:{e}"] = per.get(e, 0)
            long.append((when, e, per.get(e, 0)))
        row["calls"] = sum(per.values())
        row["answered"] = answered.get(k, 0)
        data.append(row)
    keys = ["time", *(f"ext:{e}" for e in exts), "calls", "answered"]
    df = pd.DataFrame(data, columns=keys)
    cols = [Col("time", N_("Day") if flt.interval == 1440 else N_("Time"), "date" if flt.interval == 1440 else "datetime")]
    cols += [Col(f"ext:{e}", e, "int", translate=False) for e in exts]
    cols += [Col("calls", N_("Calls")), Col("answered", N_("Answered"))]
    chart = pd.DataFrame(long, columns=["time", "extension", "calls"])
    return cols, df, chart, int(df["calls"].sum()) if len(df) else 0, notes, flt


def run_did_dod(scope, flt, tz, engine, path):
    if flt.by not in DID_BY:
        raise ValueError(f"by must be one of {DID_BY}")
    rows = _fetch(did_dod(scope, flt, tz, path=path), engine)
    df = pd.DataFrame(rows, columns=["period", "kind", "number", "calls", "answered", "talk_s"])
    df["period"] = [as_date(p) for p in df["period"]]
    for k in ("calls", "answered", "talk_s"):
        df[k] = df[k].fillna(0).astype("int64")
    names = _names(phone_number_names, df["number"].unique().tolist(), engine)
    df.insert(3, "name", [names.get(n, "") for n in df["number"]])
    df = df.sort_values(["period", "kind", "number"], kind="stable").reset_index(drop=True)
    kind = "date" if flt.by == "day" else "month"
    cols = [
        Col("period", PERIOD_LABELS[flt.by], kind),
        Col("kind", N_("Type"), "kind"),
        Col("number", N_("Number"), "text"),
        Col("name", N_("Name"), "text"),
        Col("calls", N_("Calls")),
        Col("answered", N_("Answered")),
        Col("talk_s", N_("Talk time"), "duration"),
    ]
    # Chart: every number over the whole axis, zero where it got no calls.
    axis = _days(flt.first_day, flt.last_day) if flt.by == "day" else _months(flt.first_day, flt.last_day)
    series = df.groupby(["kind", "number"], sort=True)["calls"].sum().index.tolist()
    found = {(p, k, n): c for p, k, n, c in zip(df["period"], df["kind"], df["number"], df["calls"])}
    chart = pd.DataFrame(
        [(p, k, n, names.get(n, ""), found.get((p, k, n), 0)) for k, n in series for p in axis],
        columns=["period", "kind", "number", "name", "calls"],
    )
    return cols, df, chart, int(df["calls"].sum()), [], flt


def _queue_frame(scope, flt, tz, engine, path):
    """The queue sums (data.queries.queues.queue_stats) as a frame: period (unless by
    queue), queue, name, then QUEUE_SUMS as integers; every period of the range appears for
    every queue that has calls in it (zeros elsewhere)."""
    rows = _fetch(queue_stats(scope, flt, tz, path=path), engine)
    per_period = flt.by != "queue"
    keys = (["period"] if per_period else []) + ["queue", *QUEUE_SUMS]
    df = pd.DataFrame(rows, columns=keys)
    for k in QUEUE_SUMS:
        df[k] = df[k].fillna(0).astype("int64")
    if per_period:
        norm = int if flt.by == "hour_of_day" else as_date
        df["period"] = [norm(p) for p in df["period"]]
        axis = (list(range(24)) if flt.by == "hour_of_day" else
                _days(flt.first_day, flt.last_day) if flt.by == "day" else _months(flt.first_day, flt.last_day))
        queues = sorted(df["queue"].unique().tolist())
        found = {(p, qn): r for p, qn, r in zip(df["period"], df["queue"], df[list(QUEUE_SUMS)].itertuples(index=False))}
        zero = tuple(0 for _k in QUEUE_SUMS)
        df = pd.DataFrame([(p, qn, *found.get((p, qn), zero)) for p in axis for qn in queues], columns=keys)
        for k in QUEUE_SUMS:
            df[k] = df[k].astype("int64")
    names = _names(queue_names, df["queue"].unique().tolist(), engine)
    df.insert(keys.index("queue") + 1, "name", [names.get(n, "") for n in df["queue"]])
    return df


def _objects(index, values) -> pd.Series:
    """A column of optional numbers kept as objects, so that 'no value' stays None (not NaN)."""
    return pd.Series(values, index=index, dtype="object")


def _period_cols(flt) -> list[Col]:
    if flt.by == "queue":
        return []
    return [Col("period", PERIOD_LABELS[flt.by], {"hour_of_day": "hour", "day": "date", "month": "month"}[flt.by])]


def run_queue_performance(scope, flt, tz, engine, path):
    if flt.by == "staffing":
        return run_queue_staffing(scope, flt, tz, engine, path)
    df = _queue_frame(scope, flt, tz, engine, path)
    out = df[[k for k in ("period", "queue", "name") if k in df]].copy()
    out["calls"] = df["calls"]
    out["offered"] = [metrics.offered(c, s, w) for c, s, w in zip(df["calls"], df["short_abandons"], df["waiting"])]
    out["answered"] = df["answered"]
    out["abandoned"] = [metrics.abandoned_excl_short(a, s) for a, s in zip(df["abandoned"], df["short_abandons"])]
    for k in ("short_abandons", "timed_out", "exit_key", "no_agents"):
        out[k] = df[k]
    out["service_level"] = _objects(out.index, [metrics.service_level(w, o) for w, o in zip(df["within_sl"], out["offered"])])
    out["abandon_rate"] = _objects(out.index, [metrics.abandon_rate(a, o) for a, o in zip(out["abandoned"], out["offered"])])
    out["asa_s"] = _objects(out.index, [metrics.asa_s(w, a) for w, a in zip(df["answered_wait_s"], df["answered"])])
    out["wait_max_s"] = _objects(out.index, [int(w) if c else None for w, c in zip(df["wait_max_s"], df["calls"])])
    # A call still talking at the end of the data has no talk yet: divided by `talked`.
    out["avg_talk_s"] = _objects(out.index, [metrics.avg_talk_s(t, n) for t, n in zip(df["talk_s"], df["talked"])])
    # Open at the end of the data (no exit yet): shown apart, outside the rates and averages.
    out["waiting"], out["talking"] = df["waiting"], df["talking"]
    cols = _period_cols(flt) + [
        Col("queue", N_("Queue"), "text"), Col("name", N_("Name"), "text"),
        Col("calls", N_("Calls")), Col("offered", N_("Offered")), Col("answered", N_("Answered")),
        Col("abandoned", N_("Abandoned")), Col("short_abandons", N_("Short abandons")),
        Col("timed_out", N_("Timed out")), Col("exit_key", N_("Exited by key")), Col("no_agents", N_("No agents")),
        Col("service_level", N_("Service level"), "percent"), Col("abandon_rate", N_("Abandon rate"), "percent"),
        Col("asa_s", N_("ASA"), "duration", digits=AVG), Col("wait_max_s", N_("Longest wait"), "duration"),
        Col("avg_talk_s", N_("Average talk time"), "duration", digits=AVG),
        Col("waiting", N_("Still waiting")), Col("talking", N_("Still talking")),
    ]
    return cols, out, out, int(out["calls"].sum()) if len(out) else 0, []


def run_queue_wait_talk(scope, flt, tz, engine, path):
    if flt.by == "queue":
        raise ValueError(f"by must be one of {PBX_BY}")
    df = _queue_frame(scope, flt, tz, engine, path)
    out = df[["period", "queue", "name", "calls", "answered"]].copy()
    out["avg_wait_answered_s"] = _objects(out.index, [metrics.asa_s(w, a) for w, a in zip(df["answered_wait_s"], df["answered"])])
    out["avg_wait_all_s"] = _objects(out.index, [metrics.avg_wait_all_s(w, metrics.closed_calls(c, n))
                                                 for w, c, n in zip(df["wait_s"], df["calls"], df["waiting"])])
    out["avg_talk_s"] = _objects(out.index, [metrics.avg_talk_s(t, n) for t, n in zip(df["talk_s"], df["talked"])])
    cols = _period_cols(flt) + [
        Col("queue", N_("Queue"), "text"), Col("name", N_("Name"), "text"),
        Col("calls", N_("Calls")), Col("answered", N_("Answered")),
        Col("avg_wait_answered_s", N_("Average wait (answered)"), "duration", digits=AVG),
        Col("avg_wait_all_s", N_("Average wait (all)"), "duration", digits=AVG),
        Col("avg_talk_s", N_("Average talk time"), "duration", digits=AVG),
    ]
    return cols, out, out, int(out["calls"].sum()) if len(out) else 0, []




def run_ivr(scope, flt, tz, engine, path):
    """Table: per IVR — calls entered, choices of each option (0-9 * # timeout invalid),
    all choices, the calls that hung up in the menu, of the calls started in the range.
    Section: where the calls went after each IVR (queue, extension, ... hung up). Chart:
    choices per option over local days / months of the call's start."""
    if flt.by not in DID_BY:
        raise ValueError(f"by must be one of {DID_BY}")
    entered = {ivr: int(n) for ivr, n in _fetch(ivr_entered(scope, flt, tz, path=path), engine)}
    chosen: dict[str, dict[str, int]] = {}
    for ivr, option, n in _fetch(ivr_options(scope, flt, tz, path=path), engine):
        if option in IVR_OPTIONS:
            chosen.setdefault(ivr, {})[option] = int(n)
    names = {n: name for n, name in _fetch(ivr_names(), engine)}
    went: list[tuple[str, str, str, int]] = []  # (ivr, type, number, calls)
    hung: dict[str, int] = {}
    for ivr, dest, n in _fetch(ivr_next(scope, flt, tz, path=path), engine):
        kind, _sep, number = dest.partition(":")
        went.append((ivr, kind, number, int(n)))
        if kind == "hangup":
            hung[ivr] = hung.get(ivr, 0) + int(n)
    ivrs = sorted(set(entered) | set(chosen), key=lambda v: (len(v), v))
    opt_keys = [f"opt:{o}" for o in IVR_OPTIONS]
    data = []
    for ivr in ivrs:
        per = chosen.get(ivr, {})
        data.append([ivr, names.get(ivr, ""), entered.get(ivr, 0), *(per.get(o, 0) for o in IVR_OPTIONS),
                     sum(per.values()), hung.get(ivr, 0)])
    df = pd.DataFrame(data, columns=["ivr", "name", "entered", *opt_keys, "choices", "hangup"])
    for k in ["entered", *opt_keys, "choices", "hangup"]:
        df[k] = df[k].astype("int64")
    cols = [Col("ivr", N_("IVR"), "text"), Col("name", N_("Name"), "text"), Col("entered", N_("Calls entered"))]
    cols += [Col(f"opt:{o}", IVR_OPTION_LABELS.get(o, o), "int", translate=o in IVR_OPTION_LABELS)
             for o in IVR_OPTIONS]
    cols += [Col("choices", N_("Choices")), Col("hangup", N_("Hung up in the menu"))]
    known_kinds = set(KIND_LABELS)
    next_df = pd.DataFrame([(i, k if k in known_kinds else "external", n, c) for i, k, n, c in went],
                           columns=["ivr", "next_type", "next", "calls"]).astype({"calls": "int64"})
    next_cols = [Col("ivr", N_("IVR"), "text"), Col("next_type", N_("Went to"), "kind"),
                 Col("next", N_("Number"), "text"), Col("calls", N_("Calls"))]
    sections = [Section("ivr-next", N_("Where the calls went after the IVR"), next_cols, next_df)]
    axis = _days(flt.first_day, flt.last_day) if flt.by == "day" else _months(flt.first_day, flt.last_day)
    over_time = ivr_options_over_time(scope, flt, tz, path=path)
    found = {(as_date(p), o): int(n) for p, o, n in _fetch(over_time, engine)}
    used = [o for o in IVR_OPTIONS if any(k[1] == o for k in found)]
    chart = pd.DataFrame([(p, o, found.get((p, o), 0)) for o in used for p in axis],
                         columns=["period", "option", "choices"])
    return cols, df, chart, int(df["entered"].sum()) if len(df) else 0, [], flt, sections


def _mean(total, n) -> float | None:
    """Mean over n answered legs (None when nothing was answered)."""
    return None if not n else float(total or 0) / int(n)


def run_ring_groups(scope, flt, tz, engine, path):
    """Table: per ring group — calls, answered, missed (no member answered), average ring
    and talk time of the answered legs, and the calls each member answered. Chart: the same
    rows (answered / missed per group, answered per member)."""
    rows = _fetch(ring_groups(scope, flt, tz, path=path), engine)
    per_member: dict[str, dict[str, int]] = {}
    for rg, ext, n in _fetch(ring_group_members_answered(scope, flt, tz, path=path), engine):
        per_member.setdefault(rg, {})[ext] = int(n)
    names_stmt, members_stmt = ring_group_info()
    names = {n: name for n, name in _fetch(names_stmt, engine)}
    groups = [r[0] for r in rows]
    members = {e for rg, e in _fetch(members_stmt, engine) if rg in groups}
    members |= {e for per in per_member.values() for e in per}
    members = sorted(members, key=lambda e: (len(e), e))
    data = []
    for rg, calls, answered, legs, ring_s, talk_s in rows:
        calls, answered, legs = int(calls or 0), int(answered or 0), int(legs or 0)
        data.append([rg, names.get(rg, ""), calls, answered, metrics.unanswered(calls, answered),
                     _mean(ring_s, legs), metrics.avg_talk_s(talk_s, legs),
                     *(per_member.get(rg, {}).get(e, 0) for e in members)])
    mem_keys = [f"member:{e}" for e in members]
    df = pd.DataFrame(data, columns=["ring_group", "name", "calls", "answered", "missed", "avg_ring_s", "avg_talk_s",
                                     *mem_keys])
    df = df.astype({k: "int64" for k in ["calls", "answered", "missed", *mem_keys]})
    df = df.astype({k: "object" for k in ["avg_ring_s", "avg_talk_s"]})
    cols = [Col("ring_group", N_("Ring group"), "text"), Col("name", N_("Name"), "text"), Col("calls", N_("Calls")),
            Col("answered", N_("Answered")), Col("missed", N_("Missed")),
            Col("avg_ring_s", N_("Average ring time"), "duration", digits=AVG),
            Col("avg_talk_s", N_("Average talk time"), "duration", digits=AVG)]
    cols += [Col(f"member:{e}", e, "int", translate=False) for e in members]
    return cols, df, df, int(df["calls"].sum()) if len(df) else 0, [], flt
CALLBACK_SUMMARY = ("requested", "completed", "failed")


def run_queue_callbacks(scope, flt, tz, engine, path):
    """Table: the activity — each callback requested in the range (local request time,
    number, queue, status, attempts, agent, time to callback), what a manager follows up.
    Chart: the per-queue summary (requested, completed, failed, average time to callback)."""
    rows = _fetch(callback_activity(scope, flt, tz), engine)
    data = []
    for req, done, number, queue, status, attempts, agent in rows:
        req, done = as_datetime(req), as_datetime(done) if done is not None else None
        ttc = metrics.time_to_callback_s(req, done) if status == "completed" else None
        data.append([req.replace(tzinfo=UTC).astimezone(tz), number, queue or "", status, int(attempts or 0),
                     agent or "", ttc])
    df = pd.DataFrame(data, columns=["requested", "number", "queue", "status", "attempts", "agent", "ttc_s"])
    df = df.astype({"attempts": "int64"})
    df["ttc_s"] = _objects(df.index, [r[-1] for r in data])
    cols = [Col("requested", N_("Requested"), "datetime"), Col("number", N_("Number"), "text"),
            Col("queue", N_("Queue"), "text"), Col("status", N_("Status"), "text"),
            Col("attempts", N_("Attempts")), Col("agent", N_("Agent"), "text"),
            Col("ttc_s", N_("Time to callback"), "duration")]
    return cols, df, callback_summary(df, engine), len(df), []


def callback_summary(df: pd.DataFrame, engine=None) -> pd.DataFrame:
    """Per queue: requested (all callbacks), completed, failed, average time to callback."""
    out = []
    for queue in sorted(df["queue"].unique().tolist()):
        part = df[df["queue"] == queue]
        done = part[part["status"] == "completed"]
        out.append([queue, len(part), len(done), int((part["status"] == "failed").sum()),
                    metrics.avg_time_to_callback_s(sum(float(v) for v in done["ttc_s"]), len(done))])
    summary = pd.DataFrame(out, columns=["queue", *CALLBACK_SUMMARY, "avg_ttc_s"])
    summary["avg_ttc_s"] = _objects(summary.index, [r[-1] for r in out])
    names = _names(queue_names, summary["queue"].tolist(), engine)
    summary.insert(1, "name", [names.get(n, "") for n in summary["queue"]])
    return summary


def run_queue_satisfaction(scope, flt, tz, engine, path):
    """Table: per queue, then per agent — answers per score key, answers, total points,
    average score (points ÷ answers), answered queue calls and participation (answers ÷
    answered calls), definitions in data.metrics."""
    per: dict[tuple[str, str], dict] = {}
    keys: set[str] = set()
    for level in ("queue", "agent"):
        for who, key, n, points in _fetch(survey_scores(scope, flt, tz, level), engine):
            d = per.setdefault((level, who), {"keys": {}, "points": 0, "answered": 0})
            d["keys"][key] = int(n)
            d["points"] += int(points or 0)
            keys.add(key)
        for who, n in _fetch(answered_queue_calls(scope, flt, tz, level), engine):
            if (level, who) in per:
                per[(level, who)]["answered"] = int(n)
    keys = sorted(keys, key=lambda k: (len(k), k))
    qnames = _names(queue_names, [w for lv, w in per if lv == "queue"], engine)
    anames = _names(extension_names, [w for lv, w in per if lv == "agent"], engine)
    data = []
    for level in ("queue", "agent"):
        for who in sorted((w for lv, w in per if lv == level), key=lambda v: (len(v), v)):
            d = per[(level, who)]
            answers = sum(d["keys"].values())
            data.append([who if level == "queue" else "", who if level == "agent" else "",
                         (qnames if level == "queue" else anames).get(who, ""),
                         *(d["keys"].get(k, 0) for k in keys), answers, d["points"],
                         metrics.csat_average(d["points"], answers), d["answered"],
                         metrics.csat_participation(answers, d["answered"])])
    key_cols = [f"key:{k}" for k in keys]
    df = pd.DataFrame(data, columns=["queue", "agent", "name", *key_cols, "answers", "points", "avg_score",
                                     "answered", "participation"])
    df = df.astype({k: "int64" for k in [*key_cols, "answers", "points", "answered"]})
    df["avg_score"] = _objects(df.index, [r[-3] for r in data])
    df["participation"] = _objects(df.index, [r[-1] for r in data])
    cols = [Col("queue", N_("Queue"), "text"), Col("agent", N_("Agent"), "text"), Col("name", N_("Name"), "text")]
    cols += [Col(f"key:{k}", k, "int", translate=False) for k in keys]
    cols += [Col("answers", N_("Answers")), Col("points", N_("Total points")),
             Col("avg_score", N_("Average score"), "decimal"), Col("answered", N_("Answered calls")),
             Col("participation", N_("Participation rate"), "percent")]
    total = int(df[df["queue"] != ""]["answers"].sum()) if len(df) else 0
    return cols, df, df, total or (int(df["answers"].sum()) if len(df) else 0), []


def groups_expanded(scope: Scope, flt: ReportFilter, engine) -> tuple[Scope, ReportFilter]:
    """Extension groups of the scope and of the filter as their members' extensions, read
    once before the statements are built, so the builders get literal lists PostgreSQL
    reads by index (data.scope.expand_groups)."""
    if flt.groups:
        chosen = expand_groups(flt.selection(), engine)
        flt = flt.with_(extensions=tuple(sorted(chosen.extensions)), groups=tuple(sorted(chosen.groups)))
    return expand_groups(scope, engine), flt


def call_rows(result: ReportResult, scope: Scope, *, engine: Engine | None = None, tz: ZoneInfo | None = None,
              limit: int | None = None):
    """The calls behind `result` (streamed, oldest first), start times in the PBX zone."""
    tz = tz or get_settings().tz
    scope, flt = groups_expanded(scope, result.filter, engine)
    stmt = report_calls(result.report, scope, flt, tz)
    if limit is not None:
        stmt = stmt.limit(limit)
    for row in db.stream_rows(stmt, engine):
        yield (as_datetime(row[0]).replace(tzinfo=UTC).astimezone(tz), *row[1:])


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def run_queue_agents(scope, flt, tz, engine, path):
    """Table: per agent — queue calls answered, ring-no-answer, talk time, logged-in and
    pause time clipped to the range (open sessions / pauses up to now), occupancy
    (metrics.occupancy) and the pause time of each reason. Chart: the same rows."""
    now = _utc_now()
    calls = {a: (int(n or 0), int(t or 0)) for a, n, t in _fetch(agent_calls(scope, flt, tz, path=path), engine)}
    rna = {a: int(n or 0) for a, n in _fetch(agent_ring_no_answer(scope, flt, tz, path=path), engine)}
    logged = {a: round(float(sec or 0)) for a, _n, sec in _fetch(agent_logged_in(scope, flt, tz, now), engine)}
    pauses: dict[str, dict[str, int]] = {}
    for a, reason, sec in _fetch(agent_paused(scope, flt, tz, now), engine):
        pauses.setdefault(a, {})[reason or ""] = pauses.get(a, {}).get(reason or "", 0) + round(float(sec or 0))
    agents = sorted(set(calls) | set(rna) | set(logged) | set(pauses), key=lambda v: (len(v), v))
    reasons = sorted({r for per in pauses.values() for r in per})
    names = _names(extension_names, agents, engine)
    data = []
    for a in agents:
        answered, talk = calls.get(a, (0, 0))
        per = pauses.get(a, {})
        pause = sum(per.values())
        data.append([a, names.get(a, ""), answered, rna.get(a, 0), talk, logged.get(a, 0), pause,
                     metrics.occupancy(talk, logged.get(a, 0), pause), *(per.get(r, 0) for r in reasons)])
    reason_keys = [f"pause:{r}" for r in reasons]
    ints = ["answered", "ring_no_answer", "talk_s", "logged_in_s", "pause_s", *reason_keys]
    df = pd.DataFrame(data, columns=["agent", "name", *ints[:5], "occupancy", *reason_keys])
    df = df.astype({k: "int64" for k in ints})
    df["occupancy"] = pd.Series([row[7] for row in data], index=df.index, dtype="object")
    cols = [Col("agent", N_("Agent"), "text"), Col("name", N_("Name"), "text"), Col("answered", N_("Answered")),
            Col("ring_no_answer", N_("Ring no answer")), Col("talk_s", N_("Talk time"), "duration"),
            Col("logged_in_s", N_("Logged-in time"), "duration"), Col("pause_s", N_("Pause time"), "duration"),
            Col("occupancy", N_("Occupancy"), "percent")]
    cols += [Col(f"pause:{r}", f"⏸ {r}" if r else "⏸ –", "duration", translate=False) for r in reasons]
    total = int(df["answered"].sum()) + int(df["ring_no_answer"].sum()) if len(df) else 0
    return cols, df, df, total or len(df), [], flt, agent_sections(scope, flt, tz, engine, now, names)


def agent_sections(scope, flt, tz, engine, now, names) -> list[Section]:
    """The login sessions and the pauses (with reasons) behind the per-agent summary, each
    with its local start / end and the seconds inside the range (what the summary sums)."""
    limit = get_settings().max_result_rows

    def local(v):
        return None if v is None else as_datetime(v).replace(tzinfo=UTC).astimezone(tz)

    def frame(stmt, keys):
        rows = _fetch(stmt.limit(limit), engine)
        more = _names(extension_names, [r[0] for r in rows if r[0] not in names], engine)
        data = [[a, names.get(a) or more.get(a, ""), qn or "", local(b), local(e), why or "", round(float(sec or 0))]
                for a, qn, b, e, why, sec in rows]
        # Columns as objects: datetimes stay datetimes, an open end stays None (not NaT), and
        # pandas does not inspect every zoned datetime (a year's pauses took a second).
        df = pd.DataFrame({k: pd.Series([row[i] for row in data], dtype="object") for i, k in enumerate(keys)})
        return df.astype({"in_range_s": "int64"})

    who = [Col("agent", N_("Agent"), "text"), Col("name", N_("Name"), "text"), Col("queue", N_("Queue"), "text")]
    sessions = frame(agent_sessions_list(scope, flt, tz, now),
                     ["agent", "name", "queue", "login", "logout", "logout_reason", "in_range_s"])
    pauses = frame(agent_pauses_list(scope, flt, tz, now),
                   ["agent", "name", "queue", "start", "end", "reason", "in_range_s"])
    return [
        Section("sessions", N_("Login sessions"), who + [
            Col("login", N_("Logged in"), "datetime"), Col("logout", N_("Logged out"), "datetime"),
            Col("logout_reason", N_("Logout reason"), "text"),
            Col("in_range_s", N_("Logged-in time"), "duration")], sessions),
        Section("pauses", N_("Pauses"), who + [
            Col("start", N_("Paused"), "datetime"), Col("end", N_("Resumed"), "datetime"),
            Col("reason", N_("Reason"), "text"), Col("in_range_s", N_("Pause time"), "duration")], pauses),
    ]


def run_missed_unreturned(scope, flt, tz, engine, path):
    """Table: per caller whose missed inbound calls were not returned within flt.hours — the
    missed calls, the last one and the first one (waiting since), oldest first."""
    rows = _fetch(missed_unreturned(scope, flt, tz), engine)

    def local(v):
        return as_datetime(v).replace(tzinfo=UTC).astimezone(tz)

    df = pd.DataFrame([(n, int(m), local(last), local(first)) for n, m, first, last in rows],
                      columns=["caller", "missed", "last_missed", "waiting_since"])
    df = df.astype({"missed": "int64", "last_missed": "object", "waiting_since": "object"})
    cols = [Col("caller", N_("Caller"), "text"), Col("missed", N_("Missed calls")),
            Col("last_missed", N_("Last missed call"), "datetime"), Col("waiting_since", N_("Waiting since"),
                                                                        "datetime")]
    return cols, df, df, int(df["missed"].sum()) if len(df) else 0, [], flt


def run_queue_staffing(scope, flt, tz, engine, path):
    """Table (queue-performance, by=staffing): per queue and local hour of day — offered
    calls, the arrival rate (offered ÷ the range's hours with that local hour: a 25-hour
    day has two 02:00 hours, a 23-hour day none), average handle time (talk ÷ answered in
    that hour, else over the queue's whole range), the queue's target and goal, the agents
    Erlang C needs to reach the goal (data.metrics.agents_needed), the mean agents logged
    in (agent_session overlap per hour, in SQL), the service level those would give, and
    the gap. Chart: needed beside logged in, per hour."""
    hourly = _queue_frame(scope, flt.with_(by="hour_of_day"), tz, engine, path)
    start, end = flt.bounds(tz)
    hours = {h: 0 for h in range(24)}
    for row in hour_rows(start, end, tz):
        hours[row["local_hour"]] += 1
    logged = {(qn, int(h)): float(round(sec or 0))  # whole seconds (SQLite julianday is not exact)
              for qn, h, sec in _fetch(agents_logged_in_by_hour(scope, flt, tz, _utc_now()), engine)}
    queues = sorted(set(hourly["queue"]) | {qn for qn, _h in logged})
    targets = {n: (int(t), int(g)) for n, t, g in _fetch(queue_targets(queues), engine)} if queues else {}
    names = dict(zip(hourly["queue"], hourly["name"]))
    names.update(_names(queue_names, [qn for qn in queues if qn not in names], engine))
    found = {(int(p), qn): r for p, qn, r in zip(hourly["period"], hourly["queue"], hourly.itertuples(index=False))}
    overall = hourly.groupby("queue")[["talk_s", "talked"]].sum() if len(hourly) else None
    data = []
    for qn in queues:
        target_s, goal_pct = targets.get(qn, (metrics.DEFAULT_SL_TARGET_S, metrics.DEFAULT_SL_GOAL_PCT))
        aht_all = (metrics.avg_talk_s(overall.loc[qn, "talk_s"], overall.loc[qn, "talked"])
                   if overall is not None and qn in overall.index else None)
        for h in range(24):
            r = found.get((h, qn))
            calls = int(r.calls) if r is not None else 0
            offered = metrics.offered(calls, r.short_abandons, r.waiting) if r is not None else 0
            rate = metrics.arrival_rate_per_hour(offered, hours[h])
            aht = (metrics.avg_talk_s(r.talk_s, r.talked) if r is not None else None) or (aht_all if offered else None)
            needed = metrics.staffing_need(rate, aht, target_s, goal_pct)
            on = logged.get((qn, h), 0.0) / (3600.0 * hours[h]) if hours[h] else None
            expected = metrics.expected_service_level(rate, aht, on, target_s)
            gap = None if needed is None or on is None else on - needed
            word = None if gap is None else ("short" if gap < 0 else "ok")
            data.append([h, qn, names.get(qn, ""), calls, offered, rate, aht, target_s, goal_pct / 100.0,
                         metrics.traffic_erlangs(rate, aht), needed, on, expected, gap, word])
    keys = ["period", "queue", "name", "calls", "offered", "calls_per_hour", "aht_s", "sl_target_s", "sl_goal",
            "erlangs", "agents_needed", "logged_in", "expected_sl", "gap", "staffing"]
    df = pd.DataFrame(data, columns=keys)
    df = df.astype({k: "int64" for k in ("period", "calls", "offered", "sl_target_s")})
    for k in ("calls_per_hour", "aht_s", "erlangs", "agents_needed", "logged_in", "expected_sl", "gap", "staffing"):
        df[k] = _objects(df.index, [row[keys.index(k)] for row in data])
    cols = [Col("period", N_("Hour of day"), "hour"), Col("queue", N_("Queue"), "text"),
            Col("name", N_("Name"), "text"), Col("calls", N_("Calls")), Col("offered", N_("Offered")),
            Col("calls_per_hour", N_("Offered per hour"), "decimal"), Col("aht_s", N_("Average handle time"), "duration", digits=AVG),
            Col("sl_target_s", N_("Target (s)")), Col("sl_goal", N_("Service-level goal"), "percent"),
            Col("erlangs", N_("Traffic (erlangs)"), "decimal"), Col("agents_needed", N_("Agents needed")),
            Col("logged_in", N_("Agents logged in"), "decimal"),
            Col("expected_sl", N_("Service level with those agents"), "percent"),
            Col("gap", N_("Logged in − needed"), "decimal"), Col("staffing", N_("Staffing"), "word")]
    notes = [N_("Staffing: agents needed per hour of day by Erlang C from the offered calls per hour and the "
                "average handle time, to answer the queue's goal share of calls within its target; logged in is "
                "the mean number of agents logged in during those hours.")]
    return cols, df, df, int(df["calls"].sum()) if len(df) else 0, notes
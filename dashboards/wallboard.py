"""Wallboard /wallboard: a wall display's live queue board — full screen, dark, big type, no
navigation chrome, configured once by its URL, refreshing by itself for days.

URL parameters (all optional):
  token=...           the display token (callboard.web.access.wallboard_scope checks it on
                      every refresh; unknown or revoked: a screen saying so)
  queues=600,601      which queues, in this order (default: every queue the token sees)
  lang=cs             language (a wall display's browser usually has none chosen)
  layout=grid|rows    tiles side by side (default) or one queue per row
  cols=3              tiles per row in the grid layout
  refresh=5           seconds between refreshes (2..300)
  waiting_amber=3, waiting_red=6     calls waiting at or above: amber / red
  wait_amber=60, wait_red=120        longest current wait (s) at or above: amber / red
  sl_amber=80, sl_red=60             service level today (%) below: amber / red

How it stays alive: a dcc.Interval asks the server for a snapshot every `refresh`
seconds (data.live.wallboard_snapshot, cached a few seconds per token scope + queues, so
fifty displays cost one set of queries). A failed refresh (database or server away)
changes nothing; a one-second client-side clock ticks the longest waits and, once the
last good snapshot is older than a few refresh periods, shows "data as of HH:MM:SS".
The next good refresh clears it — no click, no reload. When the server runs a different
build than the page was loaded from, the page reloads itself (a stale callback map would
otherwise fail forever).
"""

from __future__ import annotations

import logging
import threading
import time

import dash
from dash import Input, Output, State, callback, clientside_callback, dcc, html, no_update
from typing_extensions import NotRequired, TypedDict

from callboard.core.i18n import LANGUAGES, translator
from callboard.reports.url_filters import one_value, query_of_search, split_values
from callboard.web.input_checks import Text, Texts, checked_inputs

PATH = "/wallboard"
dash.register_page(__name__, path=PATH, title="Wallboard")
log = logging.getLogger(__name__)

DEFAULTS = {"waiting_amber": 3, "waiting_red": 6, "wait_amber": 60, "wait_red": 120, "sl_amber": 80, "sl_red": 60,
            "refresh": 5, "cols": 0}
LIMITS = {"refresh": (2, 300), "cols": (0, 8)}
BUILD_ID = None  # set on first use: the server process's identity (see _build_id)


def _build_id() -> str:
    """Changes when the app is restarted (a deploy): a page from another build reloads."""
    global BUILD_ID
    if BUILD_ID is None:
        from pathlib import Path

        from callboard import __version__

        # The newest source file: the same in every worker of one deploy, new after a deploy.
        root = Path(__file__).resolve().parent.parent
        newest = max((p.stat().st_mtime for d in ("callboard", "dashboards", "data") for p in (root / d).rglob("*.py")),
                     default=0)
        BUILD_ID = f"{__version__}-{int(newest)}"
    return BUILD_ID


def url_language() -> str | None:
    """The ``?lang=`` of the address being rendered, if any.

    Dash hands the layout the routing input ``lang`` (the persisted EN/CS switch) *over* a
    query parameter of the same name, so ``layout(lang=...)`` never sees ``?lang=cs``; read
    the query string the routing callback received instead.
    """
    try:
        search = dash.ctx.inputs.get("_pages_location.search") or ""
    except Exception:  # not inside a callback (the validation layout)
        return None
    value = one_value(query_of_search(search).get("lang"))
    return value if value in LANGUAGES else None


def parse_config(query: dict) -> tuple[dict, list[tuple[str, str]]]:
    """The display's configuration from URL parameters, and the problems found (parameter,
    value) — a bad value keeps its default and is reported on screen."""
    problems: list[tuple[str, str]] = []
    cfg: dict = {}
    for name, default in DEFAULTS.items():
        raw = one_value(query.get(name))
        if not raw:
            if query.get(name) not in (None, "", []):  # only spaces: reported like any bad value
                problems.append((name, str(query.get(name))[:40]))
            cfg[name] = default
            continue
        try:
            value = float(raw)
        except ValueError:
            problems.append((name, str(raw)[:40]))
            cfg[name] = default
            continue
        lo, hi = LIMITS.get(name, (0, 10**6))
        if not lo <= value <= hi:
            problems.append((name, str(raw)[:40]))
            value = default
        cfg[name] = value
    for low, high in (("waiting_amber", "waiting_red"), ("wait_amber", "wait_red")):
        if cfg[low] > cfg[high]:
            problems.append((low, f"{cfg[low]:g} > {high} {cfg[high]:g}"))
    if cfg["sl_amber"] < cfg["sl_red"]:
        problems.append(("sl_amber", f"{cfg['sl_amber']:g} < sl_red {cfg['sl_red']:g}"))
    cfg["queues"] = list(split_values(query.get("queues")))[:24]
    layout_kind = one_value(query.get("layout")) or "grid"
    if layout_kind not in ("grid", "rows"):
        problems.append(("layout", str(layout_kind)[:40]))
        layout_kind = "grid"
    cfg["layout"] = layout_kind
    cfg["token"] = one_value(query.get("token")) or None
    return cfg, problems


def layout(lang: str = "en", **query):
    lang = url_language() or lang
    _ = translator(lang)
    cfg, problems = parse_config(query)
    cfg["lang"] = lang
    cfg["build"] = _build_id()
    refresh_ms = int(cfg["refresh"] * 1000)
    problem_box = html.Div(
        [html.Div(_("This display's address has a value that cannot be used; the default is used instead: "
                    "{name} = {value}").format(name=name, value=value)) for name, value in problems],
        className="wb-problems", id="wb-problems",
    ) if problems else None
    texts = {"stale": _("Data as of {time} — connection lost, retrying…"), "ok": _("OK"),
             "amber": _("Warning"), "red": _("Alert")}
    return html.Div(
        [
            dcc.Store(id="wb-config", data=cfg),
            dcc.Store(id="wb-data"),
            dcc.Store(id="wb-texts", data=texts),
            dcc.Store(id="wb-sink"),
            dcc.Interval(id="wb-refresh", interval=refresh_ms, n_intervals=0),
            dcc.Interval(id="wb-clock", interval=1000, n_intervals=0),
            html.H1(_("Wallboard"), className="wb-title"),
            html.Div(id="wb-stale", className="wb-stale", hidden=True, role="status"),
            problem_box,
            html.Div(html.Div(_("Loading…"), className="wb-loading"), id="wb-board",
                     className=f"wb-board wb-layout-{cfg['layout']}",
                     style={"--wb-cols": str(int(cfg["cols"]))} if cfg["cols"] else {}),
            html.Div(id="wb-footer", className="wb-footer"),
        ],
        className="wallboard",
        **{"data-refresh-ms": str(refresh_ms)},
    )


# --------------------------------------------------------------------------- rendering


def _level_high(value, amber, red) -> str:
    if value is None:
        return "none"
    return "red" if value >= red else "amber" if value >= amber else "ok"


def _level_sl(ratio, amber_pct, red_pct) -> str:
    if ratio is None:
        return "none"
    pct = ratio * 100
    return "red" if pct < red_pct else "amber" if pct < amber_pct else "ok"


def _metric(label: str, value: str, level: str, words: dict, *, big: bool = False, extra: dict | None = None,
            metric_id: str = ""):
    return html.Div(
        [
            html.Div(label, className="wb-label"),
            html.Div(value, className="wb-value"),
            html.Div(words.get(level, ""), className="wb-level-word"),
        ],
        className=f"wb-metric wb-{level}" + (" wb-big" if big else ""),
        **{"data-metric": metric_id, **(extra or {})},
    )


RENDER_KEYS = ("waiting_amber", "waiting_red", "wait_amber", "wait_red", "sl_amber", "sl_red")
RENDER_KEEP_S = 10.0  # a snapshot is replaced every few seconds: older tiles are dead weight
_rendered: dict[tuple, tuple] = {}  # (id(snapshot), thresholds, lang) -> (snapshot, tiles, made at)
_rendered_lock = threading.Lock()


def cached_tiles(snapshot, cfg: dict, lang: str):
    """render_tiles once per snapshot, thresholds and language: displays sharing a cached
    snapshot share its tiles (building Dash components is most of a refresh's CPU). Entries
    older than RENDER_KEEP_S are dropped on every insert, so memory stays flat."""
    key = (id(snapshot), tuple(cfg.get(k) for k in RENDER_KEYS), lang)
    hit = _rendered.get(key)
    if hit is not None and hit[0] is snapshot:
        return hit[1]
    tiles = render_tiles(snapshot, cfg, lang)
    now = time.monotonic()
    with _rendered_lock:
        for k in [k for k, v in _rendered.items() if now - v[2] > RENDER_KEEP_S]:
            del _rendered[k]
        _rendered[key] = (snapshot, tiles, now)
    return tiles


def render_tiles(snapshot, cfg: dict, lang: str):
    """The queue tiles, waits as of the snapshot (the browser adds the time since)."""
    from callboard.core.formatting import fmt_duration, fmt_number, fmt_percent

    _ = translator(lang)
    words = {"ok": _("OK"), "amber": _("Warning"), "red": _("Alert"), "none": ""}
    tiles = []
    for t in snapshot.tiles:
        oldest = t.oldest_wait_s
        wait_level = _level_high(oldest or 0, cfg["wait_amber"], cfg["wait_red"])
        tiles.append(html.Section(
            [
                html.H2([html.Span(t.name, className="wb-queue-name"), " ",
                         html.Span(t.queue, className="wb-queue-number")], className="wb-queue-title"),
                html.Div([
                    _metric(_("Calls waiting"), fmt_number(t.waiting, lang),
                            _level_high(t.waiting, cfg["waiting_amber"], cfg["waiting_red"]), words, big=True,
                            metric_id="waiting"),
                    _metric(_("Longest wait"), fmt_duration(oldest or 0), wait_level, words, big=True,
                            metric_id="longest-wait",
                            extra={"data-wait-s": "" if oldest is None else f"{oldest:.0f}",
                                   "data-amber": f"{cfg['wait_amber']:g}", "data-red": f"{cfg['wait_red']:g}"}),
                ], className="wb-row wb-row-now"),
                html.Div([
                    _metric(_("Available"), fmt_number(t.available, lang),
                            "red" if t.logged_in and not t.available and t.waiting else "none", words,
                            metric_id="available"),
                    _metric(_("On a call"), fmt_number(t.on_call, lang), "none", words, metric_id="on-call"),
                    _metric(_("On pause"), fmt_number(t.paused, lang), "none", words, metric_id="paused"),
                    _metric(_("Agents logged in"), fmt_number(t.logged_in, lang), "red" if not t.logged_in else "none",
                            words, metric_id="logged-in"),
                ], className="wb-row wb-row-agents"),
                html.Div([
                    _metric(_("Offered today"), fmt_number(t.offered, lang), "none", words, metric_id="offered"),
                    _metric(_("Answered today"), fmt_number(t.answered, lang), "none", words, metric_id="answered"),
                    _metric(_("Abandoned today"), fmt_number(t.abandoned, lang), "none", words,
                            metric_id="abandoned"),
                    _metric(_("Service level today"), fmt_percent(t.service_level, lang, 0),
                            _level_sl(t.service_level, cfg["sl_amber"], cfg["sl_red"]), words,
                            metric_id="service-level"),
                    _metric(_("Average wait today"), fmt_duration(t.avg_wait_s) or "–", "none", words,
                            metric_id="avg-wait"),
                ], className="wb-row wb-row-today"),
            ],
            className="wb-tile", **{"data-queue": t.queue},
        ))
    if not tiles:
        return html.Div(_("No queues to show: this display's queues are unknown or not allowed for its token."),
                        className="wb-empty")
    return tiles


def _snapshot_for(cfg: dict):
    """The (cached) snapshot this display may see, or None when its token is refused. A
    signed-in user opening the wallboard without a token sees their own scope."""
    from callboard.web.access import current_scope, current_user, wallboard_scope
    from callboard.core.settings import get_settings
    from data.live import wallboard_snapshot

    token = cfg.get("token")
    scope = wallboard_scope(token) if token or current_user() is None else current_scope()
    if scope is None:
        return None
    return wallboard_snapshot(scope, cfg.get("queues") or [], get_settings().tz)


class WallboardConfig(TypedDict):
    """The wb-config store (parse_config) as a refresh reads it: the thresholds of RENDER_KEYS
    (numbers), the token, queues and language."""

    waiting_amber: float
    waiting_red: float
    wait_amber: float
    wait_red: float
    sl_amber: float
    sl_red: float
    token: NotRequired[Text]
    queues: NotRequired[Texts]
    lang: NotRequired[Text]


@callback(
    Output("wb-board", "children"),
    Output("wb-data", "data"),
    Output("wb-footer", "children"),
    Input("wb-refresh", "n_intervals"),
    State("wb-config", "data"),
)
@checked_inputs
def refresh(_n, cfg: WallboardConfig | None):
    """Every refresh: check the token, read the snapshot, draw the tiles. When the
    database is away nothing changes (the client shows the stale banner)."""
    from callboard.core.formatting import fmt_local_time, tz_label

    if not cfg:
        return no_update, no_update, no_update
    lang = cfg.get("lang") or "en"
    _ = translator(lang)
    try:
        snapshot = _snapshot_for(cfg)
    except Exception as exc:  # the database is away: keep the last picture, the client says how old
        log.warning("wallboard refresh failed: %s", exc.__class__.__name__)
        return no_update, no_update, no_update
    build = _build_id()
    if snapshot is None:
        screen = html.Div([html.H1(_("Display token revoked or unknown")),
                           html.P(_("Ask an administrator for a new display address."))], className="wb-revoked")
        return screen, {"ok": True, "revoked": True, "build": build}, ""
    as_of = fmt_local_time(snapshot.as_of, lang)
    footer = _("Updated {time} ({zone})").format(time=as_of, zone=tz_label())
    from data.live import utcnow

    # How old the (cached) snapshot is now: the browser adds it to the waits it ticks.
    age_s = max(0.0, (utcnow() - snapshot.as_of).total_seconds())
    return cached_tiles(snapshot, cfg, lang), {"ok": True, "as_of": as_of, "build": build, "age_s": age_s}, footer


# Stamp each good snapshot with the browser's clock and tick the waits at once
# (assets/20-wallboard.js: window.callboardWallboard).
clientside_callback(
    """
    function(data, cfg, texts) {
        if (!data) { return window.dash_clientside.no_update; }
        if (cfg && data.build && cfg.build && data.build !== cfg.build) {
            window.location.reload();  // the server runs another build: this page's callbacks may be gone
        }
        window.callboardWallboard.received(data, texts);
        return window.dash_clientside.no_update;
    }
    """,
    Output("wb-sink", "data"),
    Input("wb-data", "data"),
    State("wb-config", "data"),
    State("wb-texts", "data"),
)

# Every second: tick the longest waits (and their colours), show / hide the stale banner.
clientside_callback(
    """
    function(n, texts, cfg) {
        const ns = window.dash_clientside;
        if (!texts || !cfg) { return [ns.no_update, ns.no_update]; }
        const wb = window.callboardWallboard;
        wb.tick(texts);
        const refreshMs = (cfg.refresh || 5) * 1000;
        const got = wb.receivedAt;
        if (!got && n < Math.ceil(3 * refreshMs / 1000) + 2) {
            return [true, ns.no_update];  // still loading the first snapshot
        }
        if (got && (Date.now() - got) <= 2.5 * refreshMs + 2000) { return [true, ns.no_update]; }
        return [false, texts.stale.replace('{time}', wb.asOf || '–')];
    }
    """,
    Output("wb-stale", "hidden"),
    Output("wb-stale", "children"),
    Input("wb-clock", "n_intervals"),
    State("wb-texts", "data"),
    State("wb-config", "data"),
)

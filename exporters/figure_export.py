"""Plotly figures as vector drawings for PDF reports: kaleido (Chromium) -> SVG -> svglib.

One persistent Chromium per process, started on the first chart (about 2 s) and reused
(a chart then takes about 0.2 s); MathJax is off (no network fetch, faster start).

Why not ``kaleido.start_sync_server()``: its ``call_function`` waits on a queue with no
timeout, and when the server thread dies (Chromium missing or crashed) every later call
blocks forever. This module runs the same ``kaleido.Kaleido`` object on its own event-loop
thread and waits for each future with a timeout; on a timeout the Chromium is killed and
the next chart starts a fresh one. Whatever goes wrong, ``figure_drawing`` returns within
``CALLBOARD_CHART_TIMEOUT_S`` (plus a moment to kill the browser) and raises
``ChartUnavailable``, which the PDF shows as a translated note in place of the chart.

The SVG becomes a ReportLab ``Drawing`` (svglib): paths and text stay vectors in the PDF.
Text is drawn in DejaVu Sans (the TTF embedded in the PDF) so Czech diacritics render.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import io
import logging
import os
import re
import threading
from pathlib import Path

import plotly.graph_objects as go

from exporters.fonts import FONT, FONT_BOLD, FONT_FAMILY, register_fonts

log = logging.getLogger(__name__)

# Pixels of the SVG; the drawing is scaled to the PDF frame, so only the aspect and the
# relative text size matter (plotly's 12 px fonts read well at ~1000 px wide).
SVG_WIDTH = 1000
SVG_HEIGHT = 420


class ChartUnavailable(RuntimeError):
    """The chart could not be drawn (no Chromium, Chromium stuck or crashed)."""


class _ChromiumServer:
    """A kaleido.Kaleido (one Chromium tab) on a private event-loop thread."""

    def __init__(self, path: Path, timeout_s: float):
        self.path = Path(path)
        self.timeout_s = float(timeout_s)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.kaleido = None

    def _run(self, coro, timeout: float):
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    def start(self) -> None:
        import kaleido

        if not (self.path.is_file() and os.access(self.path, os.X_OK)):
            raise ChartUnavailable(f"no Chromium at {self.path} (CALLBOARD_CHROMIUM_PATH)")
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name="kaleido-chromium", daemon=True).start()
        # Built inside the loop: choreographer binds its queues to the running loop.

        async def open_browser():
            self.kaleido = kaleido.Kaleido(path=str(self.path), mathjax=False, timeout=self.timeout_s)
            await self.kaleido.open()

        try:
            self._run(open_browser(), self.timeout_s)
        except concurrent.futures.TimeoutError:
            self.stop()
            raise ChartUnavailable(f"Chromium at {self.path} did not start within {self.timeout_s:g} s") from None
        except ChartUnavailable:
            raise
        except Exception as exc:  # ChromeNotFoundError, BrowserFailedError, OSError...
            self.stop()
            raise ChartUnavailable(f"Chromium at {self.path} failed to start: {exc}") from exc

    def svg(self, fig: go.Figure, width: int, height: int) -> bytes:
        try:
            return self._run(self.kaleido.calc_fig(fig, opts={"format": "svg", "width": width, "height": height}),
                             self.timeout_s)
        except concurrent.futures.TimeoutError:
            raise ChartUnavailable(f"the chart took longer than {self.timeout_s:g} s") from None

    def stop(self) -> None:
        """Close the browser (a polite close, at most 2 s: a stuck one would not answer it),
        kill it if it is still there, and end the loop thread."""
        proc = getattr(self.kaleido, "subprocess", None)
        if self.kaleido is not None and self.loop is not None and self.loop.is_running():
            try:
                self._run(self.kaleido.close(), 2)
            except Exception:  # noqa: BLE001 - best effort: killed below
                pass
        if proc is not None and proc.poll() is None:
            try:
                proc.kill()
                proc.wait(5)
            except Exception:  # noqa: BLE001 - already gone / not ours to wait for
                pass
        if self.loop is not None and self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        self.kaleido = None


_lock = threading.Lock()
_server: _ChromiumServer | None = None


def _settings() -> tuple[Path, float]:
    from callboard.core.settings import get_settings

    s = get_settings()
    return Path(s.chromium_path), float(s.chart_timeout_s)


def figure_svg(fig: go.Figure, width: int = SVG_WIDTH, height: int = SVG_HEIGHT) -> bytes:
    """SVG of one figure, drawn by the persistent Chromium (started on first use).

    Serialised: one Chromium tab draws one chart at a time; kaleido would queue them anyway.
    """
    global _server
    path, timeout_s = _settings()
    with _lock:
        if _server is not None and (_server.path != path or _server.timeout_s != timeout_s):
            _server.stop()  # settings changed (tests): the next chart uses the new ones
            _server = None
        if _server is None:
            server = _ChromiumServer(path, timeout_s)
            server.start()
            _server = server
        try:
            return _server.svg(fig, width, height)
        except Exception as exc:
            # A stuck or crashed Chromium is replaced on the next chart rather than reused.
            _server.stop()
            _server = None
            if isinstance(exc, ChartUnavailable):
                raise
            raise ChartUnavailable(f"the chart could not be drawn: {exc}") from exc


def shutdown() -> None:
    """Close the Chromium (tests; the process exiting does it too)."""
    global _server
    with _lock:
        if _server is not None:
            _server.stop()
            _server = None


atexit.register(shutdown)  # no Chromium outlives the process


def _print_ready(fig: go.Figure) -> go.Figure:
    """A copy in the PDF's font, on white, without the interactive-only parts."""
    out = go.Figure(fig)
    out.update_layout(font_family=FONT_FAMILY, paper_bgcolor="white", width=None, height=None)
    legend = out.layout.legend
    if legend.orientation == "h":
        # Pages put a horizontal legend above the plot, where on a fixed-width page a
        # two-row legend runs into the title; in print it goes to the bottom of the figure.
        out.update_layout(legend=dict(x=0, xanchor="left", y=0, yanchor="bottom", yref="container"),
                          margin=dict(b=(out.layout.margin.b or 40) + 70))
    return out


def _register_svg_fonts() -> None:
    from svglib.svglib import register_font

    register_fonts()
    # Plotly names its default stack ("Open Sans", verdana, arial, sans-serif) on some
    # elements; every name maps to the embedded font so no glyph falls back to Helvetica
    # (which has no "ř").
    for family in (FONT_FAMILY, "Open Sans", "verdana", "arial", "sans-serif"):
        register_font(family, rlgFontName=FONT)
        register_font(family, weight="bold", rlgFontName=FONT_BOLD)


_PATTERN = re.compile(rb'<pattern id="([^"]+)"[^>]*><rect [^>]*?fill="([^"]+)"')


def _solid_patterns(svg: bytes) -> bytes:
    """Pattern fills (plotly's hatched bars) as their solid background colour: svglib
    cannot paint SVG patterns and would leave those bars white. The series still differ
    by name in the legend and by colour."""
    for pattern_id, colour in _PATTERN.findall(svg):
        for quoted in (b"url('#%s')" % pattern_id, b'url("#%s")' % pattern_id, b"url(#%s)" % pattern_id):
            svg = svg.replace(quoted, colour)
    return svg


def svg_to_drawing(svg: bytes, width_pt: float):
    """A ReportLab Drawing of the SVG, scaled to `width_pt` wide."""
    from svglib.svglib import svg2rlg

    _register_svg_fonts()
    drawing = svg2rlg(io.BytesIO(_solid_patterns(svg)))
    if drawing is None:
        raise ChartUnavailable("the chart's SVG could not be read")
    scale = width_pt / drawing.width
    drawing.width, drawing.height = drawing.width * scale, drawing.height * scale
    drawing.scale(scale, scale)
    return drawing


def figure_drawing(fig: go.Figure, width_pt: float, aspect: float = SVG_HEIGHT / SVG_WIDTH):
    """The figure as a vector Drawing `width_pt` wide; raises ChartUnavailable."""
    width = SVG_WIDTH
    height = int(round(width * aspect))
    return svg_to_drawing(figure_svg(_print_ready(fig), width, height), width_pt)

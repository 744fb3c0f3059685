"""PDF files (ReportLab): title, period, filters, generation time, the charts as vector
drawings, and the table as a ``LongTable`` whose header repeats on every page.

A4 landscape (report tables and call records are wide). Every text is set in DejaVu Sans,
embedded in the file, so Czech diacritics render in any viewer. Charts come from
``exporters.figure_export``; a chart that cannot be drawn (no Chromium, a stuck one) is
replaced by a translated note and the PDF is still made.

The table holds plain strings (no Paragraph per cell): a 5,000-row table builds in about a
second. Column widths come from the longest text among the header and the first rows,
shrunk to the page; a text longer than its column is cut with "…".
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import KeepTogether, LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from xml.sax.saxutils import escape

from exporters.fonts import FONT, FONT_BOLD, register_fonts

log = logging.getLogger(__name__)

PAGE = landscape(A4)
MARGIN = 12 * mm
FRAME_WIDTH = PAGE[0] - 2 * MARGIN
CHART_ASPECT = 0.38  # height / width of a chart drawing (two fit on a page)
TABLE_FONT_SIZE = 7.5
MIN_TABLE_FONT_SIZE = 5.5
CELL_PAD = 3
SAMPLE_ROWS = 400  # rows measured for the column widths
HEADER_SLACK = 0.3  # em: rounding room, so a word exactly as wide as its column is not broken


@dataclass
class PdfDoc:
    title: str
    meta: list[str]  # period, filters, generated — one line each
    headers: Sequence[str]
    rows: Sequence[Sequence[str]]  # display text per cell
    numeric: Sequence[bool]  # right-aligned columns
    figures: list = field(default_factory=list)  # plotly figures
    note: str | None = None  # e.g. "This file holds the first 5,000 of 12,345 records."
    empty_text: str | None = None  # shown instead of an empty table
    chart_unavailable: str = "Chart unavailable"
    footer: str = ""  # left part of every page's footer
    page_label: str = "Page {page}"


def _styles():
    register_fonts()
    return {
        "title": ParagraphStyle("title", fontName=FONT_BOLD, fontSize=16, leading=20, spaceAfter=4),
        "meta": ParagraphStyle("meta", fontName=FONT, fontSize=9, leading=12),
        "note": ParagraphStyle("note", fontName=FONT_BOLD, fontSize=10, leading=13, textColor=colors.HexColor("#9C0006"),
                               backColor=colors.HexColor("#FFC7CE"), borderPadding=4, spaceBefore=6, spaceAfter=6),
        "missing": ParagraphStyle("missing", fontName=FONT, fontSize=10, leading=14, textColor=colors.HexColor("#555555"),
                                  borderColor=colors.HexColor("#999999"), borderWidth=0.5, borderPadding=8,
                                  spaceBefore=6, spaceAfter=6),
        "empty": ParagraphStyle("empty", fontName=FONT, fontSize=10, leading=14, spaceBefore=8),
    }


def _fit(text: str, width: float, font: str, size: float) -> str:
    """`text` cut with "…" to fit `width` points."""
    if stringWidth(text, font, size) <= width:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if stringWidth(text[:mid] + "…", font, size) <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo] + "…"


def _wrap_lines(text: str, width: float, size: float) -> list[str]:
    from reportlab.lib.utils import simpleSplit

    return simpleSplit(text, FONT_BOLD, size, width)


def _table(doc: PdfDoc) -> LongTable:
    headers = list(doc.headers)
    rows = doc.rows
    size = TABLE_FONT_SIZE
    sample = rows[:SAMPLE_ROWS]
    natural = []
    for c, h in enumerate(headers):
        # A header may wrap between its words, so only its longest word sets a minimum.
        word = max((stringWidth(part, FONT_BOLD, 1) for part in h.split()), default=0)
        natural.append(max([word] + [stringWidth(r[c], FONT, 1) for r in sample]) + HEADER_SLACK)
    total = sum(natural) * size + 2 * CELL_PAD * len(headers)
    if total > FRAME_WIDTH:  # a smaller font first, then narrower columns
        size = max(MIN_TABLE_FONT_SIZE, size * FRAME_WIDTH / total)
    widths = [w * size + 2 * CELL_PAD for w in natural]
    # Headers may wrap onto two lines, so a long header does not widen its column alone.
    if sum(widths) > FRAME_WIDTH:
        scale = FRAME_WIDTH / sum(widths)
        widths = [w * scale for w in widths]
    else:
        extra = (FRAME_WIDTH - sum(widths)) / len(widths) if widths else 0
        widths = [w + min(extra, 40) for w in widths]
    inner = [w - 2 * CELL_PAD for w in widths]
    head_style = ParagraphStyle("th", fontName=FONT_BOLD, fontSize=size, leading=size * 1.2)
    data = [[Paragraph(escape(h), head_style) for h in headers]]
    fit = _fit
    for r in rows:
        data.append([t if stringWidth(t, FONT, size) <= inner[c] else fit(t, inner[c], FONT, size)
                     for c, t in enumerate(r)])
    # Fixed row heights: every data cell is one line of text. Without them ReportLab measures
    # every remaining row again at each page break (quadratic: 5,000 rows took seconds).
    header_lines = max(1, max(len(_wrap_lines(h, w - 2 * CELL_PAD, size)) for h, w in zip(headers, widths)))
    heights = [header_lines * size * 1.2 + 6] + [size * 1.2 + 2.5] * len(rows)
    table = LongTable(data, colWidths=widths, rowHeights=heights, repeatRows=1)
    style = [
        ("FONT", (0, 0), (-1, -1), FONT, size),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#4472C4")),
        ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#F3F6FA")]),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
        ("TOPPADDING", (0, 1), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 1), (-1, -1), 1.5),
    ]
    for c, numeric in enumerate(doc.numeric):
        if numeric:
            style.append(("ALIGN", (c, 1), (c, -1), "RIGHT"))
    table.setStyle(TableStyle(style))
    return table


def write_pdf(doc: PdfDoc) -> tuple[bytes, int]:
    """(file bytes, charts that could not be drawn)."""
    from exporters.figure_export import ChartUnavailable, figure_drawing

    styles = _styles()
    story = [Paragraph(escape(doc.title), styles["title"])]
    story += [Paragraph(escape(line), styles["meta"]) for line in doc.meta]
    if doc.note:
        story.append(Paragraph(escape(doc.note), styles["note"]))
    story.append(Spacer(1, 4 * mm))
    missing = 0
    for fig in doc.figures:
        try:
            if missing:  # one timeout per file at most: a renderer that failed is not asked again here
                raise ChartUnavailable("an earlier chart of this file failed")
            story.append(KeepTogether([figure_drawing(fig, FRAME_WIDTH, CHART_ASPECT), Spacer(1, 3 * mm)]))
        except ChartUnavailable as exc:
            log.warning("chart left out of %r: %s", doc.title, exc)
            missing += 1
            title = getattr(getattr(fig.layout, "title", None), "text", None) or ""
            text = f"{doc.chart_unavailable}: {title}" if title else doc.chart_unavailable
            story.append(Paragraph(escape(text), styles["missing"]))
    if doc.empty_text:  # e.g. a report of 24 hours with no calls: say so above the zeros
        story.append(Paragraph(escape(doc.empty_text), styles["empty"]))
    if doc.rows:
        story.append(_table(doc))

    def footer(canvas, _doc):
        canvas.saveState()
        canvas.setFont(FONT, 7)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(MARGIN, MARGIN / 2, doc.footer)
        canvas.drawRightString(PAGE[0] - MARGIN, MARGIN / 2, doc.page_label.format(page=canvas.getPageNumber()))
        canvas.restoreState()

    buf = io.BytesIO()
    template = SimpleDocTemplate(buf, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                                 bottomMargin=MARGIN, title=doc.title, author="Callboard")
    template.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue(), missing

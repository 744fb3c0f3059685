"""DejaVu Sans, vendored (license: LICENSE here) so PDFs embed a font with every Czech
glyph on any machine, with or without system fonts."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent
FONT = "DejaVuSans"  # ReportLab names
FONT_BOLD = "DejaVuSans-Bold"
FONT_FAMILY = "DejaVu Sans"  # the family the charts ask for (Chromium finds it by this name too)


@lru_cache(maxsize=1)
def register_fonts() -> None:
    """Register both faces with ReportLab (once per process)."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(FONT, str(FONT_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
    addMapping(FONT, 0, 0, FONT)
    addMapping(FONT, 1, 0, FONT_BOLD)
    addMapping(FONT, 0, 1, FONT)
    addMapping(FONT, 1, 1, FONT_BOLD)

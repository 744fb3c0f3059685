"""Every report type has its charts in the one registry the pages and the PDF export share."""

from __future__ import annotations

from callboard.report_figures import REPORT_FIGURES
from callboard.reports import RUNNERS, TITLES


def test_every_report_type_has_figures_and_a_title():
    assert set(REPORT_FIGURES) == set(RUNNERS)
    assert set(TITLES) >= set(RUNNERS)

"""Deterministic demo data (``callboard generate`` / ``callboard demo``)."""

"""Exports: files built from queries (CSV now; XLSX and PDF with the scheduled reports)."""

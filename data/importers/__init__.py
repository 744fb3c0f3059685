"""Importers: real PBX data into the fact tables (SPEC §8).

Each importer reads a source incrementally (``import_state`` remembers how far), writes
facts in atomic batches together with their aggregate refresh, and reports bad input with
file and line instead of stopping.
"""

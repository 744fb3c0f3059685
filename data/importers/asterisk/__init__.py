"""Asterisk CDRs -> call + call_leg facts, from a CDR file (cdr_file.import_cdr_file) or the
PBX's CDR database table (cdr_db.import_cdr_db).

The steps, one module each: the file's layout (layout), its lines as legs (parse), legs
grouped into calls (legs), a call's facts from its legs (classify), batches prepared without
the database, in worker processes for a large import (prepare), batches written (load), and
calls derived again from their stored legs (rederive).
"""

"""Callboard: call records, recordings, statistics and wallboards for a business PBX."""

from pathlib import Path

__version__ = "0.1.0"

#: The checkout (or install) root; `var/` for the embedded database and files lives here.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

"""`python -m callboard.cli` runs the command line as the `callboard` script does."""

from callboard.cli import app

app()

"""All configuration, read once from ``CALLBOARD_*`` environment variables.

Every field carries its help text; ``callboard settings`` prints them and the README's
configuration table is generated from the same descriptions.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from callboard import PROJECT_ROOT

VAR_DIR = PROJECT_ROOT / "var"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CALLBOARD_", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{VAR_DIR / 'callboard.db'}",
        description="SQLAlchemy URL of the database. Default: embedded SQLite file var/callboard.db. "
        "PostgreSQL: postgresql+psycopg://user:password@host:5432/dbname",
    )
    timezone: str = Field(
        default="Europe/Prague",
        description="The PBX's time zone (IANA name). Times are stored in UTC; reports bucket "
        "hours, days and months in this zone.",
    )
    default_language: Literal["en", "cs"] = Field(
        default="en", description="Language of the UI for a new visitor (en or cs)."
    )
    default_country_code: str = Field(
        default="420",
        description="Country calling code used to normalise national numbers to E.164.",
    )
    host: str = Field(default="127.0.0.1", description="Address the web server listens on.")
    port: int = Field(default=8050, description="Port the web server listens on.")
    workers: int = Field(default=2, description="Worker processes of `callboard serve` (gunicorn).")
    threads: int = Field(
        default=8,
        description="Threads per worker process of `callboard serve`: requests answered at once by one "
        "worker. A request reaches a thread only once it has arrived whole, so slow clients hold none.",
    )
    request_header_timeout_s: float = Field(
        default=10.0,
        description="`callboard serve`: a client must send a request's headers within this many seconds "
        "(of connecting, or of its next request's first byte); slower ones get 408 and are disconnected.",
    )
    request_body_timeout_s: float = Field(
        default=30.0,
        description="`callboard serve`: a request's body must arrive within this many seconds after its "
        "headers; a slower client gets 408 and is disconnected.",
    )
    max_request_mb: float = Field(
        default=4.0,
        description="Largest request body accepted, in MB (Flask's MAX_CONTENT_LENGTH): a larger one is "
        "answered 413 without being read.",
    )
    secret_key: str = Field(
        default="",
        description="Secret used to sign sessions, CSRF tokens and emailed links. Empty: a random one is "
        "generated once and kept in the database (settings_kv), so restarts keep sessions.",
    )
    session_idle_minutes: int = Field(
        default=480, description="A signed-in browser idle this long must log in again (minutes)."
    )
    session_max_hours: int = Field(
        default=168, description="A session ends this long after login, however active (hours)."
    )
    proxy_hops: int = Field(
        default=0,
        description="Reverse proxies in front of the app (e.g. 1 behind nginx): their X-Forwarded-For / "
        "-Proto are trusted that many hops, so sign-in throttling sees the client's address and cookies are "
        "Secure behind HTTPS. 0: the connection's own address.",
    )
    login_max_failures: int = Field(
        default=5,
        description="Wrong passwords in a row for one user name from one client address after which that address "
        "waits before trying that name again (5 min, doubling with each further failure, at most 1 h); other "
        "addresses are not affected.",
    )
    base_url: str = Field(
        default="http://127.0.0.1:8050",
        description="Public address of the web app, used for links in emails.",
    )
    recordings_enabled: bool = Field(
        default=True,
        description="Show the Recordings menu and the recording actions.",
    )
    chat_enabled: Literal["auto", "yes", "no"] = Field(
        default="auto",
        description="Show the External chats menu and page: auto (when the database holds at least one "
        "chat session; checked at most once a minute), yes or no.",
    )
    recordings_dir: Path = Field(
        default=VAR_DIR / "recordings",
        description="Directory holding call recordings; the database stores paths relative to it.",
    )
    files_dir: Path = Field(
        default=VAR_DIR / "files",
        description="Directory for generated exports and reports (the download lists).",
    )
    query_timeout_s: float = Field(
        default=30.0, description="Statement timeout for interactive queries, in seconds."
    )
    max_result_rows: int = Field(
        default=200_000,
        description="Largest result set loaded into memory by one query (exports stream instead).",
    )
    chromium_path: Path = Field(
        default=Path("/usr/bin/chromium"),
        description="Chromium (or Chrome) binary that draws the charts of PDF reports. Missing: the PDF "
        "is still made, with a note where each chart would be.",
    )
    chart_timeout_s: float = Field(
        default=20.0,
        description="Longest wait for one chart of a PDF report (Chromium start included); a stuck "
        "Chromium gives a note in the PDF instead of a hung export.",
    )
    smtp_host: str = Field(default="127.0.0.1", description="SMTP server host for report emails.")
    smtp_port: int = Field(default=25, description="SMTP server port.")
    smtp_security: Literal["none", "starttls", "ssl"] = Field(
        default="none", description="SMTP transport security: none, starttls or ssl."
    )
    smtp_user: str = Field(default="", description="SMTP login (empty: no authentication).")
    smtp_password: str = Field(default="", description="SMTP password.")
    smtp_sender: str = Field(
        default="callboard@localhost", description="From address of emails Callboard sends."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)  # fail at start, not in the middle of a report
        except Exception as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Prague)") from exc
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def max_request_bytes(self) -> int:
        return int(self.max_request_mb * 1024 * 1024)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    """Tests change the environment; they call this to re-read it."""
    get_settings.cache_clear()

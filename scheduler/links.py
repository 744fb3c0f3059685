"""Emailed download / view links: unguessable, signed, and re-creatable after a crash.

A file's token is an HMAC (SHA-256, keyed with CALLBOARD_SECRET_KEY) over a random salt
stored with the file: the scheduler can rebuild the same link when it re-sends a run that
crashed after building, while the database alone does not hold a working link (it keeps
the salt and SHA-256(token) for lookups). A forged or unknown token matches no row.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from callboard.core.settings import get_settings

# Not /downloads/<token>: /downloads/exports and /downloads/reports are the list pages.
DOWNLOAD_PREFIX = "/files/"
VIEW_PREFIX = "/view/"


def new_salt() -> str:
    return secrets.token_hex(16)


def token_for(salt: str, secret: str | None = None) -> str:
    from data.access.secret import app_secret  # CALLBOARD_SECRET_KEY, or the one kept in the database

    key = (secret or app_secret()).encode()
    mac = hmac.new(key, b"callboard-file:" + salt.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def public_url(path: str) -> str:
    return get_settings().base_url.rstrip("/") + path


def download_url(token: str) -> str:
    return public_url(DOWNLOAD_PREFIX + token)


def view_url(token: str) -> str:
    return public_url(VIEW_PREFIX + token)

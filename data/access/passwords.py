"""Password hashing with Argon2id (argon2-cffi).

Parameters: OWASP's Argon2id recommendation (19 MiB memory, 2 passes, 1 lane) — about
0.15 s per hash on a small shared server; argon2-cffi's own default (64 MiB, 3 passes, 4
lanes) took 1.1 s there, which turns a burst of sign-ins into a denial of service. Hashes
made with other parameters still verify and are re-hashed at the next sign-in.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from callboard.core.i18n import N_

_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
MIN_LENGTH = 8

# Verified against when the user name is unknown, so a wrong name costs as long as a
# wrong password (no timing hint of which names exist).
_DUMMY_HASH = _hasher.hash("callboard-no-such-user")


class WeakPassword(ValueError):
    msgid = N_("The password must have at least {n} characters.")

    def __init__(self):
        super().__init__(self.msgid.format(n=MIN_LENGTH))
        self.params = {"n": MIN_LENGTH}


def check_strength(password: str) -> None:
    if len(password or "") < MIN_LENGTH:
        raise WeakPassword()


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password or "") and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True

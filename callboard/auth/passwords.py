"""Password hashing with Argon2id (argon2-cffi, its recommended parameters)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from callboard.i18n import N_

_hasher = PasswordHasher()
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

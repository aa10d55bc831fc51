"""Passwords: the policy (length, not a common one), and Argon2id hashing off the event loop.

Argon2 is slow on purpose (tens of milliseconds of CPU each). Run on the event loop it would
stall every request and both bots while it works, so hashing and verifying run in worker
threads, at most PASSWORD_WORKERS at a time: a burst of logins queues there instead of
taking every core.
"""

from __future__ import annotations

import asyncio
import weakref
from functools import cache

import anyio.to_thread
from anyio import CapacityLimiter
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from app.domain.errors import InvalidInput

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1000
PASSWORD_WORKERS = 2
_hasher = PasswordHasher()
# One limiter per event loop: a limiter belongs to the loop that first waits on it.
_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter] = weakref.WeakKeyDictionary()


@cache
def _common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords of public leaks, as maintained in zxcvbn (lower case)."""
    return frozenset(FREQUENCY_LISTS["passwords"])


def check_password_policy(password: str) -> None:
    """At least MIN_PASSWORD_LENGTH characters and not a commonly used password (any case)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.", "password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"The password may have at most {MAX_PASSWORD_LENGTH} characters.", "password")
    if password.lower() in _common_passwords() or password.strip().lower() in _common_passwords():
        raise InvalidInput("This password is too common; choose another one.", "password")


def _limiter() -> CapacityLimiter:
    loop = asyncio.get_running_loop()
    limiter = _limiters.get(loop)
    if limiter is None:
        limiter = _limiters[loop] = CapacityLimiter(PASSWORD_WORKERS)
    return limiter


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def hash_now(password: str) -> str:
    """On the calling thread: only for values made at import time (no loop to stall yet)."""
    return _hasher.hash(password)


async def hash_password(password: str) -> str:
    """A new password's hash, after checking it against the policy."""
    check_password_policy(password)
    return await anyio.to_thread.run_sync(_hasher.hash, password, limiter=_limiter())


async def verify_password(password_hash: str, password: str) -> bool:
    return await anyio.to_thread.run_sync(
        _verify, password_hash, password[:MAX_PASSWORD_LENGTH], limiter=_limiter()
    )

"""Wrong local passwords, counted in the caja's memory (it has no Redis): per email and overall.

The caja checks passwords offline against the synced argon2 hashes, so anyone on its LAN
could try them as fast as argon2 lets (30 wrong in 4.8 s went through). Each attempt takes a
slot before its password is checked (check and count happen with no await in between, on the
event loop, so concurrent attempts cannot all see a low count); past the limit it is refused
with 429 and Retry-After until the window ends. A right password gives its slot back and
resets nothing. Counts live in this process: a restart forgets them, which costs an attacker
a restart of the till per window, something people in the store notice.
"""

from __future__ import annotations

import sqlite3
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from stocky.core.errors import RateLimitedError
from stocky.edge.auth.session import check_password
from stocky.edge.store.sede import load_sede_info
from stocky.edge.store.store import Store

MAX_FAILURES_PER_EMAIL: Final = 10
MAX_FAILURES_OVERALL: Final = 50
WINDOW_SECONDS: Final = 15 * 60
TOO_MANY: Final = "Too many wrong passwords at this caja."


@dataclass
class _Window:
    started: float
    count: int = 0


@dataclass(frozen=True)
class Slot:
    keys: tuple[str, ...]


@dataclass
class LoginThrottle:
    """Fixed windows of failures, like the cloud's Redis counters, in a dict."""

    per_email: int = MAX_FAILURES_PER_EMAIL
    overall: int = MAX_FAILURES_OVERALL
    window_seconds: float = WINDOW_SECONDS
    clock: Callable[[], float] = time.monotonic
    _windows: dict[str, _Window] = field(default_factory=dict)

    def take(self, email: str) -> Slot:
        """Count an attempt for `email`; refuse it (RateLimitedError) past either limit."""
        now = self.clock()
        self._forget_expired(now)
        overall = self._take("*", self.overall, now)
        try:
            mine = self._take("email:" + email.strip().lower(), self.per_email, now)
        except RateLimitedError:
            self._give_back(overall)
            raise
        return Slot((overall, mine))

    def give_back(self, slot: Slot) -> None:
        """The password was right: the attempt does not count."""
        for key in slot.keys:
            self._give_back(key)

    def _take(self, key: str, limit: int, now: float) -> str:
        window = self._windows.get(key)
        if window is None or now - window.started >= self.window_seconds:
            window = self._windows[key] = _Window(now)
        window.count += 1
        if window.count > limit:
            retry = max(int(window.started + self.window_seconds - now + 0.999), 1)
            raise RateLimitedError(
                f"{TOO_MANY} Try again in {(retry + 59) // 60} minutes.",
                headers={"Retry-After": str(retry)},
                retry_after=retry,
            )
        return key

    def _give_back(self, key: str) -> None:
        window = self._windows.get(key)
        if window is not None and window.count > 0:
            window.count -= 1

    def _forget_expired(self, now: float) -> None:
        # Bounded anyway: a new email only gets a window after the overall one let it in.
        if len(self._windows) > 4 * self.overall:
            for key in [
                k for k, w in self._windows.items() if now - w.started >= self.window_seconds
            ]:
                del self._windows[key]


# One throttle per open store, that is per caja, shared by the local API and the screens.
_throttles: weakref.WeakKeyDictionary[Store, LoginThrottle] = weakref.WeakKeyDictionary()


def throttle_for(store: Store) -> LoginThrottle:
    throttle = _throttles.get(store)
    if throttle is None:
        throttle = _throttles[store] = LoginThrottle()
    return throttle


async def check_login(store: Store, email: str, password: str) -> sqlite3.Row | None:
    """The active user of this caja's sede with this email and password, or None; throttled
    (RateLimitedError). argon2 runs on a reader thread, never on the writer (the sales)."""

    def check(conn: sqlite3.Connection) -> sqlite3.Row | None:
        info = load_sede_info(conn)
        return check_password(conn, email, password, sede_id=None if info is None else info.sede_id)

    throttle = throttle_for(store)
    slot = throttle.take(email)
    user = await store.aread(check)
    if user is not None:
        throttle.give_back(slot)
    return user

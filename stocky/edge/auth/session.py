"""Local sessions: offline login with the argon2 hash synced from the cloud.

The caja keeps only sha256(token) in auth_session, so a copy of the file yields no usable
token. A session ends after `idle` without use (8 h by default); activity slides it, but
at most once a minute so a busy caja does not write on every request. A cloud access
token is accepted too, verified offline (another device of the store, the web admin).
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from stocky.core.passwords import DUMMY_HASH, verify_password
from stocky.core.roles import ROLE_RANK
from stocky.edge.auth.tokens import CloudTokenError, verify_cloud_token_in_store
from stocky.edge.store.timestamps import from_iso, to_iso

TOUCH_EVERY: Final = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class LocalUser:
    id: str
    email: str
    name: str
    role: str
    sede_id: str | None
    token_hash: str
    last_seen_at: str

    def at_least(self, role: str) -> bool:
        return ROLE_RANK.get(self.role, -1) >= ROLE_RANK[role]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_password(
    conn: sqlite3.Connection, email: str, password: str, *, sede_id: str | None
) -> sqlite3.Row | None:
    """The active user of this sede (or of every sede) with this email and password.

    Slow on purpose (argon2): run it on a reader, never on the writer thread.
    """
    candidates = conn.execute(
        """
        SELECT * FROM users WHERE email = ? COLLATE NOCASE AND active = 1
        AND password_hash IS NOT NULL AND (sede_id IS NULL OR sede_id = ?)
        """,
        (email.strip(), sede_id),
    ).fetchall()
    if not candidates:
        # Same cost as a real check, so response time does not reveal which emails exist.
        verify_password(DUMMY_HASH, password)
        return None
    for row in candidates:
        if verify_password(row["password_hash"], password):
            found: sqlite3.Row = row
            return found
    return None


def create_session(
    conn: sqlite3.Connection, user_id: str, *, now: datetime, idle: timedelta
) -> tuple[str, datetime]:
    """Start a session (inside a write); returns the bearer token and when it expires."""
    token = secrets.token_urlsafe(32)
    expires = now + idle
    conn.execute("DELETE FROM auth_session WHERE expires_at <= ?", (to_iso(now),))
    conn.execute(
        """
        INSERT INTO auth_session (token_hash, user_id, created_at, last_seen_at, expires_at)
        VALUES (?, ?, ?, ?, ?)
        """,
        (hash_token(token), user_id, to_iso(now), to_iso(now), to_iso(expires)),
    )
    return token, expires


def session_user(conn: sqlite3.Connection, token: str, *, now: datetime) -> LocalUser | None:
    """The user behind a live session token, or None (unknown, expired, user deactivated)."""
    token_hash = hash_token(token)
    row = conn.execute(
        """
        SELECT u.id, u.email, u.name, u.role, u.sede_id, s.last_seen_at
        FROM auth_session AS s JOIN users AS u ON u.id = s.user_id
        WHERE s.token_hash = ? AND s.expires_at > ? AND u.active = 1
        """,
        (token_hash, to_iso(now)),
    ).fetchone()
    if row is None:
        return None
    return _local_user(row, token_hash, row["last_seen_at"])


def _local_user(row: sqlite3.Row, token_hash: str, last_seen_at: str) -> LocalUser:
    return LocalUser(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        role=row["role"],
        sede_id=row["sede_id"],
        token_hash=token_hash,
        last_seen_at=last_seen_at,
    )


def cloud_token_user(conn: sqlite3.Connection, token: str, *, now: datetime) -> LocalUser:
    """The caja's user behind a cloud access token, verified offline against the stored JWKS.

    The role is the caja's copy of the user (cloud-wins, pulled), not the token's claim: a
    demotion or a disable reaches the caja with the next pull, before the token expires.
    """
    claims = verify_cloud_token_in_store(conn, token, now=now)
    row = conn.execute(
        "SELECT id, email, name, role, sede_id FROM users WHERE id = ? AND active = 1",
        (claims.user_id,),
    ).fetchone()
    if row is None:
        raise CloudTokenError("this user cannot use this caja")
    # No session row to slide: the token's exp bounds it.
    return _local_user(row, hash_token(token), to_iso(now))


def needs_touch(user: LocalUser, now: datetime) -> bool:
    return now - from_iso(user.last_seen_at) >= TOUCH_EVERY


def touch_session(
    conn: sqlite3.Connection, token_hash: str, *, now: datetime, idle: timedelta
) -> None:
    """Slide the inactivity deadline (inside a write)."""
    conn.execute(
        "UPDATE auth_session SET last_seen_at = ?, expires_at = ? WHERE token_hash = ?",
        (to_iso(now), to_iso(now + idle), token_hash),
    )


def end_session(conn: sqlite3.Connection, token_hash: str) -> None:
    """Log out (inside a write). Queued ops stay: they belong to the caja, not the session."""
    conn.execute("DELETE FROM auth_session WHERE token_hash = ?", (token_hash,))


def user_name(conn: sqlite3.Connection, user_id: str) -> str | None:
    """A user's name as the caja holds it; None for a user no longer here."""
    row = conn.execute("SELECT name FROM users WHERE id = ?", (user_id,)).fetchone()
    return None if row is None else str(row[0])

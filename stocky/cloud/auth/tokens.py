"""Access tokens: JWTs signed with EdDSA (Ed25519), verified against the key ring.

Only EdDSA is accepted on verification: `alg: none`, HS256 with the public key as the
secret, and any other algorithm are refused before a key is even looked at.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from stocky.cloud.auth.keys import KeyRing
from stocky.core.roles import ROLE_RANK, Role

ALGORITHM = "EdDSA"
ISSUER = "stocky"
# Defined once in stocky.core.roles: the caja checks the same ranks offline.
__all__ = ["ROLE_RANK", "Role"]


class InvalidTokenError(Exception):
    """The token is malformed, forged, expired or not for us."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user (from an access token) or a caja (from its credential)."""

    tenant_id: uuid.UUID
    role: str
    user_id: uuid.UUID | None = None
    sede_id: uuid.UUID | None = None
    device_id: uuid.UUID | None = None
    # A user token's exp (epoch seconds); a caja's credential does not expire.
    expires_at: int | None = None

    @property
    def is_device(self) -> bool:
        return self.device_id is not None and self.user_id is None

    def at_least(self, role: str) -> bool:
        return ROLE_RANK.get(self.role, -1) >= ROLE_RANK[role]


def issue_access_token(
    keys: KeyRing,
    *,
    user_id: uuid.UUID,
    tenant_id: uuid.UUID,
    sede_id: uuid.UUID | None,
    role: str,
    ttl: timedelta,
    now: datetime | None = None,
) -> tuple[str, datetime]:
    issued = now or datetime.now(UTC)
    expires = issued + ttl
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": str(user_id),
        "tenant_id": str(tenant_id),
        "sede_id": str(sede_id) if sede_id else None,
        "role": role,
        "iat": int(issued.timestamp()),
        "exp": int(expires.timestamp()),
        "typ": "access",
    }
    key = keys.current
    token = jwt.encode(claims, key.private, algorithm=ALGORITHM, headers={"kid": key.kid})
    return token, expires


def verify_access_token(keys: KeyRing, token: str) -> Principal:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidTokenError("malformed token") from exc
    if header.get("alg") != ALGORITHM:
        raise InvalidTokenError("unsupported token algorithm")
    public = keys.public_key(str(header.get("kid", "")))
    if public is None:
        raise InvalidTokenError("unknown signing key")
    try:
        claims = jwt.decode(
            token,
            public,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "sub", "iss"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidTokenError("token expired") from exc
    except jwt.PyJWTError as exc:
        raise InvalidTokenError("invalid token") from exc
    if claims.get("typ") != "access" or claims.get("role") not in ROLE_RANK:
        raise InvalidTokenError("invalid token")
    try:
        return Principal(
            tenant_id=uuid.UUID(claims["tenant_id"]),
            user_id=uuid.UUID(claims["sub"]),
            sede_id=uuid.UUID(claims["sede_id"]) if claims.get("sede_id") else None,
            role=claims["role"],
            expires_at=int(claims["exp"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidTokenError("invalid token claims") from exc

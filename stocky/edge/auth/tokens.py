"""Verifying a cloud access token at the caja, offline, against the JWKS stored at activation.

Checks the signature (EdDSA only, key chosen by `kid`), expiry, issuer, and that the token
belongs to this caja's tenant and sede. Owners and admins hold tenant-wide tokens (no
sede); any other role must name this sede.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt

ALGORITHM = "EdDSA"
ISSUER = "stocky"
ROLES = ("owner", "admin", "manager", "cashier")
TENANT_WIDE_ROLES = ("owner", "admin")


class CloudTokenError(Exception):
    """The token is malformed, forged, expired, or not for this caja."""


@dataclass(frozen=True)
class CloudClaims:
    user_id: str
    tenant_id: str
    sede_id: str | None
    role: str
    expires_at: datetime


def _public_key(jwks: dict[str, Any], kid: str) -> Any:
    for jwk in jwks.get("keys", []):
        if isinstance(jwk, dict) and jwk.get("kid") == kid:
            if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
                raise CloudTokenError("unsupported signing key")
            return jwt.PyJWK(jwk, algorithm=ALGORITHM).key
    raise CloudTokenError("unknown signing key")


def _same_id(a: str | None, b: str | None) -> bool:
    try:
        return a is not None and b is not None and uuid.UUID(a) == uuid.UUID(b)
    except ValueError:
        return False


def verify_cloud_token(
    token: str,
    jwks: dict[str, Any],
    *,
    tenant_id: str,
    sede_id: str,
    now: datetime | None = None,
) -> CloudClaims:
    """The token's claims if it is genuine, unexpired and for this tenant and sede."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise CloudTokenError("malformed token") from exc
    if header.get("alg") != ALGORITHM:
        raise CloudTokenError("unsupported token algorithm")
    key = _public_key(jwks, str(header.get("kid", "")))
    moment = now or datetime.now(UTC)
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["exp", "sub", "iss"], "verify_exp": False},
        )
    except jwt.PyJWTError as exc:
        raise CloudTokenError("invalid token") from exc
    # Expiry checked against `now` ourselves, so tests and clock-offset callers can pass it.
    expires = datetime.fromtimestamp(int(claims["exp"]), UTC)
    if expires <= moment:
        raise CloudTokenError("token expired")
    if claims.get("typ") != "access" or claims.get("role") not in ROLES:
        raise CloudTokenError("invalid token")
    if not _same_id(claims.get("tenant_id"), tenant_id):
        raise CloudTokenError("token of another tenant")
    token_sede = claims.get("sede_id")
    if token_sede is None:
        if claims["role"] not in TENANT_WIDE_ROLES:
            raise CloudTokenError("token of another sede")
    elif not _same_id(token_sede, sede_id):
        raise CloudTokenError("token of another sede")
    return CloudClaims(
        user_id=str(claims["sub"]),
        tenant_id=str(claims["tenant_id"]),
        sede_id=str(token_sede) if token_sede else None,
        role=str(claims["role"]),
        expires_at=expires,
    )


def verify_cloud_token_in_store(
    conn: sqlite3.Connection, token: str, *, now: datetime | None = None
) -> CloudClaims:
    """`verify_cloud_token` with the JWKS, tenant and sede this caja stored at activation."""
    row = conn.execute("SELECT tenant_id, sede_id, jwks FROM sede_info WHERE id = 1").fetchone()
    if row is None:
        raise CloudTokenError("this caja is not activated")
    return verify_cloud_token(token, json.loads(row[2]), tenant_id=row[0], sede_id=row[1], now=now)


def stored_key_ids(conn: sqlite3.Connection) -> set[str]:
    """The key ids of the JWKS this caja holds."""
    row = conn.execute("SELECT jwks FROM sede_info WHERE id = 1").fetchone()
    if row is None:
        return set()
    return {str(k.get("kid")) for k in json.loads(row[0]).get("keys", []) if isinstance(k, dict)}


def replace_jwks(conn: sqlite3.Connection, jwks: dict[str, Any]) -> None:
    """Store a fresh JWKS (inside a write), refusing one with a key we could not verify with."""
    keys = jwks.get("keys")
    if not isinstance(keys, list) or not keys:
        raise CloudTokenError("the cloud sent a JWKS without keys")
    for jwk in keys:
        if not isinstance(jwk, dict) or not jwk.get("kid"):
            raise CloudTokenError("the cloud sent a key without an id")
        _public_key({"keys": [jwk]}, str(jwk["kid"]))  # raises on a key we cannot use
    conn.execute("UPDATE sede_info SET jwks = ? WHERE id = 1", (json.dumps({"keys": keys}),))

"""Cloud tokens verified at the caja against the stored JWKS, with no network."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from stocky.cloud.auth.keys import KeyRing, rotate
from stocky.cloud.auth.tokens import issue_access_token
from stocky.edge.auth.tokens import CloudTokenError, verify_cloud_token

TENANT = uuid.uuid4()
SEDE = uuid.uuid4()


@pytest.fixture
def ring(tmp_path: Path) -> KeyRing:
    return KeyRing.load_or_create(tmp_path / "keys")


def _token(ring: KeyRing, **over: Any) -> str:
    args: dict[str, Any] = {
        "user_id": uuid.uuid4(),
        "tenant_id": TENANT,
        "sede_id": SEDE,
        "role": "cashier",
        "ttl": timedelta(minutes=15),
    }
    args.update(over)
    token, _ = issue_access_token(ring, **args)
    return token


def _verify(ring: KeyRing, token: str, **over: Any) -> Any:
    kwargs: dict[str, Any] = {"tenant_id": str(TENANT), "sede_id": str(SEDE)}
    kwargs.update(over)
    return verify_cloud_token(token, ring.jwks(), **kwargs)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TestVerifyCloudToken:
    def test_valid(self, ring: KeyRing) -> None:
        claims = _verify(ring, _token(ring))
        assert claims.role == "cashier"
        assert claims.sede_id == str(SEDE)

    def test_tenant_wide_admin_accepted(self, ring: KeyRing) -> None:
        assert _verify(ring, _token(ring, sede_id=None, role="admin")).sede_id is None

    def test_cashier_without_sede_refused(self, ring: KeyRing) -> None:
        with pytest.raises(CloudTokenError, match="sede"):
            _verify(ring, _token(ring, sede_id=None))

    def test_other_tenant_and_sede(self, ring: KeyRing) -> None:
        with pytest.raises(CloudTokenError, match="tenant"):
            _verify(ring, _token(ring, tenant_id=uuid.uuid4()))
        with pytest.raises(CloudTokenError, match="sede"):
            _verify(ring, _token(ring, sede_id=uuid.uuid4()))

    def test_expired(self, ring: KeyRing) -> None:
        old = _token(ring, now=datetime.now(UTC) - timedelta(hours=1))
        with pytest.raises(CloudTokenError, match="expired"):
            _verify(ring, old)
        fresh = _token(ring)
        with pytest.raises(CloudTokenError, match="expired"):
            _verify(ring, fresh, now=datetime.now(UTC) + timedelta(hours=1))

    def test_alg_none(self, ring: KeyRing) -> None:
        body = _token(ring).split(".")[1]
        forged = f"{_b64(json.dumps({'alg': 'none'}).encode())}.{body}."
        with pytest.raises(CloudTokenError):
            _verify(ring, forged)

    def test_hs256_with_public_key(self, ring: KeyRing) -> None:
        jwk = ring.jwks()["keys"][0]
        header = _b64(json.dumps({"alg": "HS256", "kid": jwk["kid"]}).encode())
        body = _token(ring).split(".")[1]
        sig = hmac.new(jwk["x"].encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
        with pytest.raises(CloudTokenError):
            _verify(ring, f"{header}.{body}.{_b64(sig)}")

    def test_wrong_key(self, ring: KeyRing) -> None:
        claims = jwt.decode(_token(ring), options={"verify_signature": False})
        forged = jwt.encode(
            claims,
            Ed25519PrivateKey.generate(),
            algorithm="EdDSA",
            headers={"kid": ring.current.kid},
        )
        with pytest.raises(CloudTokenError):
            _verify(ring, forged)

    def test_unknown_kid_and_garbage(self, ring: KeyRing, tmp_path: Path) -> None:
        other = KeyRing.load_or_create(tmp_path / "other")
        with pytest.raises(CloudTokenError, match="unknown"):
            _verify(ring, _token(other))
        with pytest.raises(CloudTokenError):
            _verify(ring, "not.a.token")

    def test_rotation(self, ring: KeyRing, tmp_path: Path) -> None:
        old = _token(ring)
        rotate(tmp_path / "keys")
        rotated = KeyRing.load_or_create(tmp_path / "keys")
        # The caja holds the new JWKS (both keys): old and new tokens verify.
        assert _verify(rotated, old).role == "cashier"
        assert _verify(rotated, _token(rotated)).role == "cashier"

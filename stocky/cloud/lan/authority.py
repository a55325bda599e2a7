"""The tenant's LAN certificate authority: pure X.509, no database (issue 16, seed §7.3).

Each tenant has its own CA; it is the only trust root of its cajas' mutual TLS, so a caja
of another tenant fails the handshake itself. The cloud writes every certificate's subject
itself (CN=device, O=tenant, OU=sede), whatever the caja's CSR asked for: the CSR only
brings the caja's public key and proves the caja holds the private one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from stocky.core.errors import FieldError

CA_DAYS = 20 * 365
CERTIFICATE_DAYS = 3 * 365
# A caja's clock may run behind the cloud's: a certificate is valid from a little earlier.
BACKDATE = timedelta(minutes=5)


@dataclass(frozen=True)
class Authority:
    key_pem: str
    certificate_pem: str


@dataclass(frozen=True)
class Issued:
    certificate_pem: str
    not_after: datetime


def _pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def new_authority(tenant_id: uuid.UUID | str, *, now: datetime | None = None) -> Authority:
    """A fresh CA for one tenant: EC P-256, path length 0 (it signs cajas only)."""
    now = now or datetime.now(UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Stocky LAN CA {tenant_id}")])
    public = key.public_key()
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return Authority(key_pem=key_pem, certificate_pem=_pem(certificate))


def parse_csr(csr_pem: str) -> x509.CertificateSigningRequest:
    """The caja's CSR, checked: well-formed, self-signed by its key, an EC P-256 key."""
    try:
        csr = x509.load_pem_x509_csr(csr_pem.encode("ascii", "replace"))
    except ValueError as exc:
        raise FieldError("csr_pem", "not a PEM certificate signing request") from exc
    try:
        key = csr.public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise FieldError("csr_pem", "the key must be EC P-256") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise FieldError("csr_pem", "the key must be EC P-256")
    try:
        valid = csr.is_signature_valid
    except (InvalidSignature, ValueError, UnsupportedAlgorithm):
        valid = False
    if not valid:
        raise FieldError("csr_pem", "its signature does not match its key")
    return csr


def issue(
    authority: Authority,
    csr: x509.CertificateSigningRequest,
    *,
    tenant_id: uuid.UUID | str,
    sede_id: uuid.UUID | str,
    device_id: uuid.UUID | str,
    days: int = CERTIFICATE_DAYS,
    now: datetime | None = None,
) -> Issued:
    """A caja's certificate for both ends of a TLS link (server and client auth)."""
    now = now or datetime.now(UTC)
    ca_key = serialization.load_pem_private_key(authority.key_pem.encode("ascii"), None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise TypeError("the tenant's CA key is not an EC key")
    ca_certificate = x509.load_pem_x509_certificate(authority.certificate_pem.encode("ascii"))
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, str(device_id)),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, str(tenant_id)),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, str(sede_id)),
        ]
    )
    not_after = now + timedelta(days=days)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca_certificate.subject)
        .public_key(csr.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.UniformResourceIdentifier(f"urn:stocky:device:{device_id}")]
            ),
            critical=False,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(csr.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return Issued(certificate_pem=_pem(certificate), not_after=certificate.not_valid_after_utc)

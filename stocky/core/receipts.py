"""Readable receipt numbers, unique per tenant: the caja's prefix + its gap-free sequence.

The cloud gives each caja a per-tenant number at activation (devices.caja_number); its
prefix is "C01", "C02", ... and a receipt reads "C01-000042". A caja that has no prefix yet
(activated before receipts had one, and not yet told by a ping) prints the bare number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Final

from pydantic import Field

PREFIX_MAX: Final = 8
PREFIX_PATTERN: Final = rf"^[A-Z0-9]{{1,{PREFIX_MAX}}}$"
ReceiptPrefix = Annotated[str, Field(pattern=PREFIX_PATTERN, max_length=PREFIX_MAX)]
DIGITS: Final = 6

# "#C01-000042", "c01-42", "C01 42": a dash or a space separates the prefix from the number
# (without one, "C01000042" could split anywhere).
_READABLE = re.compile(r"^#?\s*([A-Za-z][A-Za-z0-9]{0,7})\s*[-\s]\s*0*(\d{1,9})$")


def caja_prefix(caja_number: int) -> str:
    """The receipt prefix of the tenant's caja number N: C01, C02, ..., C100."""
    return f"C{caja_number:02d}"


def format_receipt(prefix: str | None, number: int) -> str:
    """What the receipt, the history and the Z report show: C01-000042 (or 42 unprefixed)."""
    return f"{prefix}-{number:0{DIGITS}d}" if prefix else str(number)


def parse_receipt(text: str) -> tuple[str, int] | None:
    """(prefix, number) of a readable number as typed ('C01-000042', 'c01-42'), or None."""
    match = _READABLE.match(text.strip())
    if match is None:
        return None
    return match.group(1).upper(), int(match.group(2))


# What a receipt prints about the business, in the order it prints them.
BUSINESS_KEYS = ("legal_name", "tax_id", "address")


def business_details(details: Mapping[str, object]) -> dict[str, str]:
    """The receipt's details out of `details`: known keys with text, at most 300 characters."""
    return {
        key: value.strip()[:300]
        for key in BUSINESS_KEYS
        if isinstance(value := details.get(key), str) and value.strip()
    }

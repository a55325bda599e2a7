"""Activation codes: 12 characters of Crockford's base32, shown as ABCD-EFGH-JKMN.

The alphabet (0-9 and A-Z without I, L, O, U) has nothing to misread: typed O is 0, I and L
are 1, case, spaces and dashes do not matter. Only the canonical 12 characters are hashed.

Why 12 characters. A guess names no tenant or sede, so it hits any live code of any
tenant. The keyspace is 32^12 = 2^60, about 1.15e18. Allow a generous 1e6 live codes at once
(codes are single-use and live 24 h by default, 168 h at most): one guess hits with
probability 1e6 / 1.15e18, about 8.7e-13, so a hit takes some 1.15e12 guesses on average.
Wrong codes count per address (an IPv6 client per /64), 10 per 15 minutes (see
ratelimit.py), so 960 a day per address: one address needs ~1.2e9 days, and a botnet of a
million addresses (~1e9 guesses a day) ~1,200 days, over three years, per hit. The old
6-digit codes gave 1e6 / 100 live codes = 1e4 guesses per hit, which only a system-wide
pause could slow down, and that pause let anyone stop every tenant's activations.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12
GROUP = 4
EXAMPLE = "ABCD-EFGH-JKMN"
FORMAT_HINT = f"The activation code is {LENGTH} letters and digits, like {EXAMPLE}."
_READS_AS = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})
_ALLOWED = frozenset(ALPHABET)


def new_code() -> str:
    """A fresh code in canonical form (12 characters, no dashes)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def display(code: str) -> str:
    """The canonical code grouped for people: ABCD-EFGH-JKMN."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalize(text: str) -> str | None:
    """What a person typed, in canonical form; None if it cannot be a code."""
    code = text.strip().upper().translate(_READS_AS)
    if len(code) != LENGTH or not set(code) <= _ALLOWED:
        return None
    return code

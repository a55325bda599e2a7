"""Exponential backoff with full jitter (AWS architecture blog's "Full Jitter")."""

from __future__ import annotations

import random

BASE_SECONDS = 1.0
CAP_SECONDS = 300.0


def full_jitter(
    attempts: int,
    *,
    base: float = BASE_SECONDS,
    cap: float = CAP_SECONDS,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before attempt `attempts + 1`: uniform in [0, min(cap, base * 2^n)]."""
    ceiling = min(cap, base * (2 ** min(attempts, 30)))
    return (rng or random).uniform(0, ceiling)

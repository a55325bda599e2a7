"""Clock health: when a caja's clock is far enough off the cloud's to warn a person.

One rule for the cloud (devices, sync status, dashboard) and the caja (status bar), so the
two never disagree on whether the same offset is a problem. This only warns: the cloud's
own correction of a caja's times (CLOCK_TRUST in stocky.cloud.sync.push) is separate.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

# Two minutes: enough to put a sale in the wrong hour of a report, well under the point
# where the cloud stops trusting the caja's times.
DEFAULT_CLOCK_SKEW_THRESHOLD_S: Final = 120.0


def clock_skewed(offset_ms: float | None, threshold_s: float) -> bool:
    """Whether an offset (caja minus cloud, ms; None: never measured) exceeds the threshold."""
    return offset_ms is not None and abs(offset_ms) > threshold_s * 1000


def worst_offset(offsets: Iterable[int | None]) -> int | None:
    """The offset furthest from zero, sign kept (ahead or behind); None if none measured."""
    measured = [o for o in offsets if o is not None]
    return max(measured, key=abs) if measured else None


def skew_summary(offsets: Iterable[int | None], threshold_s: float) -> tuple[int, int | None]:
    """For a sede's cajas: how many are skewed, and the worst offset among them all."""
    listed = list(offsets)
    return sum(clock_skewed(o, threshold_s) for o in listed), worst_offset(listed)

"""Who is the sede's master: pure decisions over what the probes saw (no I/O, so the rules
are tested on their own).

- A caja that finds a master joins it, even one ranked below itself: a returning old master
  joins as a slave rather than taking the LAN back.
- Two masters (after a partition heals): the higher epoch wins; at equal epochs the better
  rank, then the smaller device id. The loser steps down and joins the winner.
- No master: the first in line among the live cajas (rank 1 first, then device id) takes
  over at an epoch above every one seen, so its messages fence off the old master's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from stocky.edge.lan.protocol import Role


@dataclass(frozen=True)
class PeerView:
    """One caja as a probe saw it (or this caja itself)."""

    device_id: str
    rank: int
    role: Role
    epoch: int
    address: tuple[str, int] | None = None
    master_device_id: str | None = None


def standing(view: PeerView) -> tuple[int, int, str]:
    """Between two masters the smaller standing wins: higher epoch, then better rank, then
    the smaller device id."""
    return (-view.epoch, view.rank, view.device_id)


def line_order(view: PeerView) -> tuple[int, str]:
    return (view.rank, view.device_id)


def master_to_join(seen: Iterable[PeerView]) -> PeerView | None:
    """The winning master among those seen, if any."""
    masters = [view for view in seen if view.role == "master"]
    return min(masters, key=standing) if masters else None


def first_in_line(me: PeerView, live: Iterable[PeerView]) -> PeerView:
    """Who should take over when no master answers: the best-ranked live caja."""
    return min([me, *live], key=line_order)


def next_epoch(mine: int, seen: Iterable[PeerView]) -> int:
    """An epoch above every one this caja knows of."""
    return max([mine, *(view.epoch for view in seen)]) + 1


def yields_to(me: PeerView, other: PeerView) -> bool:
    """True when this master must step down for the other master."""
    return other.device_id != me.device_id and standing(other) < standing(me)

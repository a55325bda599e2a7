"""The election rules on their own: whatever the probes saw, in whatever order, every caja
reaches the same verdict, so a sede settles on one master."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from stocky.edge.lan.election import (
    PeerView,
    first_in_line,
    master_to_join,
    next_epoch,
    yields_to,
)

ROLES = st.sampled_from(["electing", "master", "slave"])


@st.composite
def views(draw: st.DrawFn, min_size: int = 1) -> list[PeerView]:
    ids = draw(st.lists(st.uuids().map(str), min_size=min_size, max_size=6, unique=True))
    return [
        PeerView(
            device_id=device_id,
            rank=draw(st.integers(1, 4)),
            role=draw(ROLES),
            epoch=draw(st.integers(0, 5)),
        )
        for device_id in ids
    ]


@given(views(), st.randoms())
def test_every_caja_picks_the_same_master_whatever_order_it_saw_them_in(
    seen: list[PeerView], rnd: random.Random
) -> None:
    shuffled = seen[:]
    rnd.shuffle(shuffled)
    assert master_to_join(seen) == master_to_join(shuffled)
    chosen = master_to_join(seen)
    masters = [v for v in seen if v.role == "master"]
    assert (chosen is None) == (not masters)
    if chosen is not None:
        # The chosen one yields to no other master, and every other master yields to it.
        assert not any(yields_to(chosen, other) for other in masters)
        assert all(yields_to(other, chosen) for other in masters if other != chosen)


@given(views(min_size=2))
def test_of_two_masters_exactly_one_steps_down(seen: list[PeerView]) -> None:
    a, b = (v.__class__(**{**v.__dict__, "role": "master"}) for v in seen[:2])
    assert yields_to(a, b) != yields_to(b, a)


@given(views(), st.randoms())
def test_the_first_in_line_is_the_same_for_every_caja(
    seen: list[PeerView], rnd: random.Random
) -> None:
    me, *others = seen
    everyone_from_elsewhere = seen[:]
    rnd.shuffle(everyone_from_elsewhere)
    winner = first_in_line(me, others)
    assert winner == min(seen, key=lambda v: (v.rank, v.device_id))
    other, *rest = everyone_from_elsewhere
    assert first_in_line(other, rest) == winner


@given(views(), st.integers(0, 10))
def test_a_new_epoch_fences_every_one_seen(seen: list[PeerView], mine: int) -> None:
    epoch = next_epoch(mine, seen)
    assert epoch > mine
    assert all(epoch > v.epoch for v in seen)


def test_a_returning_old_master_joins_the_new_one_even_ranked_below_it() -> None:
    old = PeerView("a", rank=1, role="electing", epoch=1)
    new = PeerView("b", rank=2, role="master", epoch=2)
    assert master_to_join([new]) == new
    back_as_master = PeerView("a", rank=1, role="master", epoch=1)
    assert yields_to(back_as_master, new)
    assert not yields_to(new, back_as_master)
    assert first_in_line(old, [new]) == old  # only when NO master answers does rank decide

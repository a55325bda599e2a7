"""The caja's rules never break selling: an unreadable setting falls back to its default."""

from __future__ import annotations

import json

import pytest

from stocky.edge.shifts.policy import DEFAULTS, caja_policy
from tests.edge.factories import Caja


@pytest.mark.parametrize(
    "configured",
    [
        {"return_approval_above": "abc", "shift_required": "sometimes"},
        {"return_approval_above": "1e40", "discount_approval_above": [1]},
        {"quantity_confirm_above": "lots", "discount_approval_above_percent": "NaN"},
    ],
)
def test_an_unreadable_setting_is_its_default(
    caja: Caja, configured: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STOCKY_CAJA_POLICY", raising=False)
    caja.store.write(
        lambda c: c.execute(
            "UPDATE sede_info SET config = ? WHERE id = 1",
            (json.dumps({"caja_policy": configured}),),
        )
    )
    policy = caja.store.read(caja_policy)
    assert policy.shift_required == DEFAULTS["shift_required"]
    assert policy.return_approval_above_cents is None
    assert policy.discount_approval_above_cents is None
    assert policy.discount_approval_above_percent is None


def test_a_broken_override_is_ignored(caja: Caja, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STOCKY_CAJA_POLICY", "{not json")
    assert caja.store.read(caja_policy).shift_required == DEFAULTS["shift_required"]

"""The store's exceptions, in their own module so the connection helpers can raise them."""

from __future__ import annotations


class StoreError(RuntimeError):
    """Misuse of the store (nested write, transaction ended by the callback...)."""


class StoreClosedError(StoreError):
    """The store is closed (or closing): it accepts no more reads or writes."""

"""SQL building blocks every feature's repository uses: optional filters, array parameters
and JSON row sets."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, Self, TypeVar

from sqlalchemy import Select, String, Table, any_, bindparam, column, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID


class _Filterable(Protocol):
    def where(self, *whereclause: Any) -> Self: ...


S = TypeVar("S", bound=_Filterable)


def where_given(stmt: S, *filters: tuple[Any, Any]) -> S:
    """`stmt` narrowed by `column == value` for each (column, value) whose value was given:
    the optional equality filters of a list endpoint, None meaning "any"."""
    for column_, value in filters:
        if value is not None:
            stmt = stmt.where(column_ == value)
    return stmt


def uuids(values: Iterable[uuid.UUID]) -> Any:
    """One array parameter instead of one parameter per id (imports pass thousands)."""
    return any_(literal(list(values), ARRAY(UUID(as_uuid=True))))


def texts(values: Iterable[str]) -> Any:
    return any_(literal(list(values), ARRAY(String)))


def rows_from_json(table: Table, columns: Sequence[str], *extra: Any) -> Select[Any]:
    """SELECT `columns` (typed as in `table`) from a JSON array of objects bound as `:rows`.

    A batch of rows travels as ONE jsonb parameter, so the statement stays short and
    cached. A multi-row VALUES is a new, long string for every batch size, which psycopg
    re-parses each time (3 ms for 50 movements) and SQLAlchemy binds one value at a time.
    """
    source = (
        func.jsonb_to_recordset(bindparam("rows", type_=JSONB))
        .table_valued(*(column(name, table.c[name].type) for name in columns))
        .render_derived(name="v", with_types=True)
    )
    return select(*(source.c[name] for name in columns), *extra)

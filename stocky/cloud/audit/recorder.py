"""The one audit mechanism: a before_flush hook that records every ORM change.

A request's session carries an `AuditContext` in `session.info` (set where the session is
opened: the tenant-scoped request dependency, signup, activation). Sessions without one
(jobs, migrations, tests) are not audited. Statements a user's request runs through
`session.execute(insert/update/delete ...)` are recorded too, one row per statement with
its bound values (the rows' old state is not read back). A caja's sync traffic is not
recorded statement by statement: sync_ops already keeps every op it pushed.
"""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.state import InstanceState

from stocky.cloud.models import AuditLog
from stocky.core.ids import new_id

AUDIT_KEY = "stocky.audit"
# Bookkeeping tables: auditing them would be noise (or recursion, for audit_logs itself).
SKIPPED_TABLES = frozenset(
    {"audit_logs", "changes", "sync_ops", "sync_logs", "refresh_tokens", "server_state"}
)
# Secrets never reach the audit trail, not even hashed.
REDACTED_COLUMNS = frozenset(
    {"password_hash", "pin_hash", "credential_hash", "code_hash", "token_hash"}
)
REDACTED = "[redacted]"


@dataclass(frozen=True)
class AuditContext:
    """Who is acting, from where: attached to a session so its flushes are recorded."""

    tenant_id: uuid.UUID | None
    user_id: uuid.UUID | None = None
    device_id: uuid.UUID | None = None
    client_address: str | None = None
    method: str | None = None
    path: str | None = None


def attach(session: Any, context: AuditContext) -> None:
    """Audit every flush of `session` (sync or async) as `context`."""
    session.info[AUDIT_KEY] = context


def clean_address(host: str | None) -> str | None:
    if not host:
        return None
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def _value(key: str, value: Any) -> Any:
    return REDACTED if key in REDACTED_COLUMNS and value is not None else value


def _snapshot(state: InstanceState[Any]) -> dict[str, Any]:
    """The loaded column values (unloaded ones are left out rather than fetched)."""
    out: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        if attr.key in state.dict:
            out[attr.key] = _value(attr.key, state.dict[attr.key])
    return out


def _changes(state: InstanceState[Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if old == new:
                continue
            before[attr.key] = _value(attr.key, old)
            after[attr.key] = _value(attr.key, new)
        elif attr.key in state.dict:
            before[attr.key] = after[attr.key] = _value(attr.key, state.dict[attr.key])
    return before, after


def _table_name(state: InstanceState[Any]) -> str:
    return str(getattr(state.mapper.local_table, "name", ""))


def _entity_id(state: InstanceState[Any]) -> str | None:
    obj: Any = state.obj()
    keys = [c.key for c in state.mapper.primary_key if c.key != "tenant_id" and c.key]
    if keys == ["id"] and getattr(obj, "id", None) is None:
        # Assign the uuid7 now rather than at INSERT, so the audit row can name it.
        obj.id = new_id()
    values = [getattr(obj, key, None) for key in keys]
    return ":".join(str(v) for v in values if v is not None) or None


def _tenant_of(state: InstanceState[Any], context: AuditContext) -> uuid.UUID | None:
    obj = state.obj()
    if _table_name(state) == "tenants":
        return getattr(obj, "id", None) or context.tenant_id
    tenant_id = getattr(obj, "tenant_id", None)
    return tenant_id if isinstance(tenant_id, uuid.UUID) else context.tenant_id


def _record(
    session: Session,
    context: AuditContext,
    obj: Any,
    verb: str,
) -> AuditLog | None:
    state: InstanceState[Any] = inspect(obj)
    table = _table_name(state)
    if table in SKIPPED_TABLES or isinstance(obj, AuditLog):
        return None
    if verb == "created":
        entity_id = _entity_id(state)
        before, after = None, _snapshot(state)
    elif verb == "deleted":
        entity_id = _entity_id(state)
        before, after = _snapshot(state), None
    else:
        if not session.is_modified(obj, include_collections=False):
            return None
        entity_id = _entity_id(state)
        before, after = _changes(state)
        if before == after:
            return None
    tenant_id = _tenant_of(state, context)
    if tenant_id is None:
        return None
    return AuditLog(
        tenant_id=tenant_id,
        id=new_id(),
        user_id=context.user_id,
        device_id=context.device_id,
        action=f"{table}.{verb}",
        entity_type=table,
        entity_id=entity_id,
        before_data=before,
        after_data=after,
        extra={"method": context.method, "path": context.path},
        client_address=context.client_address,
    )


@event.listens_for(Session, "before_flush")
def _audit_before_flush(session: Session, _flush_context: Any, _instances: Any) -> None:
    context = session.info.get(AUDIT_KEY)
    if not isinstance(context, AuditContext):
        return
    entries: list[AuditLog] = []
    for verb, objects in (
        ("created", list(session.new)),
        ("updated", list(session.dirty)),
        ("deleted", list(session.deleted)),
    ):
        for obj in objects:
            entry = _record(session, context, obj, verb)
            if entry is not None:
                entries.append(entry)
    session.add_all(entries)


def _json_safe(value: Any, depth: int = 0) -> Any:
    if value is None or isinstance(value, bool | int | str | Decimal | uuid.UUID):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if depth < 4 and isinstance(value, dict):
        return {str(k): _value(str(k), _json_safe(v, depth + 1)) for k, v in value.items()}
    if depth < 4 and isinstance(value, list | tuple):
        return [_json_safe(v, depth + 1) for v in value]
    return str(value)


def _statement_params(state: ORMExecuteState) -> Any:
    if state.parameters:
        return _json_safe(state.parameters)
    statement: Any = state.statement
    try:
        compiled = statement.compile(dialect=state.session.get_bind().dialect)
    except Exception:  # a statement we cannot render: record that it ran, not its values
        return None
    return _json_safe(dict(compiled.params))


def _statement_table(state: ORMExecuteState) -> str:
    # Set-based writes are built on the Table, not the mapped class: no bind_mapper then.
    mapper = state.bind_mapper
    if mapper is not None:
        return str(getattr(mapper.local_table, "name", ""))
    return str(getattr(getattr(state.statement, "table", None), "name", ""))


@event.listens_for(Session, "do_orm_execute")
def _audit_statement(state: ORMExecuteState) -> None:
    context = state.session.info.get(AUDIT_KEY)
    if not isinstance(context, AuditContext) or context.device_id is not None:
        return
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = _statement_table(state)
    if not table or table in SKIPPED_TABLES or context.tenant_id is None:
        return
    verb = "created" if state.is_insert else "updated" if state.is_update else "deleted"
    state.session.add(
        AuditLog(
            tenant_id=context.tenant_id,
            id=new_id(),
            user_id=context.user_id,
            device_id=None,
            action=f"{table}.{verb}",
            entity_type=table,
            entity_id=None,
            before_data=None,
            after_data={"statement": _statement_params(state)},
            extra={"method": context.method, "path": context.path, "bulk": True},
            client_address=context.client_address,
        )
    )

"""Reviewing a run's suggestions: accept (as proposed or edited), reject, or either in bulk.

Nothing is applied to the catalog but by `accept`. A rename goes through the catalog's own
versioned update (so cajas pull it and the audit recorder keeps it); a merge through
`stocky.cloud.catalog.merge.merge_products`. A product that changed since it was suggested
makes the suggestion stale: 409, naming it. The request owns the transaction.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.ai import repository as repo
from stocky.cloud.ai.api_schemas import (
    AcceptIn,
    BulkIn,
    BulkItem,
    BulkOut,
    SuggestionOut,
    SuggestionPage,
)
from stocky.cloud.ai.service import require_manager
from stocky.cloud.auth.tokens import Principal
from stocky.cloud.catalog import service as catalog
from stocky.cloud.catalog.merge import merge_products
from stocky.cloud.catalog.schemas import ProductUpdate
from stocky.cloud.kit.pagination import InvalidFieldError, decode_cursor, encode_cursor
from stocky.cloud.models import AiSuggestion
from stocky.core.errors import ConflictError, NotFoundError, StockyError


async def list_suggestions(
    session: AsyncSession,
    user: Principal,
    run_id: uuid.UUID,
    *,
    status: str | None,
    kind: str | None,
    cursor: str | None,
    limit: int,
) -> SuggestionPage:
    require_manager(user)
    if await repo.get_run(session, user.tenant_id, run_id) is None:
        raise NotFoundError("No such run.", field="run_id")
    after = None
    if cursor:
        (raw,) = decode_cursor(cursor, 1)
        try:
            after = uuid.UUID(raw)
        except ValueError as exc:
            raise InvalidFieldError("cursor", "not a cursor this API issued") from exc
    rows = await repo.page_suggestions(
        session, user.tenant_id, run_id, status=status, kind=kind, after=after, limit=limit + 1
    )
    items = rows[:limit]
    next_cursor = encode_cursor(str(items[-1].id)) if len(rows) > limit else None
    return SuggestionPage(
        items=[SuggestionOut.model_validate(s) for s in items], next_cursor=next_cursor
    )


async def _pending(
    session: AsyncSession, user: Principal, suggestion_id: uuid.UUID
) -> AiSuggestion:
    suggestion = await repo.get_suggestion(session, user.tenant_id, suggestion_id, lock=True)
    if suggestion is None:
        raise NotFoundError("No such suggestion.", field="suggestion_id")
    if suggestion.status != "pending":
        raise ConflictError(
            f"Suggestion {suggestion.id} is already {suggestion.status}.",
            field="suggestion_id",
            status=suggestion.status,
        )
    return suggestion


async def _check_fresh(session: AsyncSession, user: Principal, suggestion: AiSuggestion) -> None:
    """409 when any of its products changed (or went away) since it was suggested."""
    products = await repo.products(session, user.tenant_id, suggestion.product_ids, lock=True)
    for product_id in suggestion.product_ids:
        product = products.get(product_id)
        then = int(suggestion.versions[str(product_id)])
        if product is None or product.version != then or not product.active:
            now = "gone" if product is None else f"version {product.version}"
            raise ConflictError(
                f"Suggestion {suggestion.id} is stale: product {product_id} changed since it "
                f"was suggested (version {then}, now {now}"
                f"{'' if product is None or product.active else ', inactive'}). "
                "Run the normalizer again.",
                field="suggestion_id",
                suggestion_id=str(suggestion.id),
                product_id=str(product_id),
            )


async def _apply_rename(
    session: AsyncSession, user: Principal, suggestion: AiSuggestion, body: AcceptIn
) -> dict[str, Any]:
    proposed = suggestion.proposed
    applied = {
        "name": body.name if body.name is not None else proposed["name"],
        "category": body.category if "category" in body.model_fields_set else proposed["category"],
    }
    (product_id,) = suggestion.product_ids
    await catalog.update_product(
        session,
        user,
        product_id,
        ProductUpdate(
            version=int(suggestion.versions[str(product_id)]),
            name=applied["name"],
            category=applied["category"],
        ),
    )
    return applied


async def _apply_merge(
    session: AsyncSession, user: Principal, suggestion: AiSuggestion, body: AcceptIn
) -> dict[str, Any]:
    survivor = body.survivor_id or uuid.UUID(suggestion.proposed["survivor_id"])
    if survivor not in suggestion.product_ids:
        raise InvalidFieldError("survivor_id", "must be one of the suggestion's product_ids")
    merged = [p for p in suggestion.product_ids if p != survivor]
    result = await merge_products(
        session,
        tenant_id=user.tenant_id,
        survivor_id=survivor,
        merged_ids=merged,
        actor_user_id=user.user_id,
    )
    return {
        "survivor_id": str(result.survivor_id),
        "merged_ids": [str(p) for p in result.merged_ids],
        "movements": result.movements,
        "stock_rows": result.stock_rows,
        "transfer_lines": result.transfer_lines,
        "barcodes": list(result.barcodes),
    }


def _edited(suggestion: AiSuggestion, applied: dict[str, Any]) -> bool:
    proposed = suggestion.proposed
    if suggestion.kind == "merge":
        return bool(proposed.get("survivor_id") != applied["survivor_id"])
    return any(proposed.get(k) != v for k, v in applied.items())


async def accept(
    session: AsyncSession, user: Principal, suggestion_id: uuid.UUID, body: AcceptIn
) -> SuggestionOut:
    """Apply the suggestion (with the edits in `body`): `accepted`, or `edited` when the
    person changed what was proposed."""
    require_manager(user)
    suggestion = await _pending(session, user, suggestion_id)
    await _check_fresh(session, user, suggestion)
    if suggestion.kind == "rename":
        applied = await _apply_rename(session, user, suggestion, body)
    else:
        applied = await _apply_merge(session, user, suggestion, body)
    suggestion.status = "edited" if _edited(suggestion, applied) else "accepted"
    suggestion.applied = applied
    suggestion.decided_by = user.user_id
    suggestion.decided_at = datetime.now(UTC)
    await session.flush()
    return SuggestionOut.model_validate(suggestion)


async def reject(session: AsyncSession, user: Principal, suggestion_id: uuid.UUID) -> SuggestionOut:
    require_manager(user)
    suggestion = await _pending(session, user, suggestion_id)
    suggestion.status = "rejected"
    suggestion.decided_by = user.user_id
    suggestion.decided_at = datetime.now(UTC)
    await session.flush()
    return SuggestionOut.model_validate(suggestion)


async def bulk(session: AsyncSession, user: Principal, body: BulkIn) -> BulkOut:
    """Each suggestion in its own savepoint: a stale or decided one is reported and the
    rest still apply."""
    require_manager(user)
    items: list[BulkItem] = []
    for suggestion_id in dict.fromkeys(body.ids):
        try:
            async with session.begin_nested():
                if body.action == "accept":
                    out = await accept(session, user, suggestion_id, AcceptIn())
                else:
                    out = await reject(session, user, suggestion_id)
        except StockyError as exc:
            items.append(
                BulkItem(id=suggestion_id, status=None, error=exc.code, message=exc.message)
            )
        else:
            items.append(BulkItem(id=suggestion_id, status=out.status))
    return BulkOut(items=items)

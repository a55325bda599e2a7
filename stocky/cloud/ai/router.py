"""/api/ai: the catalog normalizer (ARCHITECTURE §8). Suggestions only: nothing in the
catalog changes until a person accepts one."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request

from stocky.cloud.ai import review, service
from stocky.cloud.ai.api_schemas import (
    AcceptIn,
    AiSettingsIn,
    AiSettingsOut,
    BulkIn,
    BulkOut,
    NormalizeIn,
    NormalizeOut,
    RunOut,
    SuggestionKind,
    SuggestionOut,
    SuggestionPage,
    SuggestionStatus,
)
from stocky.cloud.auth.deps import CurrentUser, TenantSession
from stocky.cloud.deps import RedisDep, SettingsDep
from stocky.cloud.kit.pagination import DEFAULT_PAGE, MAX_PAGE
from stocky.core.errors import error_responses

router = APIRouter(prefix="/api/ai", tags=["ai"])


@router.post(
    "/normalize",
    summary="Suggestions and likely duplicates for some products or raw rows, now",
    description=(
        "Either `product_ids` (the tenant's products) or `rows` ({id, name}: an import not "
        "yet saved), up to the server's limit (500 by default). Clean name, brand, variant, "
        "size and unit, category (from the tenant's own categories) with a confidence and "
        "reasons, and groups of likely duplicates. Changes nothing. Rate limited per tenant "
        "(429 with Retry-After); the same input answers from a cache."
    ),
    responses=error_responses(401, 403, 422, 429),
)
async def normalize(
    body: NormalizeIn,
    user: CurrentUser,
    session: TenantSession,
    redis: RedisDep,
    settings: SettingsDep,
) -> NormalizeOut:
    return await service.normalize(session, redis, settings, user, body)


@router.get(
    "/settings",
    summary="The tenant's normalizer provider, model and base_url (admin, owner)",
    responses=error_responses(401, 403),
)
async def get_settings(
    user: CurrentUser, session: TenantSession, settings: SettingsDep
) -> AiSettingsOut:
    return await service.get_settings(session, settings, user)


@router.put(
    "/settings",
    summary="Choose the normalizer provider, model and base_url (admin, owner)",
    description="The API key is the server's (STOCKY_AI_OPENAI_API_KEY), never a tenant's.",
    responses=error_responses(401, 403, 422),
)
async def put_settings(
    body: AiSettingsIn, user: CurrentUser, session: TenantSession, settings: SettingsDep
) -> AiSettingsOut:
    return await service.put_settings(session, settings, user, body)


@router.post(
    "/runs",
    status_code=202,
    summary="Normalize the whole catalog (its active products) as a job",
    description="Follow it with GET /api/ai/runs/{id}; review its suggestions once done.",
    responses=error_responses(401, 403),
)
async def start_run(
    request: Request, user: CurrentUser, session: TenantSession, settings: SettingsDep
) -> RunOut:
    return await service.start_run(session, request.app.state.jobs, settings, user)


@router.get(
    "/runs",
    summary="The tenant's latest runs, newest first",
    responses=error_responses(401, 403, 422),
)
async def list_runs(
    user: CurrentUser,
    session: TenantSession,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[RunOut]:
    return await service.list_runs(session, user, limit)


@router.get(
    "/runs/{run_id}",
    summary="A run's progress: status, processed of total, suggestions stored",
    responses=error_responses(401, 403, 404, 422),
)
async def get_run(user: CurrentUser, session: TenantSession, run_id: uuid.UUID) -> RunOut:
    return await service.get_run(session, user, run_id)


@router.get(
    "/runs/{run_id}/suggestions",
    summary="A run's suggestions, oldest first, by status and kind",
    responses=error_responses(401, 403, 404, 422),
)
async def list_suggestions(
    user: CurrentUser,
    session: TenantSession,
    run_id: uuid.UUID,
    status: SuggestionStatus | None = None,
    kind: SuggestionKind | None = None,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
) -> SuggestionPage:
    return await review.list_suggestions(
        session, user, run_id, status=status, kind=kind, cursor=cursor, limit=limit
    )


@router.post(
    "/suggestions/bulk",
    summary="Accept or reject many suggestions; each one's outcome is reported",
    responses=error_responses(401, 403, 422),
)
async def bulk(body: BulkIn, user: CurrentUser, session: TenantSession) -> BulkOut:
    return await review.bulk(session, user, body)


@router.post(
    "/suggestions/{suggestion_id}/accept",
    summary="Apply a suggestion, optionally edited (a rename's name and category, a merge's "
    "survivor)",
    description="409 when it was decided already or a product changed since (stale).",
    responses=error_responses(401, 403, 404, 409, 422),
)
async def accept(
    user: CurrentUser,
    session: TenantSession,
    suggestion_id: uuid.UUID,
    body: AcceptIn | None = None,
) -> SuggestionOut:
    return await review.accept(session, user, suggestion_id, body or AcceptIn())


@router.post(
    "/suggestions/{suggestion_id}/reject",
    summary="Reject a suggestion: nothing is applied",
    responses=error_responses(401, 403, 404, 409),
)
async def reject(
    user: CurrentUser, session: TenantSession, suggestion_id: uuid.UUID
) -> SuggestionOut:
    return await review.reject(session, user, suggestion_id)

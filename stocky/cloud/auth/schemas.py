"""Login, refresh and identity payloads."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from stocky.cloud.tenants.schemas import EMAIL_PATTERN


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: str = Field(max_length=254, pattern=EMAIL_PATTERN)
    password: str = Field(min_length=1, max_length=200)
    tenant: str | None = Field(default=None, max_length=80, description="Tenant slug")

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=10, max_length=200)


class LogoutIn(BaseModel):
    """The refresh token whose session ends. Any string of the right size is taken: an
    unknown, malformed or already revoked one answers the same 204 (no oracle)."""

    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=200)


# The web admin's languages; Spanish by default (users.language, migration 0016).
Language = Literal["es", "en"]


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    tenant_id: uuid.UUID
    sede_id: uuid.UUID | None
    email: str
    name: str
    role: str
    active: bool
    language: Language = "es"
    version: int


class TokenOut(BaseModel):
    token_type: str = "bearer"
    access_token: str
    expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime
    user: UserOut


class MeOut(BaseModel):
    user: UserOut
    tenant: dict[str, Any]

"""Audit log entries out."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class AuditLogOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    user_id: uuid.UUID | None
    device_id: uuid.UUID | None
    action: str
    entity_type: str
    entity_id: str | None
    before_data: dict[str, Any] | None
    after_data: dict[str, Any] | None
    extra: dict[str, Any] = Field(serialization_alias="metadata")
    client_address: str | None
    created_at: datetime

    @field_validator("client_address", mode="before")
    @classmethod
    def _address_text(cls, value: Any) -> str | None:
        return None if value is None else str(value)


class AuditPage(BaseModel):
    items: list[AuditLogOut]
    next_cursor: str | None

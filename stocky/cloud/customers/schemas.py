"""Customers in and out of the API; text fields refuse control characters (core values)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from stocky.core.values import Line

Name = Annotated[Line, Field(min_length=1, max_length=200)]
TaxId = Annotated[Line, Field(min_length=1, max_length=40)]
Email = Annotated[Line, Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]
Phone = Annotated[Line, Field(min_length=1, max_length=40)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CustomerCreate(_In):
    name: Name
    tax_id: TaxId | None = Field(default=None, description="NIT or CC; unique in the tenant")
    email: Email | None = None
    phone: Phone | None = None
    active: bool = True


class CustomerUpdate(_In):
    """A partial edit: only the fields sent change; name and active cannot be null."""

    name: Name | None = None
    tax_id: TaxId | None = None
    email: Email | None = None
    phone: Phone | None = None
    active: bool | None = None

    @model_validator(mode="after")
    def _no_null_required(self) -> CustomerUpdate:
        for name in ("name", "active"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.model_fields_set}


class CustomerOut(BaseModel):
    id: uuid.UUID
    name: str
    tax_id: str | None
    email: str | None
    phone: str | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class CustomerPage(BaseModel):
    items: list[CustomerOut]
    next_cursor: str | None = None

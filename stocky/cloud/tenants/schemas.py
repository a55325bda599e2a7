"""Tenant signup input, shared by POST /api/signup and `stocky cloud create-tenant`, and the
tenant as the API answers it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class TenantSignup(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    tenant_name: str = Field(min_length=2, max_length=200)
    email: str = Field(max_length=254, pattern=EMAIL_PATTERN)
    password: str = Field(min_length=8, max_length=200)
    owner_name: str | None = Field(default=None, max_length=200)
    currency: str = Field(default="COP", pattern=r"^[A-Za-z]{3}$")
    locale: str = Field(default="es-CO", pattern=r"^[a-z]{2}(-[A-Z]{2})?$")
    timezone: str = Field(default="America/Bogota", max_length=60)

    @field_validator("email")
    @classmethod
    def _normalize_email(cls, value: str) -> str:
        return value.lower()

    @field_validator("currency")
    @classmethod
    def _upper_currency(cls, value: str) -> str:
        return value.upper()


class TenantOut(BaseModel):
    id: str
    name: str
    slug: str
    currency: str
    locale: str
    timezone: str

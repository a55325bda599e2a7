"""Users in and out. Password hashes never leave the cloud through these."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from stocky.cloud.auth.schemas import Language, UserOut
from stocky.cloud.tenants.schemas import EMAIL_PATTERN

RoleName = Literal["owner", "admin", "manager", "cashier"]

__all__ = [
    "ManagedUserOut",
    "MeUpdate",
    "PasswordChange",
    "PinSet",
    "RoleName",
    "UserCreate",
    "UserOut",
    "UserUpdate",
]


def _lower(value: str | None) -> str | None:
    return value.lower() if value is not None else None


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: str = Field(max_length=254, pattern=EMAIL_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=8, max_length=200)
    role: RoleName
    sede_id: uuid.UUID | None = None

    _email = field_validator("email")(_lower)


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: str | None = Field(default=None, max_length=254, pattern=EMAIL_PATTERN)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    password: str | None = Field(default=None, min_length=8, max_length=200)
    role: RoleName | None = None
    sede_id: uuid.UUID | None = None
    active: bool | None = None
    language: Language | None = None

    _email = field_validator("email")(_lower)


class MeUpdate(BaseModel):
    """What any user changes of their own row: the name shown and the admin's language."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=200)
    language: Language | None = None


class PasswordChange(BaseModel):
    """A user's own new password, with the current one (a session left open on a shared
    screen cannot take the account). `refresh_token`, the caller's own, keeps that one
    session; every other session of the user ends."""

    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=200)
    new_password: str = Field(min_length=8, max_length=200)
    refresh_token: str | None = Field(
        default=None, max_length=200, description="The caller's own session, kept"
    )


class PinSet(BaseModel):
    """A user's own approval PIN, set with their current password (a session left open on
    a shared screen cannot mint a PIN that approves at the counter)."""

    model_config = ConfigDict(extra="forbid")

    pin: str = Field(pattern=r"^[0-9]{4,8}$", description="4 to 8 digits")
    password: str = Field(min_length=1, max_length=200, description="The user's own password")


class ManagedUserOut(UserOut):
    """A user as the users API shows it to those who manage users: with whether they set an
    approval PIN (never the PIN nor its hash)."""

    has_pin: bool = False

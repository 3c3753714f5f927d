"""What a person sends about themselves, checked the same way by the API and the pages."""

from __future__ import annotations

from pydantic import Field

from scheduler.core.schemas import Input


class PasswordChange(Input):
    current_password: str = Field(min_length=1, max_length=1000)
    new_password: str = Field(min_length=12, max_length=1000, description="12 characters or more")

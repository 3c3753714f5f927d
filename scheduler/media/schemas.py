"""What the API answers about uploads."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from scheduler.core.models import StoredMedium
from scheduler.core.schemas import Output


class MediaPublic(Output):
    """One upload: its id (what a post names), its digest, and what its bytes are."""

    id: int
    production_id: int
    sha256: str
    content_type: str = Field(description="From the file's bytes, not its name")
    kind: str = Field(description="image or video")
    bytes: int
    width: int | None = None
    height: int | None = None
    seconds: float | None = None
    original_name: str = Field(description="The uploader's file name, for display only")
    uploaded_by: str
    created_at: datetime
    url: str = Field(description="Where Callsheet serves it to the production's members")

    @classmethod
    def of(cls, medium: StoredMedium) -> MediaPublic:
        url = f"/productions/{medium.production_id}/media/{medium.id}"
        return cls.model_validate({**medium.model_dump(), "url": url})

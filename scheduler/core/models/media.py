"""Images and videos uploaded to Callsheet: one row per production and file.

Apart because the files belong to a production's media library, not to any post: a post names
an upload by its id, and many posts may. A row never changes after it is written: the file it
describes is stored under its ``sha256`` (``scheduler.media.store``), so the digest an approval
binds is the file that goes out. The same bytes uploaded to two productions are two rows over
one stored file; uploaded twice to one production, one row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from scheduler.core.models.columns import UTCDateTime, utcnow


class StoredMedium(SQLModel, table=True):
    """One uploaded image or video of a production, and what its bytes were found to be."""

    __tablename__ = "media"
    __table_args__ = (
        UniqueConstraint("production_id", "sha256", name="uq_media_production_sha256"),
    )

    id: int | None = Field(default=None, primary_key=True)
    production_id: int = Field(foreign_key="production.id", index=True)
    #: The file's sha256 in hex: its name in the media store, and what an approval binds.
    sha256: str = Field(sa_type=String(64))
    #: From the file's first bytes, never from the client's name or Content-Type.
    content_type: str = Field(sa_type=String(40))
    kind: str = Field(sa_type=String(8))  # image | video
    bytes: int = Field(sa_column=Column(BigInteger(), nullable=False))
    width: int | None = None
    height: int | None = None
    seconds: float | None = None
    #: The name the uploader's file had: shown to people, never used to find or name a file.
    original_name: str = Field(sa_type=String(200))
    uploaded_by: str = Field(sa_type=String(120))
    uploaded_by_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )

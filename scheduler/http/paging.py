"""Lists come a page at a time: ``limit`` and ``offset`` in the query, the whole count in
``X-Total-Count``, and the next page's address in a ``Link: <…>; rel="next"`` header (RFC 8288).

The body stays a plain list, so a client that read the first page before still reads it; a
client that wants everything follows ``next`` until there is none. Before, ``GET /posts`` had
no limit: 10,000 posts were 8.9 MB in 6 s, for a page that shows fifty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request, Response
from sqlalchemy import func
from sqlmodel import Session, select
from sqlmodel.sql.expression import SelectOfScalar

from scheduler.core.schemas import MAX_ID

#: Rows a page holds unless the caller asks for fewer or more.
DEFAULT_LIMIT = 100
#: The most a caller may ask for in one page.
MAX_LIMIT = 1000

Row = TypeVar("Row")


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int


def paging(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Rows in this page")] = (
        DEFAULT_LIMIT
    ),
    offset: Annotated[int, Query(ge=0, le=MAX_ID, description="Rows to skip")] = 0,
) -> Paging:
    return Paging(limit=limit, offset=offset)


PagingDep = Annotated[Paging, Depends(paging)]


def one_page(
    session: Session,
    query: SelectOfScalar[Row],
    paging: Paging,
    request: Request,
    response: Response,
) -> Sequence[Row]:
    """The page ``paging`` names of ``query`` (already ordered), with the count and the next
    page's address in the answer's headers."""
    counted: Any = select(func.count()).select_from(query.order_by(None).subquery())
    total: int = session.exec(counted).one()
    rows = session.exec(query.offset(paging.offset).limit(paging.limit)).all()
    response.headers["X-Total-Count"] = str(total)
    following = paging.offset + len(rows)
    if rows and following < total:
        after = request.url.include_query_params(offset=following, limit=paging.limit)
        response.headers["Link"] = f'<{after}>; rel="next"'
    return rows

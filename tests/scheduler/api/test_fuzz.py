"""No input gives a 500: every operation of the OpenAPI document, fuzzed over real HTTP.

Schemathesis reads the app's own OpenAPI document and generates requests for each operation:
inputs that fit the schema, and inputs that do not (wrong types, missing fields, ids no table
can hold). Each goes to the API served by uvicorn over SQLite and over PostgreSQL, signed in as
a site admin, and every answer must be something other than a server error (a 4xx that names
the field, a 404, or a success), and a documented success must match its documented schema.

Rows are seeded first (a production, a milestone, an outbox account, an approved post and its
delivery, a person) and half of the generated requests aim at their ids, so operations get past
"not found" into the code that does the work.

The budget is small and derandomized, so ``make test`` sends the same requests each time (40
per operation, under a minute per database); ``CALLSHEET_FUZZ_EXAMPLES=200`` runs deeper.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session, select

from scheduler.api import create_app
from scheduler.core.models import Delivery
from tests import factories
from tests.conftest import person_with_token

EXAMPLES = int(os.environ.get("CALLSHEET_FUZZ_EXAMPLES", "40"))
SCHEMA = schemathesis.openapi.from_dict(create_app().openapi())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
CHECKS = [schemathesis.checks.not_a_server_error, schemathesis.checks.response_schema_conformance]
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
)


def seed(engine: Engine, tmp_path: Path) -> dict[str, Any]:
    """Rows for the fuzzed requests to reach; returns path parameter values naming them."""
    with Session(engine, expire_on_commit=False) as session:
        production = factories.production(session)
        production_id = production.id or 0
        milestone_id = factories.premiere(session, production_id, datetime.now(UTC))
        account = factories.outbox_account(session, tmp_path / "outbox")
        post = factories.approved_post(
            session, production_id, [account], at=datetime.now(UTC) + timedelta(days=3)
        )
        person_id = factories.person(session, "ana@nightshift.test")
        delivery = session.exec(select(Delivery).where(Delivery.post_id == post.id)).one()
        session.commit()
    return {
        "production_id": production_id,
        "milestone_id": milestone_id,
        "account_id": account.id,
        "post_id": post.id,
        "person_id": person_id,
        "delivery_id": delivery.id,
    }


def fuzz(
    operation: schemathesis.APIOperation, base_url: str, token: str, known: dict[str, Any]
) -> str | None:
    """Fuzz one operation: its first failure (a server error, a success off its documented
    schema, a dropped connection), described, or None.

    Each request is one of four kinds: fitting the schema or not, with any ids or with the
    seeded rows' ids in the path. Hypothesis shrinks a failure to its simplest request."""
    names = {p.name for p in operation.path_parameters}
    aimed = {name: value for name, value in known.items() if name in names}
    strategies = [
        operation.as_strategy(mode, path_parameters=ids)
        for mode in schemathesis.GenerationMode
        for ids in ({}, aimed)
    ]
    headers = {"Authorization": f"Bearer {token}"}
    http = requests.Session()

    @FUZZ
    @given(case=st.one_of(strategies))
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(
            base_url=base_url, session=http, headers=headers, checks=CHECKS, timeout=30
        )

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # failed checks, or a dropped connection
        return f"{type(exc).__name__}: {exc}"
    finally:
        http.close()
    return None


def test_no_input_gives_a_server_error(
    client: httpx.Client, engine: Engine, tmp_path: Path
) -> None:
    known = seed(engine, tmp_path)
    errors: dict[str, str] = {}
    for number, operation in enumerate(OPERATIONS):
        # A fresh token each time: fuzzing /auth/logout or DELETE /tokens may spend the last.
        with Session(engine) as session:
            email = f"fuzz{number}@nightshift.test"
            token = person_with_token(session, name="Fuzz", email=email, site_admin=True)
        failure = fuzz(operation, str(client.base_url), token, known)
        if failure is not None:
            errors[operation.label] = failure
    assert len(OPERATIONS) > 60
    assert errors == {}, "\n\n".join(f"{label}\n{text}" for label, text in errors.items())

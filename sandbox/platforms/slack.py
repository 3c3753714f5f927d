"""Slack incoming webhooks: ``POST /services/{team}/{bot}/{secret}`` with a JSON message.

Slack answers ``200`` with the plain-text body ``ok`` and no message id. Every refusal is a
plain-text word (api.slack.com "Incoming webhooks", "Handling errors"): ``400 invalid_payload``
(not JSON), ``400 no_text`` (neither ``text`` nor ``blocks``), ``400 invalid_blocks`` (a block
Slack cannot render, such as an image block without ``alt_text``), ``403 invalid_token``,
``403 action_prohibited``, ``404 no_service`` (the webhook was removed or disabled),
``404 channel_not_found``, ``410 channel_is_archived``. A throttled webhook gets ``429`` with
``Retry-After`` and the body ``rate_limited``.

To rehearse the other refusals, the sandbox answers a webhook whose team part is the word
(``/services/channel_is_archived/B1/secret``) with that refusal.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import PlainTextResponse

from sandbox.common import store_of
from sandbox.faults import FaultSpec

NAME = "slack"
#: Block Kit reference: a section's text and an image's ``image_url`` are at most 3,000
#: characters, ``alt_text`` at most 2,000, and a message has at most 50 blocks.
SECTION_TEXT_LIMIT = 3000
IMAGE_URL_LIMIT = 3000
ALT_TEXT_LIMIT = 2000
BLOCKS_LIMIT = 50
#: Refusals a webhook can be made to answer by naming it as the team (see the module docstring).
REHEARSED = {
    "action_prohibited": 403,
    "channel_not_found": 404,
    "channel_is_archived": 410,
    "invalid_token": 403,
    "no_service": 404,
}

router = APIRouter()


def _word(status: int, word: str, headers: dict[str, str] | None = None) -> Response:
    return PlainTextResponse(word, status_code=status, headers=headers)


@router.post("/services/{team}/{bot}/{secret}", response_model=None)
async def incoming_webhook(team: str, bot: str, secret: str, request: Request) -> Response:
    store = store_of(request)
    if store.is_revoked(secret):
        return _word(404, "no_service")
    if team in REHEARSED:
        return _word(REHEARSED[team], team)
    try:
        body = json.loads(await request.body())
    except ValueError:
        return _word(400, "invalid_payload")
    if not isinstance(body, dict):
        return _word(400, "invalid_payload")
    text, blocks = body.get("text"), body.get("blocks")
    if not (isinstance(text, str) and text.strip()) and not blocks:
        return _word(400, "no_text")
    if blocks is not None and not _valid_blocks(blocks):
        return _word(400, "invalid_blocks")
    store.add(NAME, account=f"{team}/{bot}", kind="post", body=body)
    return _word(200, "ok")


def _valid_blocks(blocks: Any) -> bool:
    """The Block Kit rules the sandbox enforces: the ones an adapter could get wrong."""
    if not isinstance(blocks, list) or not 0 < len(blocks) <= BLOCKS_LIMIT:
        return False
    return all(isinstance(block, dict) and _valid_block(block) for block in blocks)


def _valid_block(block: dict[str, Any]) -> bool:
    if block.get("type") == "image":
        url, alt = block.get("image_url"), block.get("alt_text")
        return (
            isinstance(url, str)
            and url.startswith(("http://", "https://"))
            and len(url) <= IMAGE_URL_LIMIT
            and isinstance(alt, str)
            and 0 < len(alt) <= ALT_TEXT_LIMIT
        )
    if block.get("type") == "section":
        text = block.get("text")
        return (
            isinstance(text, dict)
            and text.get("type") in ("mrkdwn", "plain_text")
            and isinstance(text.get("text"), str)
            and 0 < len(text["text"]) <= SECTION_TEXT_LIMIT
        )
    return block.get("type") in ("context", "divider", "header", "rich_text")


def fault_response(spec: FaultSpec, _scope: Any) -> Response | None:
    """Slack's refusals are plain-text words, its throttle a 429 with ``Retry-After``."""
    if spec.kind == "rate_limit":
        return _word(429, "rate_limited", {"Retry-After": str(max(0, round(spec.retry_after)))})
    if spec.kind == "unauthorized":
        return _word(403, "invalid_token")
    if spec.kind == "server_error":
        return _word(spec.status, "rollup_error")
    return None

"""The account settings that point each platform's adapter at this sandbox.

What ``callsheet sandbox`` prints, so a person rehearsing a campaign can connect an account for
every platform without reading the adapters: the base URLs are the sandbox's own
(``http://HOST:PORT/<platform>``, never the bare sandbox URL, whose paths no platform serves),
and a token ``anything:<account>`` files what it sends under ``<account>``
(``sandbox.common.account_of``). A test connects an account with each and publishes through it.
"""

from __future__ import annotations

from collections.abc import Callable

#: Per platform: its settings, given its base URL in the sandbox and a token for the account.
_SETTINGS: dict[str, Callable[[str, str], dict[str, str]]] = {
    "x": lambda base, token: {"base_url": base, "access_token": token},
    "bluesky": lambda base, token: {
        "base_url": base,
        "identifier": f"{token.rpartition(':')[2]}.bsky.social",
        "app_password": "abcd-efgh-ijkl-mnop",
    },
    "mastodon": lambda base, token: {"base_url": base, "access_token": token},
    "threads": lambda base, token: {"base_url": base, "access_token": token},
    "instagram": lambda base, token: {
        "base_url": base,
        "ig_user_id": "17841400000000001",
        "access_token": token,
    },
    "facebook": lambda base, token: {"base_url": base, "page_id": "1", "access_token": token},
    "linkedin": lambda base, token: {
        "base_url": base,
        "oauth_url": base,
        "author": "urn:li:organization:1",
        "access_token": token,
    },
    "tiktok": lambda base, token: {"base_url": base, "access_token": token},
    "youtube": lambda base, token: {
        "base_url": base,
        "token_url": f"{base}/token",
        "access_token": token,
    },
    "slack": lambda base, token: {
        "webhook_url": f"{base}/services/T0SANDBOX/B0SANDBOX/{token.rpartition(':')[2]}"
    },
    "discord": lambda base, token: {
        "webhook_url": f"{base}/api/webhooks/1/{token.rpartition(':')[2]}"
    },
}


def account_settings(platform: str, url: str, account: str = "rehearsal") -> dict[str, str]:
    """Settings for an account of ``platform`` that publishes into the sandbox at ``url``
    (``http://HOST:PORT``), filed under ``account``."""
    base = f"{url.rstrip('/')}/{platform}"
    return _SETTINGS[platform](base, f"sandbox-token:{account}")


def platforms() -> list[str]:
    """The platforms the sandbox imitates, in the order ``callsheet sandbox`` lists them."""
    return list(_SETTINGS)

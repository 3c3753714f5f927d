"""Account secrets encrypted at rest with Fernet (``cryptography``), keys from settings.

An account's tokens, app passwords and webhook secrets are the keys to a studio's public
voice; a copied database or backup must not hand them over. Every secret field of an
adapter's settings (declared ``SecretStr``) is kept in ``Account.secrets`` as one Fernet token
(AES-128-CBC with HMAC-SHA256, timestamped); the rest stays readable in ``Account.settings``.

``CALLSHEET_SECRET_KEYS`` is a comma-separated list: the first key encrypts, every key
decrypts (``MultiFernet``), so keys are rotated by putting the new one first, re-sealing
(``callsheet``'s next write of each account does it), then dropping the old one. Outside
development and tests the app refuses to start with the development key checked into this
file (``Settings.refuse_unsafe``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

#: For development and tests only: public, so it protects nothing.
DEVELOPMENT_KEY = "VOuBWo1XhaL8B4eYWVj6UpW_6vgwycCVuYNNyGKZfjs="


class VaultError(Exception):
    """Secrets that cannot be read with the configured keys (wrong key, or tampered)."""


class Vault:
    """Seals and opens JSON objects of secrets."""

    def __init__(self, keys: str) -> None:
        parts = [key.strip() for key in keys.split(",") if key.strip()]
        if not parts:
            raise VaultError("CALLSHEET_SECRET_KEYS is empty")
        try:
            self._fernet = MultiFernet([Fernet(key) for key in parts])
        except ValueError:
            raise VaultError(
                "CALLSHEET_SECRET_KEYS must hold Fernet keys (32 url-safe base64 bytes each); "
                'make one with: python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"'
            ) from None

    def seal(self, secrets: Mapping[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(dict(secrets), sort_keys=True).encode()).decode()

    def open(self, token: str | None) -> dict[str, Any]:
        if not token:
            return {}
        try:
            opened: dict[str, Any] = json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise VaultError(
                "an account's secrets cannot be decrypted with CALLSHEET_SECRET_KEYS "
                "(a key was changed or removed); put the old key back after the new one"
            ) from None
        return opened


@lru_cache(maxsize=4)
def vault_for(keys: str) -> Vault:
    """One ``Vault`` per key list: building Fernet objects per account read would be waste."""
    return Vault(keys)

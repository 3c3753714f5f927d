"""Domain errors the API turns into answers: 422 names the field, 404 the thing, 409 the clash.

Service functions raise these before writing anything, or inside a transaction that the caller
rolls back, so a refused request leaves nothing half-written.
"""

from __future__ import annotations


class CallsheetError(Exception):
    """Base of the errors a person can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Invalid(CallsheetError):
    """Input that cannot be accepted; ``field`` is its dotted path (``anchor.offset``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFound(CallsheetError):
    """No such production, post, account ..."""

    def __init__(self, entity: str, ident: object) -> None:
        super().__init__(f"{entity} {ident} does not exist")
        self.entity = entity


class Conflict(CallsheetError):
    """The request clashes with the current state (changed since shown, going out now)."""


class Forbidden(CallsheetError):
    """Signed in, but not allowed to do this here (a role too low, not a chain step's approver)."""


class TooManyAttempts(CallsheetError):
    """Refused for now: too many attempts of this kind; ``retry_after`` seconds until the next."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

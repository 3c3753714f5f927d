"""One module per imitated platform, found by name: adding a platform is adding a file.

Each module defines ``NAME`` (the URL prefix, ``/<NAME>/…``, and the adapter's platform name),
``router`` (a FastAPI ``APIRouter`` with the platform's real paths) and optionally
``fault_response(spec, request)`` to shape injected faults the way that platform answers.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def modules() -> list[ModuleType]:
    """Every platform module in this package, sorted by name."""
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            found.append(importlib.import_module(f"{__name__}.{info.name}"))
    return found

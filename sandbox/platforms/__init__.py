"""One module per imitated platform, found by name: adding a platform is adding a file.

Each module defines ``NAME`` (the URL prefix, ``/<NAME>/…``, and the adapter's platform name),
``router`` (a FastAPI ``APIRouter`` with the platform's real paths) and optionally
``fault_response(spec, request)`` to shape injected faults the way that platform answers.

A platform with many endpoints is a package instead (``x/``, for one): a module per part of its
API, gathered into one ``router`` by the package, which defines the same names. Modules whose
names start with ``_`` are shared parts, not platforms.
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

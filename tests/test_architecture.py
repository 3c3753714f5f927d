"""The layout holds: the import contracts pass, catch what they are for, and modules stay small.

The contracts live in pyproject.toml (``[tool.importlinter]``) and ``make lint`` runs them; these
tests run them too, and prove on a copy of the tree that each kind of wrong import breaks them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("scheduler", "workers", "platforms", "sandbox")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
MAX_MODULE_LINES = 400


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run the contracts over the packages under ``root`` (which come first on the path)."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": str(Path(sys.executable).parent)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the packages and the contracts, to break on purpose."""
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def add_import(tree: Path, module: str, statement: str) -> None:
    path = tree / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text() + f"\n{statement}  # noqa\n")


def test_the_contracts_are_kept() -> None:
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_the_copy_keeps_them_too(tree: Path) -> None:
    done = lint_imports(tree)
    assert done.returncode == 0, done.stdout + done.stderr


def test_an_upward_import_breaks_the_layers(tree: Path) -> None:
    add_import(tree, "scheduler.core.clock", "import scheduler.http.access")

    done = lint_imports(tree)

    assert done.returncode != 0
    assert "Faces over the worker and the domain rooms" in done.stdout
    assert "scheduler.core.clock -> scheduler.http.access" in done.stdout


def test_two_modules_importing_each_other_break_the_acyclic_contract(tree: Path) -> None:
    add_import(tree, "scheduler.planning.timeline", "import scheduler.planning.windows")

    done = lint_imports(tree)

    assert done.returncode != 0
    assert "No two rooms, and no two modules in a room, import each other BROKEN" in done.stdout


def test_a_platform_adapter_touching_the_database_breaks_purity(tree: Path) -> None:
    add_import(tree, "platforms.adapters.discord", "import sqlalchemy")

    done = lint_imports(tree)

    assert done.returncode != 0
    assert "never touch the database" in done.stdout
    assert "platforms.adapters.discord -> sqlalchemy" in done.stdout


def test_the_scheduler_never_imports_the_worker(tree: Path) -> None:
    add_import(tree, "scheduler.queue.service", "import workers.publish")

    done = lint_imports(tree)

    assert done.returncode != 0
    assert "never imports the worker" in done.stdout


def test_the_platforms_never_import_the_scheduler(tree: Path) -> None:
    add_import(tree, "platforms.text.rules", "import scheduler.core.errors")

    done = lint_imports(tree)

    assert done.returncode != 0
    assert "The platforms know nothing of the scheduler BROKEN" in done.stdout


def test_the_sandbox_never_imports_the_scheduler(tree: Path) -> None:
    add_import(tree, "sandbox.common", "import scheduler.queue.claims")

    done = lint_imports(tree)

    assert done.returncode != 0
    assert "sandbox is not allowed to import scheduler" in done.stdout
    assert "sandbox.common -> scheduler.queue.claims" in done.stdout


def test_no_module_is_over_400_lines() -> None:
    """Small modules, split by concept; migrations are history and stay as written."""
    too_long = {
        str(path.relative_to(ROOT)): lines
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
        and (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert too_long == {}

"""Pure algorithm modules import neither Flask nor SQLAlchemy nor the app."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "engage"
PURE_MODULES = [
    "budgeting/rules.py",
    "budgeting/pabulib.py",
    "panels/selection.py",
    "panels/pool_files.py",
    "priorities/aggregate.py",
    "audit/overlap.py",
    "audit/coverage.py",
    "audit/self_assessment.py",
    "consultations/grouping.py",
    "intelligence/mapping.py",
    "intelligence/results.py",
    "api/schema_check.py",
    "weighting.py",
    "disclosure.py",
]
FORBIDDEN = ("flask", "sqlalchemy", "flask_sqlalchemy", "werkzeug", "wtforms", "flask_babel")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", PURE_MODULES)
def test_pure_module_has_no_framework_imports(module: str) -> None:
    path = ROOT / module
    if not path.exists():
        pytest.skip(f"{module} is not written yet")
    pure_names = {"engage." + m.removesuffix(".py").replace("/", ".") for m in PURE_MODULES}
    bad = {
        name
        for name in _imports(path)
        if name.split(".")[0] in FORBIDDEN or (name.startswith("engage") and name not in pure_names)
    }
    assert bad == set()


def test_pure_modules_load_without_flask() -> None:
    import subprocess
    import sys

    present = [m for m in PURE_MODULES if (ROOT / m).exists()]
    names = ", ".join("engage." + m.removesuffix(".py").replace("/", ".") for m in present)
    code = f"import sys, {names}; print(sorted(n for n in ('flask', 'sqlalchemy') if n in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"

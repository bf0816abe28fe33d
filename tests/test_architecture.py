"""The package import rules of ARCHITECTURE.md, checked on the source.

A design bug shows up as an arrow pointing the wrong way; this test finds it at
once instead of at the next refactoring.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "kyudo"

# package -> kyudo packages it may import (kyudo.config is shared by all)
ALLOWED = {
    "engine": set(),
    "io": set(),
    "planner": {"engine", "io"},
    "dataframe": {"planner", "io"},
    "sql": {"planner", "dataframe"},
}


def kyudo_imports(path: Path) -> set[str]:
    """The kyudo packages (second name component) a module imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "kyudo" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_packages_import_only_what_the_design_allows(package):
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for imported in kyudo_imports(path) - ALLOWED[package] - {package, "config"}:
            bad.append(f"{path.relative_to(ROOT.parent)} imports kyudo.{imported}")
    assert not bad, "\n".join(bad)

"""Imports point one way: language → engine → render, never back; rich, lark, numpy and
latex2mathml stay at the edges."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "matcalc"
EDGE = ("latex2mathml",)  # the HTML renderer's own library
FORBIDDEN = {  # layer → modules it must not import at module level
    "errors": {"matcalc", "sympy", "rich", "lark", "numpy", *EDGE},
    "greek": {"matcalc", "sympy", "rich", "lark", "numpy", *EDGE},
    "objects": {"matcalc", "rich", "lark", "numpy", *EDGE},
    "functions": {"matcalc.language", "matcalc.engine", "matcalc.render", "matcalc.check",
                  "rich", "lark", "numpy", *EDGE},
    "model": {"matcalc.language", "matcalc.engine", "matcalc.render", "rich", "lark", "numpy",
              *EDGE},
    "language": {"matcalc.engine", "matcalc.render", "matcalc.cli", "rich", "numpy", *EDGE},
    "engine": {"matcalc.language", "matcalc.render", "matcalc.cli", "rich", "lark", "numpy", *EDGE},
    "render": {"matcalc.language", "matcalc.engine", "matcalc.cli", "lark", "numpy"},
    "check": {"matcalc.language", "matcalc.engine", "matcalc.render", "rich", "lark", *EDGE},
    "numeric": {"matcalc.language", "matcalc.engine", "matcalc.render", "matcalc.check",
                "matcalc.model", "rich", "lark", *EDGE},
    "export": {"matcalc.language", "matcalc.engine", "matcalc.render", "matcalc.check",
               "matcalc.numeric", "rich", "lark", "numpy", "jax", *EDGE},
    "explicit": {"matcalc.language", "matcalc.engine", "matcalc.render", "rich", "lark", *EDGE},
}


def module_level_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_point_one_way(layer: str) -> None:
    single = PACKAGE / f"{layer}.py"
    files = [single] if single.exists() else sorted((PACKAGE / layer).rglob("*.py"))
    for path in files:
        for name in module_level_imports(path):
            assert not any(name == f or name.startswith(f + ".") for f in FORBIDDEN[layer]), (
                f"{path.relative_to(PACKAGE.parent)} imports {name}")


def test_import_matcalc_loads_neither_rich_nor_numpy_nor_lark() -> None:
    code = "import sys, matcalc; print(sorted(m for m in ('rich', 'numpy', 'lark') " \
           "if m in sys.modules))"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.stdout.strip() == "[]", run.stderr


# The one exec: ``export.lambdified`` runs the module matcalc wrote from sympy objects; user
# text reaches that source only as sanitised identifiers and escaped docstrings (checked by
# tests/export/test_export.py::test_names_that_clash_become_identifiers_and_titles_stay_text).
EXEC_ALLOWED = {PACKAGE / "export" / "__init__.py"}


def test_no_eval_of_user_text() -> None:
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute):
                name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
                forbidden = {"eval", "exec", "sympify", "parse_expr"}
                if path in EXEC_ALLOWED:
                    forbidden -= {"exec"}
                assert name not in forbidden, f"{path.name} calls {name}"

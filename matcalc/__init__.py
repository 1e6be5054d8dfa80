"""matcalc: worked, checked matrix-calculus derivations.

>>> import matcalc
>>> solution = matcalc.solve("x in R^D\\nf = x^T x\\nfind df/dx")
>>> print(solution.result)
2*x.T
"""

from __future__ import annotations

import importlib as _importlib
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from matcalc.errors import MatcalcError, Span

if _TYPE_CHECKING:
    from matcalc.api import derive, solve, solve_all, solve_file
    from matcalc.model import Check, Derivation, Problem, Shape, Solution, Step

__version__ = "0.1.0"

# The API loads sympy on first use, so that `matcalc --version` and `--help` stay instant.
_LAZY = {**dict.fromkeys(("derive", "solve", "solve_all", "solve_file"), "matcalc.api"),
         **dict.fromkeys(("Check", "Derivation", "Problem", "Shape", "Solution", "Step"),
                         "matcalc.model")}


def __getattr__(name: str) -> _Any:
    if name in _LAZY:
        value = getattr(_importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'matcalc' has no attribute {name!r}")

__all__ = [
    "Check",
    "Derivation",
    "MatcalcError",
    "Problem",
    "Shape",
    "Solution",
    "Span",
    "Step",
    "__version__",
    "derive",
    "solve",
    "solve_all",
    "solve_file",
]

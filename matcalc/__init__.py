"""matcalc: worked, checked matrix-calculus derivations.

>>> import matcalc
>>> solution = matcalc.solve("x in R^D\\nf = x^T x\\nfind df/dx")
>>> print(solution.result)
2*x.T
"""

from __future__ import annotations

from matcalc.api import derive, solve, solve_all, solve_file
from matcalc.errors import MatcalcError, Span
from matcalc.model import Check, Derivation, Problem, Shape, Solution, Step

__version__ = "0.1.0"

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

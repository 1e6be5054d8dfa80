"""The pipeline in a screen: text → Problems → Solutions (derived, then checked).

The language and the engine are imported inside the functions, so that ``import matcalc``
costs little more than ``import sympy``.

``solve``, ``solve_all`` and ``solve_file`` read the problem language; ``derive`` explains
the derivative of a sympy expression built in Python.
"""

from __future__ import annotations

from pathlib import Path

import sympy

from matcalc.errors import MatcalcError
from matcalc.model import Declaration, Definition, Derivation, Problem, Shape, Solution, Target
from matcalc.objects import shape_of


def solve_all(text: str, *, path: str = "<input>", layout: str = "numerator",
              check: bool = True, dims: dict[str, int] | None = None) -> list[Solution]:
    """Parse every problem in ``text``, derive every target, check each result numerically.

    With ``dims`` (sizes by name, e.g. {"M": 2, "N": 3}), every derivative by or of a
    matrix also carries its entries written out for those sizes.
    """
    from matcalc import engine, language  # the parser and the rule table load on first use

    solutions = []
    for problem in language.parse(text, path=path):
        try:
            solution = engine.solve(problem, layout=layout)
            if check or dims:
                from matcalc import check as numeric  # numpy loads only when it is needed

                if check:
                    solution = numeric.verify(solution)
                if dims:
                    from matcalc.explicit import write_out

                    solution = write_out(solution, dims)
        except MatcalcError as error:
            raise error.located(text, path) from None
        except RecursionError:  # sympy writes and rebuilds expressions by recursion
            raise MatcalcError(
                "the definitions nest too deeply for sympy to write them out", problem.span,
                hint="fewer nested definitions (a chain of about 300 scalar functions, or 200 "
                     "network layers, fits)", source=text, path=path) from None
        solutions.append(solution)
    return solutions


def solve(text: str, *, layout: str = "numerator", check: bool = True) -> Solution:
    """The solution of the one problem in ``text``."""
    solutions = solve_all(text, layout=layout, check=check)
    if len(solutions) != 1:
        raise MatcalcError(f"expected exactly one problem, found {len(solutions)}",
                           hint="use matcalc.solve_all for several problems")
    return solutions[0]


def solve_file(path: str | Path, *, layout: str = "numerator", check: bool = True,
               dims: dict[str, int] | None = None) -> list[Solution]:
    """Every problem in a file (UTF-8)."""
    text = Path(path).read_text(encoding="utf-8")
    return solve_all(text, path=str(path), layout=layout, check=check, dims=dims)


def derive(expr: sympy.Basic, wrt: sympy.Basic | tuple[sympy.Basic, sympy.Basic], *,
           order: int = 1, layout: str = "numerator", check: bool = True,
           name: str = "f") -> Derivation:
    """Explain ∂expr/∂wrt for a sympy expression built in Python (MatrixSymbols, Symbols);
    checked numerically by default, like ``solve``. ``order=2`` gives the Hessian by wrt,
    and a pair ``(x, y)`` the mixed second derivative ∂²f/∂x∂y."""
    if order not in (1, 2) or (isinstance(wrt, tuple) and len(wrt) != 2):
        raise MatcalcError("derive takes order 1 or 2, and a pair (x, y) for a mixed "
                           "second derivative")
    first, second = wrt if isinstance(wrt, tuple) else (wrt, wrt)
    if not all(isinstance(v, sympy.MatrixSymbol | sympy.Symbol) for v in (first, second)):
        raise MatcalcError("wrt must be a MatrixSymbol or a Symbol")
    twice = isinstance(wrt, tuple) or order == 2
    if expr.is_Matrix and expr.shape == (1, 1):
        from matcalc.objects import Scalar

        expr = Scalar(expr)
    declarations = tuple(
        Declaration(str(s), s, Shape(shape_of(s)), frozenset(), None)  # type: ignore[arg-type]
        for s in sorted(expr.free_symbols | {first, second}, key=str)
        if isinstance(s, sympy.MatrixSymbol) or not s.is_integer)
    if name in {d.name for d in declarations}:
        raise MatcalcError(f"the name {name!r} is taken by a variable; pass another name=")
    rows, cols = shape_of(expr)
    symbol = sympy.Symbol(name, real=True) if rows == cols == 1 else sympy.MatrixSymbol(
        name, rows, cols)
    definition = Definition(name, symbol, None, (), expr, Shape((rows, cols)),
                            None)  # type: ignore[arg-type]
    target = Target(name, str(first), None, wrt2=str(second), order=2) if twice else Target(
        name, str(first), None)
    problem = Problem(None, declarations, (definition,), (target,))
    from matcalc import engine

    solution = engine.solve(problem, layout=layout)
    if check:
        from matcalc import check as numeric

        solution = numeric.verify(solution)
    return solution.derivations[0]

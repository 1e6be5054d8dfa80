"""partial(expr, wrt): try the rules in order; the first that matches gives the step.

Imports the rule table; knows nothing of problems, chains or printing.
"""

from __future__ import annotations

import sympy

from matcalc.engine.differential import MatrixDifferential
from matcalc.engine.rules import RULES, Context
from matcalc.errors import MatcalcError
from matcalc.model import Step
from matcalc.objects import Scalar, shape_of


def construct(expr: sympy.Basic, wrt: sympy.Basic) -> str:
    """What an expression is, in words, for a message (the engine formats no formulas)."""
    if isinstance(expr, sympy.Pow) and expr.exp.has(wrt):
        return "a power whose exponent depends on the variable (such as 2^x)"
    if isinstance(expr, sympy.KroneckerProduct):
        return "a Kronecker product of matrices"
    if isinstance(expr, sympy.Function):
        return f"the function {type(expr).__name__}"
    return f"an expression of the kind {type(expr).__name__}"


def partial(expr: sympy.Basic, wrt: sympy.Basic, symmetric: frozenset[sympy.Basic],
            indices: frozenset[str] = frozenset(), names: frozenset[str] = frozenset()
            ) -> Step:
    """The step for ∂expr/∂wrt (numerator layout), with its sub-steps; ``indices`` are the
    problem's own index letters, which its index formulas do not reuse, and ``names`` its
    names, which the identities it cites do not use."""

    def recurse(sub: sympy.Basic, by: sympy.Basic) -> Step:
        if isinstance(sub, Scalar):  # xᵀx as a number is still the 1×1 product xᵀx
            sub = sub.matrix
        for rule in RULES:
            step = rule.match(sub, by, context)
            if step is not None:
                return step
        raise MatcalcError(f"no rule yet for the derivative of {construct(sub, by)}",
                           hint="this construct is not supported yet")

    def top(sub: sympy.Basic, by: sympy.Basic) -> Step:
        """Vectors and scalars by the named rules; matrices, or whatever those rules cannot
        do, by the matrix differential."""
        if shape_of(by)[1] != 1 or shape_of(sub)[1] != 1:
            return MatrixDifferential.match(sub, by, context)  # type: ignore[return-value]
        try:
            return recurse(sub, by)
        except MatcalcError as first:
            try:
                return MatrixDifferential.match(sub, by, context)  # type: ignore[return-value]
            except MatcalcError:
                raise first from None

    context = Context(partial=recurse, symmetric=symmetric, indices=indices, names=names)
    return top(expr, wrt)

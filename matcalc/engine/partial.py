"""partial(expr, wrt): try the rules in order; the first that matches gives the step.

Imports the rule table; knows nothing of problems, chains or printing.
"""

from __future__ import annotations

import sympy

from matcalc.engine.rules import RULES, Context
from matcalc.errors import MatcalcError
from matcalc.model import Step
from matcalc.objects import Scalar


def partial(expr: sympy.Basic, wrt: sympy.Basic, symmetric: frozenset[sympy.Basic]) -> Step:
    """The step for ∂expr/∂wrt (numerator layout), with its sub-steps."""

    def recurse(sub: sympy.Basic, by: sympy.Basic) -> Step:
        if isinstance(sub, Scalar):  # xᵀx as a number is still the 1×1 product xᵀx
            sub = sub.matrix
        for rule in RULES:
            step = rule.match(sub, by, context)
            if step is not None:
                return step
        raise MatcalcError(f"no rule for the derivative of {sub} with respect to {by}",
                           hint="this construct is not supported yet")

    context = Context(partial=recurse, symmetric=symmetric)
    return recurse(expr, wrt)

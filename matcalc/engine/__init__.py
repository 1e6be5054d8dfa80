"""Problem → Derivations: chains of partial derivatives, their product, the result.

``solve(problem)`` derives every target; ``derive(problem, target)`` one of them. The
engine never reads text and never formats output: its records hold sympy expressions,
shapes and Sentences with Math slots, and the renderers print them.
Imports sympy, matcalc.model, matcalc.errors and the engine's own modules.
"""

from __future__ import annotations

import sympy

from matcalc.engine import algebra
from matcalc.engine.chain import chains, substitute
from matcalc.engine.identities import simplify
from matcalc.engine.layout import NOTES, check_layout, in_layout
from matcalc.errors import MatcalcError
from matcalc.model import Derivation, Math, Problem, Property, Sentence, Shape, Solution, Target
from matcalc.objects import shape_of

__all__ = ["NOTES", "derive", "solve"]


def symmetric_symbols(problem: Problem) -> frozenset[sympy.Basic]:
    return frozenset(d.symbol for d in problem.declarations
                     if Property.SYMMETRIC in d.properties)


def derive(problem: Problem, target: Target, layout: str = "numerator") -> Derivation:
    """∂(target.of)/∂(target.wrt): every chain, their sum, simplified, in the layout."""
    check_layout(layout)
    definition = problem.definition(target.of)
    variable = problem.declaration(target.wrt) or problem.definition(target.wrt)
    if definition is None or variable is None:
        raise MatcalcError(f"cannot differentiate {target.of} by {target.wrt}", target.span)
    symmetric = symmetric_symbols(problem)
    found = chains(problem, target.of, target.wrt, symmetric)
    remarks: list[Sentence] = []
    if target.implied:
        remarks.append(("No 'find' line: differentiating ", Math(definition.symbol),
                        " with respect to ", Math(variable.symbol),
                        ", the variable its chain ends in.",))
    rows, _ = shape_of(definition.symbol)
    wrt_rows, _ = shape_of(variable.symbol)
    numerator_shape = Shape((rows, wrt_rows))
    if not found:
        remarks.append((Math(definition.symbol), " does not depend on ",
                        Math(variable.symbol), ", so the derivative is zero.",))
        total = algebra.zero(rows, wrt_rows)
    else:
        total = algebra.add(*(chain.product for chain in found), rows=rows, cols=wrt_rows)
    unsimplified = substitute(problem, total)
    displayed, shape = in_layout(unsimplified, numerator_shape, layout)
    result, used = simplify(displayed, symmetric)
    remarks.extend(used)
    return Derivation(
        target=target, layout=layout, of_symbol=definition.symbol,
        wrt_symbol=variable.symbol, chains=found, unsimplified=unsimplified, result=result,
        shape=shape, remarks=tuple(remarks), function=substitute(problem, definition.symbol),
        problem=problem,
    )


def solve(problem: Problem, layout: str = "numerator") -> Solution:
    """One derivation per target of the problem."""
    return Solution(problem, tuple(derive(problem, t, layout) for t in problem.targets))

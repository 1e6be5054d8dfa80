"""Problem → Derivations: chains of partial derivatives, their product, the result.

``solve(problem)`` derives every target; ``derive(problem, target)`` one of them. The
engine never reads text and never formats output: its records hold sympy expressions,
shapes and Sentences with Math slots, and the renderers print them.
Imports sympy, matcalc.model, matcalc.errors and the engine's own modules.
"""

from __future__ import annotations

import sympy

from matcalc.engine import algebra
from matcalc.engine.chain import (
    chain_terms,
    chains,
    is_tensor_chain,
    path_count,
    problem_indices,
)
from matcalc.engine.decompose import decompose
from matcalc.engine.identities import simplify
from matcalc.engine.layout import check_layout, in_layout
from matcalc.engine.present import (
    cleaned_views,
    in_own_names,
    index_from_result,
    kinks,
    symmetric_convention,
    through_names,
    where,
)
from matcalc.engine.second import derive_second
from matcalc.engine.taylor import derive_taylor
from matcalc.engine.views import entry_by_entry, matrix_value
from matcalc.engine.views import views as tensor_views
from matcalc.errors import MatcalcError
from matcalc.model import (
    Derivation,
    Math,
    Problem,
    Property,
    Sentence,
    Shape,
    Solution,
    Target,
    printed_size,
    transposes,
)
from matcalc.objects import Softmax, is_matrix, parts_of, shape_of

__all__ = ["derive", "solve"]


def symmetric_symbols(problem: Problem) -> frozenset[sympy.Basic]:
    return problem.declared_with(Property.SYMMETRIC)


def derive(problem: Problem, target: Target, layout: str = "numerator", *,
           independent: frozenset[sympy.Basic] = frozenset()) -> Derivation:
    """∂(target.of)/∂(target.wrt): every chain, their sum, simplified, in the layout.
    A second derivative (target.wrt2) is the derivative of the gradient (second.py); a
    Taylor polynomial (target.at) is built from the first and second (taylor.py).
    The declared properties of the variables in ``independent`` are not used: their entries
    are treated as independent (the gradient a second derivative differentiates again)."""
    check_layout(layout)
    if target.at is not None:
        return derive_taylor(problem, target, derive)
    if target.wrt2 is not None:
        return derive_second(problem, target, derive, layout)
    definition = problem.definition(target.of)
    variable = problem.declaration(target.wrt) or problem.definition(target.wrt)
    if definition is None or variable is None:
        raise MatcalcError(f"cannot differentiate {target.of} by {target.wrt}", target.span)
    symmetric = symmetric_symbols(problem) - independent
    written = problem  # as the user wrote it: what the check differentiates numerically
    problem = named_parts(problem, target)
    found = chains(problem, target.of, target.wrt, symmetric)
    remarks: list[Sentence] = []
    if target.implied:
        remarks.append(("No 'find' line: differentiating ", Math(definition.symbol),
                        " with respect to ", Math(variable.symbol),
                        ", the variable its chain ends in.",))
    of, wrt = definition.symbol, variable.symbol
    matrices = shape_of(wrt)[1] != 1 or shape_of(of)[1] != 1 or any(
        is_tensor_chain(chain.links) for chain in found)
    if not found:
        remarks.append((Math(of), " does not depend on ", Math(wrt),
                        ", so the derivative is zero.",))
    views = None
    if matrices:
        terms = tuple(t for chain in found for t in (
            chain.terms if chain.terms is not None else chain_terms(chain.links)))
        total = matrix_value(terms, of, wrt)
    else:
        rows, wrt_rows = shape_of(of)[0], shape_of(wrt)[0]
        total = algebra.add(*(chain.product for chain in found), rows=rows, cols=wrt_rows)
    written_out = problem.substituted(total)  # shares repeated parts, so it is cheap to make
    size = printed_size(written_out)
    named = size > MAX_WRITTEN_OUT
    if matrices and (shape_of(of), shape_of(wrt)) != ((1, 1), (1, 1)):  # not dg/dt
        views = cleaned_views(tensor_views(terms, of, wrt, problem_indices(problem)), symmetric,
                              None if named else problem)
    unsimplified = total if named else written_out
    if named:
        remarks.append(where(problem, total, size))
    shape = Shape(shape_of(unsimplified))
    unsimplified, shape = in_layout(unsimplified, shape, of, wrt, layout)
    orthogonal = problem.declared_with(Property.ORTHOGONAL)
    summing = problem.declared_with(Property.SUMS_TO_ONE)
    result, used = simplify(unsimplified, symmetric, orthogonal, summing)
    if named:  # kept in the named intermediates: 1 − tanh(m)² is 1 − h8² where h8 = tanh(m)
        result = through_names(result, problem)
    remarks.extend(used)
    remarks.extend(kinks(result))
    if wrt in symmetric and is_matrix(result):
        remarks.extend(symmetric_convention(result, wrt, symmetric, orthogonal))
    named_result = None if named else in_own_names(
        problem, total, result, (symmetric, orthogonal, summing), (of, wrt, layout))
    if transposes(of, wrt, layout) and found:
        remarks.append(("The partial derivatives and their product above are in numerator "
                        "layout; in denominator layout the result is the transpose of their "
                        "product, in ", Math(shape), ".",))
    if views is not None:
        views = index_from_result(views, of, result)
    entries = entry_by_entry(result, [d.symbol for d in problem.declarations])
    if entries is not None:  # MML 5.15 with x ∈ ℝ²: the matrix the book writes
        remarks.append(("Entry by entry: ", Math(entries), "."))
    function = written.substituted(of, keep=wrt)
    by_rows = sorted({p for p in parts_of(function, Softmax) if shape_of(p)[1] != 1}, key=str)
    if by_rows:  # a stated rule: the echo shows softmax(S), this says how it is read
        remarks.append(("The softmax of a matrix is taken row by row, as in attention: "
                        "each row of ", Math(by_rows[0]), " sums to one.",))
    return Derivation(
        target=target, layout=layout, of_symbol=of, wrt_symbol=wrt, chains=found,
        unsimplified=unsimplified, result=result, shape=shape, remarks=tuple(remarks),
        named_result=named_result,
        views=views, function=function, problem=problem,
    )




# Every path from f to x is shown as its own chain, as MML 5.9 asks; past this many paths a
# derivation would be too long to read (and to compute): a clear error says so (README).
MAX_PATHS = 64


def named_parts(problem: Problem, target: Target) -> Problem:
    """The problem with its inner expressions named, as long as the names do not multiply
    the paths past MAX_PATHS (a residual layer tanh(A h) + h keeps A h unnamed then)."""
    decomposed = decompose(problem)
    if path_count(decomposed, target.of, target.wrt) <= MAX_PATHS:
        return decomposed
    decomposed = decompose(problem, new_paths=False)
    count = path_count(decomposed, target.of, target.wrt)
    if count > MAX_PATHS:
        definition = problem.definition(target.of)
        raise MatcalcError(
            f"{target.of} depends on {target.wrt} along {count:,} paths; matcalc shows each "
            f"path and takes at most {MAX_PATHS}", target.span or (
                definition.span if definition else None),
            hint="write a repeated part inside one definition, as h2 = tanh(A h1) + h1, "
                 "rather than as names of its own")
    return decomposed


# A result is shown in the declared variables when that takes at most this many symbols, as
# for every textbook exercise; otherwise in the named intermediates, "where h = …" (README).
MAX_WRITTEN_OUT = 400


def solve(problem: Problem, layout: str = "numerator") -> Solution:
    """One derivation per target of the problem."""
    return Solution(problem, tuple(derive(problem, t, layout) for t in problem.targets))

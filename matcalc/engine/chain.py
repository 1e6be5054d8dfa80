"""The dependency graph of a problem's definitions, every path f ← … ← x, and the chain
product along each path with a shape check per factor.

Imports sympy, matcalc.model, engine.algebra and engine.partial.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from itertools import pairwise

import sympy

from matcalc.engine import algebra
from matcalc.engine.partial import partial
from matcalc.engine.terms import Terms, compose, from_jacobian
from matcalc.engine.views import fresh_letters, matrix_value, of_entry
from matcalc.errors import MatcalcError
from matcalc.model import Chain, Link, Problem, Shape, Step
from matcalc.objects import UnitVector, is_matrix, parts_of, shape_of


def names_used(problem: Problem, name: str) -> list[str]:
    """The names a definition's right-hand side uses directly, in the problem's order."""
    definition = problem.definition(name)
    assert definition is not None
    symbols = parts_of(definition.expr, (sympy.Symbol, sympy.MatrixSymbol))
    return [used for used in problem.names_of(symbols) if used != name]


def paths(problem: Problem, of: str, wrt: str) -> list[list[str]]:
    """Every path of definitions from ``of`` down to ``wrt``."""
    if of == wrt:
        return [[of]]
    if problem.definition(of) is None:
        return []
    return [[of, *rest] for used in names_used(problem, of)
            for rest in paths(problem, used, wrt)]


def path_count(problem: Problem, of: str, wrt: str) -> int:
    """How many paths lead from ``of`` down to ``wrt``, counted without listing them."""
    counts: dict[str, int] = {wrt: 1}
    stack = [(of, False)]
    while stack:  # dependencies first, in a loop: a graph may be deep
        name, ready = stack.pop()
        if name in counts:
            continue
        if ready:
            counts[name] = sum(counts.get(used, 0) for used in names_used(problem, name))
            continue
        if problem.definition(name) is None:
            counts[name] = 0
            continue
        stack.append((name, True))
        stack.extend((used, False) for used in names_used(problem, name) if used not in counts)
    return counts.get(of, 0)


def symbol_of(problem: Problem, name: str) -> sympy.Basic:
    item = problem.definition(name) or problem.declaration(name)
    assert item is not None
    return item.symbol


def problem_indices(problem: Problem) -> frozenset[str]:
    """The index letters the problem uses (k in softmax(Wx)_k)."""
    return frozenset(str(unit.index) for d in problem.definitions
                     for unit in parts_of(d.expr, UnitVector))


def chains(problem: Problem, of: str, wrt: str,
           symmetric: frozenset[sympy.Basic]) -> tuple[Chain, ...]:
    steps: dict[tuple[str, str], Step] = {}  # an edge shared by two paths is derived once
    found = []
    indices = problem_indices(problem)
    names = frozenset([d.name for d in problem.declarations]
                      + [d.name for d in problem.definitions])
    for path in paths(problem, of, wrt):
        links = []
        for upper, lower in pairwise(path):
            definition = problem.definition(upper)
            assert definition is not None
            if (upper, lower) not in steps:
                try:
                    step = partial(definition.expr, symbol_of(problem, lower), symmetric,
                                   indices, names)
                except MatcalcError as error:
                    error.span = error.span or definition.span
                    raise
                steps[upper, lower] = named_entries(step, definition.symbol, indices)
            links.append(Link(upper, lower, definition.symbol, symbol_of(problem, lower),
                              steps[upper, lower]))
        found.append(chain_product(links))
    return tuple(found)


def named_entries(step: Step, of: sympy.Basic, indices: frozenset[str] = frozenset()) -> Step:
    """The step's index formula written for the link's name: ∂e_i/∂W_kl, not ∂(y − Wx)_i."""
    if step.views is None or not is_matrix(of):
        return step
    row, col, *_ = fresh_letters(step.views.differential, taken=indices)  # as views chose
    return dataclasses.replace(step, views=dataclasses.replace(
        step.views, of_entry=of_entry(of, row, col)))


def chain_product(links: list[Link]) -> Chain:
    """∂f/∂z · ∂z/∂y · ∂y/∂x, checking at each product that the dimensions meet.

    Through matrices the factors are ∂vec/∂vec Jacobians, so the same check applies to
    their vec shapes; the product itself is then formed on the differentials (composing
    dF = … dY with dY = … dX), which contracts the tensors index by index.
    """
    shape: Shape | None = None
    for link in links:
        factor = vec_shape(link.step)
        shape = factor if shape is None else shape.then(factor)
    assert shape is not None
    if not is_tensor_chain(links):
        product = algebra.mul(*(link.step.value for link in links))
        return Chain(tuple(links), product, shape)
    first, last = links[0], links[-1]
    terms = chain_terms(links)
    product = matrix_value(terms, first.of_symbol, last.wrt_symbol)
    return Chain(tuple(links), product, shape, terms)


def vec_shape(step: Step) -> Shape:
    if step.views is not None:
        return step.views.vec_shape
    return step.shape


def is_tensor_chain(links: Sequence[Link]) -> bool:
    return any(link.step.views is not None for link in links)


def link_terms(link: Link) -> Terms:
    terms = getattr(link.step, "terms", None)
    if terms is not None:
        return tuple(terms)
    return from_jacobian(link.step.value, shape_of(link.of_symbol) == (1, 1),
                         shape_of(link.wrt_symbol) == (1, 1))


def chain_terms(links: Sequence[Link]) -> Terms:
    """The differential of the chain's top in terms of d(its bottom)."""
    terms = link_terms(links[-1])
    size = shape_of(links[-1].wrt_symbol)[0]
    for link in reversed(links[:-1]):
        terms = compose(link_terms(link), terms, size)
    return terms

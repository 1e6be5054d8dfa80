"""How a derivation presents its result, once derived: the index and vec views read off the
simplified result, the result in the problem's own names and through the names of its
layers, the conventions a result needs said (a kink, a symmetric variable), and the "where"
of a result kept in named intermediates. The engine derives; these only rewrite what it
derived and say what a textbook would say beside it.
Imports sympy, matcalc.model, matcalc.objects, matcalc.functions and the engine's algebra,
identities, layout and views.
"""

from __future__ import annotations

import dataclasses

import sympy
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from matcalc import functions
from matcalc.engine import algebra
from matcalc.engine.identities import simplify, use_properties
from matcalc.engine.layout import in_layout
from matcalc.engine.views import entry, vec_of
from matcalc.model import (
    Math,
    Problem,
    Property,
    Sentence,
    Shape,
    TensorViews,
    printed_size,
)
from matcalc.objects import ENTRY, Entry, is_matrix, parts_of, shape_of


def index_from_result(views: TensorViews, of: sympy.Basic, result: sympy.Basic
                      ) -> TensorViews:
    """∂f/∂W_kl and ∂f/∂vec(W) of a number f read off its simplified gradient G when that
    is shorter: (s − y)_k x_l and (x ⊗ (s − y))ᵀ rather than the forms of the chain's
    unsimplified product."""
    if is_matrix(of) or 1 in shape_of(result) or not isinstance(views.wrt_entry, Entry):
        return views
    terms = [algebra.split_coefficient(term) for term in (
        result.args if isinstance(result, sympy.MatAdd) else (result,))]
    read = sympy.Add(*(c * entry(m, *views.wrt_entry.args[1:]) for c, m in terms))
    if views.index is None or printed_size(read) < printed_size(views.index):
        views = dataclasses.replace(views, index=read)
    rows, cols = shape_of(result)  # ∂f/∂vec(W) = vec(G)ᵀ
    row = algebra.add(*(algebra.mul(c, algebra.transpose(vec_of(m))) for c, m in terms),
                      rows=1, cols=rows * cols)
    if printed_size(row) < printed_size(views.vec):
        views = dataclasses.replace(views, vec=row)
    return views


def in_own_names(problem: Problem, total: sympy.Basic, result: sympy.Basic,
                 facts: tuple[frozenset[sympy.Basic], ...],
                 target: tuple[sympy.Basic, sympy.Basic, str]) -> sympy.Basic | None:
    """The result in the intermediates the problem itself defines (2(ŷ − y)hᵀ, where the
    declared variables give 2(W₂ tanh(W₁x + b₁) + b₂ − y) tanh(W₁x + b₁)ᵀ): only the
    engine's own names are written out. None when that is the result itself, or the chain
    rule's product as shown, or not shorter."""
    own = dataclasses.replace(problem, definitions=tuple(
        d for d in problem.definitions if d.introduced))
    of, wrt, layout = target
    written = own.substituted(total)
    if written == total:
        return None  # the chain rule's product (the sum over paths), shown above, is this
    # where a matrix the problem defines appears whole, its name: softmax(QKᵀ/√d) is P (a
    # vector's function hides in entrywise maps, tanh(u)² of h = tanh(u): named in part)
    named_back = {own.substituted(d.expr): d.symbol for d in problem.definitions
                  if not d.introduced and d.expr is not None and shape_of(d.symbol)[1] != 1}
    written = written.xreplace(named_back)
    shaped, _ = in_layout(written, Shape(shape_of(written)), of, wrt, layout)
    named, _ = simplify(shaped, *facts)  # symmetric, orthogonal, summing to one
    user = {d.symbol for d in problem.definitions if not d.introduced}
    if named == result or not (named.free_symbols & user) or (
            printed_size(named) >= printed_size(result)):
        return None  # only when the problem's names make the result shorter
    return named


def symmetric_convention(result: sympy.Basic, wrt: sympy.Basic,
                         symmetric: frozenset[sympy.Basic], orthogonal: frozenset[sympy.Basic]
                         ) -> list[Sentence]:
    """By a declared symmetric S, a result G that is not symmetric says how it is meant: the
    entries are independent (what the check perturbs); on symmetric matrices, where S_kl
    and S_lk move together, the gradient is G + Gᵀ − G ⊙ I."""
    transposed, _ = simplify(algebra.transpose(result, into_sums=True), symmetric, orthogonal)
    if transposed == result:
        return []
    rows = shape_of(result)[0]

    def symmetrized(g: sympy.Basic) -> sympy.Basic:
        return algebra.add(g, algebra.transpose(g), algebra.mul(
            -1, sympy.HadamardProduct(g, sympy.Identity(rows))), rows=rows, cols=rows)

    on_symmetric, _ = simplify(symmetrized(result), symmetric, orthogonal)
    k, l = sympy.symbols("k l", integer=True, nonnegative=True)  # noqa: E741
    g = sympy.MatrixSymbol("G", rows, rows)
    return [("The entries of ", Math(wrt), " are taken as independent here, each ",
             Math(Entry(wrt, k, l)), " a variable of its own (as the numeric check perturbs "
             "them), so the result need not be symmetric. On symmetric matrices, where ",
             Math(Entry(wrt, k, l)), " and ", Math(Entry(wrt, l, k)), " move together, the "
             "gradient is ", Math(symmetrized(g)), " = ", Math(on_symmetric), ".")]


def through_names(expr: sympy.Basic, problem: Problem) -> sympy.Basic:
    """An entrywise function of m written through a name h = g(m) the problem has, when it
    is a function of g(m) alone: diag(1 − tanh(m)²) is diag(1 − h²) for h = tanh(m), as a
    textbook writes a network's derivative."""
    named = {(d.expr.function.expr.xreplace({d.expr.function.variables[0]: ENTRY}),
              d.expr.expr): d.symbol for d in problem.definitions
             if isinstance(d.expr, ElementwiseApplyFunction)}
    if not named:
        return expr

    def rewrite(node: sympy.Basic) -> sympy.Basic:
        if isinstance(node, ElementwiseApplyFunction):
            t = node.function.variables[0]
            body = node.function.expr.xreplace({t: ENTRY})
            for (inner, argument), symbol in named.items():
                if argument != node.expr or inner == ENTRY or not body.has(inner):
                    continue
                value = sympy.Dummy("h")
                through = body.xreplace({inner: value})
                if through.has(ENTRY):
                    continue  # t tanh(t) is no function of tanh(t) alone
                if through == value:
                    return symbol
                return ElementwiseApplyFunction(
                    sympy.Lambda(ENTRY, through.xreplace({value: ENTRY})), symbol)
            return node
        if not node.args or isinstance(node, sympy.Lambda):
            return node
        return node.func(*(rewrite(a) for a in node.args))

    return rewrite(expr)


def kinks(result: sympy.Basic) -> list[Sentence]:
    """The convention at the kink of each piecewise derivative the result holds: relu′ is
    step and |t|′ is sign, each taken as 0 at t = 0, written as formulas."""
    t = ENTRY
    found = {type(part) for part in parts_of(result, (functions.step, functions.sign))}
    said: list[Sentence] = []
    for kind, function, values in ((functions.step, functions.relu, " (1 or 0 by the sign of t)"),
                                   (functions.sign, sympy.Abs, "")):
        if kind in found:
            said.append(("The derivative ", Math(kind(t)), " of ", Math(function(t)), values,
                         " is taken as 0 at its kink, ", Math(t), " = ", Math(sympy.S.Zero),
                         " (a subgradient there); the numeric check is made at random "
                         "points, which miss the kink."))
    return said


def where(problem: Problem, total: sympy.Basic, size: int) -> Sentence:
    """The intermediates a result keeps, each defined once, in the order they are computed."""
    sentence: list[str | Math] = [
        f"Written out in the declared variables the result would take {size:,} symbols, so it "
        "is kept in the named intermediates, where "]
    for index, definition in enumerate(problem.needed(total)):
        sentence += ["; " if index else "", Math(definition.symbol), " = ",
                     Math(definition.expr)]
    sentence.append(".")
    return tuple(sentence)


def cleaned_views(views: TensorViews, symmetric: frozenset[sympy.Basic],
                  problem: Problem | None) -> TensorViews:
    """The views simplified like the result: in the declared variables when a problem is
    given to write them out with, else in the named intermediates."""
    def written(expr: sympy.Basic) -> sympy.Basic:
        return problem.substituted(expr) if problem is not None else expr

    orthogonal = problem.declared_with(Property.ORTHOGONAL) if problem else frozenset()
    summing = problem.declared_with(Property.SUMS_TO_ONE) if problem else frozenset()

    def cleaned(expr: sympy.Basic) -> sympy.Basic:
        return simplify(written(expr), symmetric, orthogonal, summing)[0]

    index = None if views.index is None else use_properties(written(views.index), symmetric)[0]
    return dataclasses.replace(views, differential=cleaned(views.differential), index=index,
                               vec=cleaned(views.vec))


__all__ = ["cleaned_views", "in_own_names", "index_from_result", "kinks", "symmetric_convention",
           "through_names", "where"]

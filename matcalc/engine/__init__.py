"""Problem → Derivations: chains of partial derivatives, their product, the result.

``solve(problem)`` derives every target; ``derive(problem, target)`` one of them. The
engine never reads text and never formats output: its records hold sympy expressions,
shapes and Sentences with Math slots, and the renderers print them.
Imports sympy, matcalc.model, matcalc.errors and the engine's own modules.
"""

from __future__ import annotations

import dataclasses

import sympy

from matcalc import functions
from matcalc.engine import algebra
from matcalc.engine.chain import (
    chain_terms,
    chains,
    is_tensor_chain,
    path_count,
    problem_indices,
)
from matcalc.engine.decompose import decompose
from matcalc.engine.identities import simplify, use_properties
from matcalc.engine.layout import check_layout, in_layout
from matcalc.engine.second import derive_second
from matcalc.engine.taylor import derive_taylor
from matcalc.engine.views import entry, entry_by_entry, matrix_value, vec_of
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
    TensorViews,
    printed_size,
    transposes,
)
from matcalc.objects import ENTRY, Entry, Softmax, is_matrix, parts_of, shape_of

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
    from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

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


def solve(problem: Problem, layout: str = "numerator") -> Solution:
    """One derivation per target of the problem."""
    return Solution(problem, tuple(derive(problem, t, layout) for t in problem.targets))

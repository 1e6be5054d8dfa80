"""Second derivatives as the derivative of the gradient, by the same engine (MML 5.7:
H = ∂/∂x (∇f)).

Pass 1 derives ∂f/∂x with the entries of the variables independent (their declared
properties unused); its result, as a gradient g (the column (∂f/∂x)ᵀ for a vector x, the
m×n matrix of ∂f/∂X_kl for a matrix X, the number for a scalar x), becomes a definition of
the problem. Pass 2 derives g by the second variable with its own chains, partials, sizes
and views, and is checked, like any derivative, against finite differences of g. Entry
(i, j) of the result is ∂²f/∂x_i∂y_j: the first variable's axes first.
Imports sympy, matcalc.model, matcalc.objects, matcalc.errors and engine.algebra.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import sympy
from sympy import MatMul
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix

from matcalc.engine import algebra
from matcalc.engine.identities import simplify
from matcalc.errors import MatcalcError
from matcalc.functions import sigmoid
from matcalc.model import (
    Definition,
    Derivation,
    Math,
    Problem,
    Property,
    Sentence,
    Shape,
    Target,
)
from matcalc.objects import (
    Norm,
    Scalar,
    Softmax,
    as_dimension,
    is_abstract,
    is_matrix,
    shape_of,
)

Derive = Callable[..., Derivation]

# names for the gradient: MML's g, then others a problem seldom uses; for the Jacobian of a
# vector-valued f, MML's J
_NAMES = ("g", "G", "gradient")
_JACOBIANS = ("J", "Jf", "jacobian")


def derive_second(problem: Problem, target: Target, derive: Derive,
                  layout: str = "numerator") -> Derivation:
    """∂²f/∂x∂y (∂²f/∂x² when y is x): the derivative by y of the gradient of f by x, in the
    layout asked for (denominator layout transposes it: y's axes first)."""
    assert target.wrt2 is not None
    for name in (target.wrt, target.wrt2):
        if problem.declaration(name) is None:
            raise MatcalcError(
                f"a second derivative is taken by declared variables, and {name} is defined",
                target.span, hint=f"differentiate by the variables {name} depends on")
    variables = frozenset(problem.declaration(n).symbol  # type: ignore[union-attr]
                          for n in (target.wrt, target.wrt2))
    first = derive(problem, Target(target.of, target.wrt, target.span), "numerator",
                   independent=variables)
    vector_valued = shape_of(first.of_symbol) != (1, 1)
    if vector_valued and (shape_of(first.of_symbol)[1] != 1 or any(
            shape_of(problem.declaration(n).symbol)[1] != 1  # type: ignore[union-attr]
            for n in (target.wrt, target.wrt2))):
        raise MatcalcError(
            f"{target.of} is {Shape(shape_of(first.of_symbol))}: the second derivative of a "
            "matrix, or of a vector by a matrix, is a tensor with five or six indices, which "
            "matcalc does not derive", target.span,
            hint=f"take the second derivative of a number, such as a loss of {target.of}, "
                 "or of a vector by vectors")
    if is_abstract(first.result):
        raise MatcalcError(
            "the second derivative of an abstract function needs its second partial "
            "derivatives, which matcalc does not write yet", target.span,
            hint="put a concrete function in its place to see the Hessian")
    base = problem
    if first.problem is not None and first.result.free_symbols & {
            d.symbol for d in first.problem.definitions}:
        base = first.problem  # a long gradient is kept in the intermediates it names
    # (2xᵀA)ᵀ is 2Aᵀx; with A declared symmetric, 2Ax (the variables' own properties unused)
    facts = (problem.declared_with(Property.SYMMETRIC) - variables,
             problem.declared_with(Property.ORTHOGONAL) - variables)
    gradient, used = simplify(
        first.result if vector_valued else gradient_of(first.result, first.wrt_symbol), *facts)
    symbol, name = gradient_symbol(base, gradient, _JACOBIANS if vector_valued else _NAMES)
    definition = Definition(name, symbol, None, (), gradient, Shape(shape_of(gradient)),
                            target.span)  # type: ignore[arg-type]
    extended = dataclasses.replace(base, definitions=(*base.definitions, definition))
    second = derive(extended, Target(name, target.wrt2, target.span), layout)
    remarks = [*used, *(r for r in second.remarks if r not in used)]  # facts the gradient used
    if target.wrt != target.wrt2:
        firsts = (first.wrt_symbol, second.wrt_symbol)
        remarks.append(mixed_remark(*(firsts if layout == "numerator" else firsts[::-1])))
    elif vector_valued:
        if is_matrix(first.wrt_symbol):
            remarks.append(components_remark(first))
    elif is_matrix(first.wrt_symbol):
        remarks.append(symmetry_remark(first, symbol))
        definite = definiteness(second.result, problem)
        if definite is not None:
            remarks.append(definite)
    sizes = None if vector_valued else factor_sizes(second.result)
    if sizes is not None:
        remarks.insert(0, sizes)
    return dataclasses.replace(second, target=target, gradient=first, remarks=tuple(remarks))


def factor_sizes(result: sympy.Basic) -> Sentence | None:
    """The size of each factor of a product, as a textbook writes it under the factor:
    Xᵀ ∈ ℝ^{D×N}, diag(…) ∈ ℝ^{N×N}, X ∈ ℝ^{N×D}; None when the result is no product of
    two or more matrices."""
    _, factors = _split(result)
    matrices = [f for f in factors if is_matrix(f)]
    if len(matrices) < 2 or any(isinstance(f, sympy.MatAdd) for f in matrices):
        return None  # a sum as a factor is read better in the chain's product above
    sentence: list[str | Math] = ["The sizes of its factors: "]
    for index, factor in enumerate(matrices):
        sentence += [", " if index else "", Math(factor), " ∈ ", Math(Shape(shape_of(factor)))]
    sentence += [", so the product is in ", Math(Shape(shape_of(result))), "."]
    return tuple(sentence)


def gradient_of(jacobian: sympy.Basic, wrt: sympy.Basic) -> sympy.Basic:
    """The gradient from the numerator-layout derivative: (∂f/∂x)ᵀ for a vector x; for a
    matrix or a number, the derivative itself (already shaped like the variable)."""
    if is_matrix(wrt) and shape_of(wrt)[1] == 1 and shape_of(wrt)[0] != 1:
        return algebra.transpose(jacobian, into_sums=True)
    return jacobian


def gradient_symbol(problem: Problem, gradient: sympy.Basic,
                    names: tuple[str, ...] = _NAMES) -> tuple[sympy.Basic, str]:
    """A name for the gradient (or Jacobian) that the problem does not use."""
    taken = {d.name for d in problem.declarations} | {d.name for d in problem.definitions} | {
        str(s) for d in problem.declarations for size in d.shape.dims
        for s in as_dimension(size).free_symbols}
    name = next((n for n in names if n not in taken), None) or next(
        f"g{k}" for k in range(1, 1000) if f"g{k}" not in taken)
    rows, cols = shape_of(gradient)
    if not is_matrix(gradient):
        return sympy.Symbol(name, real=True), name
    return sympy.MatrixSymbol(name, rows, cols), name


def symmetry_remark(first: Derivation, symbol: sympy.Basic) -> Sentence:
    """Why the Hessian is symmetric: Schwarz's theorem (MML 5.146)."""
    x = first.wrt_symbol
    return ("The Hessian is symmetric, since second partial derivatives do not depend on "
            "the order of differentiation when they are continuous (Schwarz's theorem, MML "
            "(5.146)): the derivative of ", Math(symbol), " by ", Math(x),
            " is the same matrix transposed.")


def definiteness(hessian: sympy.Basic, problem: Problem) -> Sentence | None:
    """Definiteness where it follows from the form alone (never guessed from numbers):
    c MᵀM and c Mᵀ diag(σ ⊙ (1 − σ)) M with c > 0 are positive semidefinite, diag(s) − ssᵀ
    of a softmax s too, and −S⁻¹ of a declared positive definite S is negative definite."""
    positive_definite = problem.declared_with(Property.POSITIVE_DEFINITE)
    coefficient, factors = _split(hessian)
    if coefficient.is_number and coefficient != 0 and len(factors) == 1 and isinstance(
            factors[0], sympy.Inverse) and factors[0].arg in positive_definite:
        kind = "negative definite" if coefficient < 0 else "positive definite"
        return ("The Hessian is ", kind, ", since ", Math(factors[0].arg),
                " is positive definite, and so is its inverse.")
    if coefficient.is_number and coefficient > 0 and len(factors) in (2, 3) and \
            factors[0] == algebra.transpose(factors[-1]):
        middle = factors[1] if len(factors) == 3 else None
        v = probe(problem, shape_of(hessian)[0])
        form = Math(Scalar(MatMul(sympy.Transpose(v), hessian, v)))
        if middle is None:
            return ("The Hessian is positive semidefinite: ", form, " = ",
                    Math(coefficient * Norm(algebra.mul(factors[-1], v)) ** 2),
                    " ≥ 0 for every ", Math(v), ".")
        if isinstance(middle, DiagMatrix) and positive_entries(middle.args[0]):
            return ("The Hessian is positive semidefinite: the diagonal ", Math(middle),
                    " has positive entries (σ(t)(1 − σ(t)) > 0 for every t, the sigmoid's "
                    "range being (0, 1)), so ", form, " ≥ 0 for every ", Math(v), ".")
    if isinstance(hessian, sympy.MatAdd) and len(hessian.args) == 2:
        diagonal = next((t for t in hessian.args if isinstance(t, DiagMatrix)
                         and isinstance(t.args[0], Softmax)), None)
        if diagonal is not None:
            s = diagonal.args[0]
            outer = algebra.mul(-1, s, sympy.Transpose(s))
            if set(hessian.args) == {diagonal, outer}:
                return ("The Hessian is positive semidefinite: ", Math(hessian), " is the "
                        "covariance of a one-hot vector drawn with the probabilities ",
                        Math(s), ".")
    return None


def probe(problem: Problem, size: sympy.Expr) -> sympy.MatrixSymbol:
    """v, a vector of the given size with a name the problem does not use."""
    taken = {d.name for d in problem.declarations} | {d.name for d in problem.definitions}
    name = next(n for n in ("v", "u", "w", "p", "q", "v1", "v2", "v3") if n not in taken)
    return sympy.MatrixSymbol(name, size, 1)


def _split(expr: sympy.Basic) -> tuple[sympy.Expr, list[sympy.Basic]]:
    """(c, [M₁, …]) of a product c M₁ ⋯; (1, [expr]) of anything else."""
    if isinstance(expr, sympy.MatMul):
        scalars = [a for a in expr.args if not is_matrix(a)]
        return sympy.Mul(*scalars), [a for a in expr.args if is_matrix(a)]
    return sympy.S.One, [expr]


def positive_entries(vector: sympy.Basic) -> bool:
    """σ(u) ⊙ (1 − σ(u)) entry by entry: positive by the sigmoid's range."""
    if not isinstance(vector, ElementwiseApplyFunction):
        return False
    t = vector.function.variables[0]
    body = sympy.expand(vector.function.expr)
    return bool(sympy.simplify(body - (sigmoid(t) - sigmoid(t) ** 2)) == 0)


def components_remark(first: Derivation) -> Sentence:
    """A vector-valued f: its second derivative holds a Hessian per component."""
    f, x = first.of_symbol, first.wrt_symbol
    return ("Entry (i, j, k) of the result is ∂²", Math(f), "_i/∂", Math(x), "_j∂", Math(x),
            "_k: the slice i is the Hessian of the component ", Math(f), "_i, symmetric in j "
            "and k by Schwarz's theorem (MML (5.146)).")


def mixed_remark(first: sympy.Basic, second: sympy.Basic) -> Sentence:
    """Which variable's axes come first: the row's."""
    return ("Entry (i, j) of the result is the second derivative by entry i of ", Math(first),
            " and entry j of ", Math(second), ": the axes of ", Math(first), " come first.")


__all__ = ["derive_second", "gradient_of"]

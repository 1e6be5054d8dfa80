"""Known derivatives, written once for both engines: the vector rules (rules.py) and the
matrix differential (differential.py) take each from here.

- f′ of a scalar function, at a point or applied entry by entry;
- the Jacobian of softmax, diag(s) − s sᵀ with s = softmax(u);
- the gradient of log-sum-exp, softmax(u)ᵀ (a row, numerator layout).

Imports sympy, matcalc.objects and engine.algebra.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy
from sympy import HadamardProduct, Lambda, MatAdd, OneMatrix, Transpose
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix

from matcalc import functions
from matcalc.engine import algebra
from matcalc.objects import ENTRY, Softmax


def derivative_at(function: Callable[[sympy.Expr], sympy.Expr] | Lambda,
                  at: sympy.Basic) -> sympy.Expr:
    """f′(at) for a scalar function, by sympy's (scalar, trusted) differentiation; for a
    function of matcalc's own, sympy asks the function table's record."""
    t = ENTRY
    return _away_from_kinks(function(t).diff(t)).xreplace({t: at})


def entrywise_derivative(function: Lambda) -> Lambda:
    """t ↦ f′(t) for a function applied entry by entry."""
    t = ENTRY
    return Lambda(t, _away_from_kinks(function(t).diff(t)))


def _away_from_kinks(derivative: sympy.Expr) -> sympy.Expr:
    """sympy writes |t|′ as its own sign(t), whose derivative is a Dirac delta, which has
    no values; matcalc's sign has derivative 0 wherever it has one (t ≠ 0), as the check,
    which draws points away from the kinks, sees it."""
    return derivative.replace(sympy.sign, functions.sign)


def entrywise_slope(function: Lambda, argument: sympy.Basic) -> sympy.Basic:
    """f′(U), entry by entry: the matrix of the derivatives at each entry of U, or the number
    c when f′ is the constant c (t ↦ 2t + 1)."""
    derivative = entrywise_derivative(function)
    if not derivative.expr.has(ENTRY):
        return derivative.expr
    return ElementwiseApplyFunction(derivative, argument)


def softmax_jacobian(softmax: sympy.Basic) -> sympy.Basic:
    """∂s/∂u = diag(s) − s sᵀ for s = softmax(u)."""
    return MatAdd(DiagMatrix(softmax), algebra.mul(-1, softmax, Transpose(softmax)))


def row_softmax_times(softmax: sympy.Basic, matrix: sympy.Basic) -> sympy.Basic:
    """J_S(Z) = S ⊙ (Z − ((S ⊙ Z)𝟏)𝟏ᵀ): what the Jacobian of S = softmax(U), taken row by
    row, does to Z (each row's diag(s) − s sᵀ, which is symmetric, so the same map gives
    the gradient by U from the gradient G by S)."""
    cols = softmax.shape[1]
    row_sums = algebra.mul(HadamardProduct(softmax, matrix), OneMatrix(cols, 1))
    spread = algebra.mul(row_sums, OneMatrix(1, cols))
    return HadamardProduct(softmax, MatAdd(matrix, algebra.mul(-1, spread)))


def logsumexp_gradient(argument: sympy.Basic) -> sympy.Basic:
    """∂lse(u)/∂u = softmax(u)ᵀ."""
    return Transpose(Softmax(argument))


__all__ = ["derivative_at", "entrywise_derivative", "entrywise_slope", "logsumexp_gradient",
           "row_softmax_times", "softmax_jacobian"]

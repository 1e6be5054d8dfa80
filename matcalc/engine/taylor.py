"""Taylor polynomials (MML 5.8): T₁ and T₂ of a scalar f at a point, built from the first and
second derivatives the engine derives, evaluated at the point.

T₂(x) = f(x₀) + ∂f/∂x(x₀) (x − x₀) + ½ (x − x₀)ᵀ H(x₀) (x − x₀) for a vector x; with
numbers, f(x₀) + f′(x₀)(x − x₀) + ½ f″(x₀)(x − x₀)². The derivatives are written out in
the declared variables and the variable replaced by the point.
Imports sympy, matcalc.model, matcalc.objects, matcalc.errors and engine.algebra.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy
from sympy import MatAdd, MatMul, Transpose

from matcalc.engine import algebra
from matcalc.errors import MatcalcError
from matcalc.model import Derivation, Problem, Sentence, Shape, Target, Taylor
from matcalc.objects import Scalar, is_matrix, shape_of

Derive = Callable[..., Derivation]


def derive_taylor(problem: Problem, target: Target, derive: Derive) -> Derivation:
    """T_k f at the point, k = target.order (1 or 2)."""
    assert target.at is not None
    variable, point = problem.declaration(target.wrt), problem.declaration(target.at)
    definition = problem.definition(target.of)
    assert variable is not None and point is not None and definition is not None
    x, a = variable.symbol, point.symbol
    if shape_of(definition.symbol) != (1, 1):
        raise MatcalcError(f"{target.of} is not a number: matcalc writes Taylor polynomials "
                           "of scalar functions", target.span)
    if is_matrix(x) and shape_of(x)[1] != 1:
        raise MatcalcError(
            f"{target.wrt} is a {Shape(shape_of(x))} matrix: matcalc writes Taylor "
            "polynomials in a vector or a number, not in a matrix yet", target.span,
            hint="write the function of vec(X) as a function of a vector")
    if shape_of(x) != shape_of(a):
        raise MatcalcError(
            f"the point {target.at} must lie in the space of {target.wrt} ({target.at} is "
            f"{Shape(shape_of(a))}, {target.wrt} is {Shape(shape_of(x))})",
            target.span, hint=f"declare {target.at} as {target.wrt} is declared")
    first = derive(problem, Target(target.of, target.wrt, target.span))
    at = {x: a}
    function = problem.substituted(definition.symbol)
    value = function.xreplace(at)
    slope = first.result.xreplace(at)
    step = MatAdd(x, algebra.mul(-1, a)) if is_matrix(x) else x - a
    terms = [value, linear_term(slope, step)]
    second, hessian = None, None
    if target.order == 2:
        second = derive(problem, Target(target.of, target.wrt, target.span, wrt2=target.wrt,
                                        order=2))
        hessian = second.result.xreplace(at)
        terms.append(quadratic_term(hessian, step))
    result = sympy.Add(*terms, evaluate=False)
    taylor = Taylor(a, value, slope, hessian, tuple(terms), second)
    return Derivation(
        target=target, layout="numerator", of_symbol=definition.symbol, wrt_symbol=x,
        chains=(), unsimplified=result, result=result, shape=Shape((1, 1)),
        remarks=(taylor_remark(target.order),), function=function, problem=problem,
        gradient=first, taylor=taylor)


def linear_term(slope: sympy.Basic, step: sympy.Basic) -> sympy.Basic:
    """∂f/∂x(x₀) (x − x₀): a row times a column, or two numbers."""
    if not is_matrix(step):
        return sympy.Mul(slope, step, evaluate=False)
    return Scalar(algebra.mul(slope, step))


def quadratic_term(hessian: sympy.Basic, step: sympy.Basic) -> sympy.Basic:
    """½ (x − x₀)ᵀ H(x₀) (x − x₀), or ½ f″(x₀)(x − x₀)² for numbers."""
    half = sympy.Rational(1, 2)
    if not is_matrix(step):
        return sympy.Mul(half, hessian, step**2, evaluate=False)
    return sympy.Mul(half, Scalar(MatMul(Transpose(step), hessian, step)), evaluate=False)


def taylor_remark(order: int) -> Sentence:
    return (f"A Taylor polynomial of degree {order} agrees with the function near the point "
            f"up to terms of order {order + 1} in the distance to it (MML (5.151)): the "
            "check below confirms that its error shrinks that fast.",)


__all__ = ["derive_taylor"]

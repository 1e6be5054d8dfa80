"""Arithmetic on the values being built, with a shape check at every operation.

Sums, products, quotients, entrywise products and postfix marks of sympy expressions, built
with unevaluated constructors (the user's form is kept); a 1×1 product becomes a number
(Scalar); ``I`` keeps an unknown size until the matrix beside it tells it. A mismatch is a
MatcalcError naming both operands as the user wrote them and both shapes.
Imports sympy, matcalc.errors, matcalc.model and matcalc.objects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import sympy
from sympy import HadamardProduct, Identity, Inverse, MatAdd, MatMul, OneMatrix, Transpose

from matcalc.errors import MatcalcError, Span
from matcalc.model import Shape
from matcalc.objects import ENTRY, Scalar, UnitVector, is_matrix, shape_of

# ---- the value being built: a sympy expression, or an identity whose size is not known yet


@dataclass(frozen=True)
class UnsizedIdentity:
    """``I`` (times a scalar) before the expression around it tells its size."""

    coefficient: sympy.Expr = sympy.S.One


class BareOne:
    """A 1 written after a factor: the ones vector after a row or a matrix (xᵀ1, 1ᵀX1, as
    1ᵀ is the row of ones), the number 1 after a number or a column."""


@dataclass(frozen=True)
class UnsizedVector:
    """``\\mathbf{1}`` or ``e_k`` (times a scalar; a row when transposed) before the
    expression around it tells its size: 𝟏ᵀx, x + c𝟏, e_kᵀv."""

    transposed: bool = False
    coefficient: sympy.Expr = sympy.S.One
    unit: sympy.Expr | None = None  # k for e_k; None for the ones vector

    def sized(self, size: sympy.Expr) -> sympy.Basic:
        if self.unit is None:
            column: sympy.Basic = OneMatrix(size, 1)
            vector = OneMatrix(1, size) if self.transposed else column
        else:
            column = UnitVector(self.unit, size)
            vector = Transpose(column) if self.transposed else column
        return vector if self.coefficient == 1 else MatMul(self.coefficient, vector)

    def times(self, factor: sympy.Expr) -> UnsizedVector:
        return replace(self, coefficient=self.coefficient * factor)


Value = Any  # sympy.Basic | UnsizedIdentity | UnsizedVector


@dataclass(frozen=True)
class Arithmetic:
    """The operations; ``text`` gives the source text under a span, for messages."""

    text: Callable[[Span], str]

    def finish(self, value: Value, span: Span) -> sympy.Basic:
        if isinstance(value, UnsizedVector):
            what = "the ones vector" if value.unit is None else "e_k"
            raise MatcalcError(f"the size of {what} cannot be told from this expression",
                               span, hint="give the ones vector a size, as in 1_D, or use it "
                                          "beside a vector, as in 1^T x or e_k^T v")
        if isinstance(value, UnsizedIdentity):
            raise MatcalcError("the size of I cannot be told from this expression", span,
                               hint="use I next to a matrix whose size is known, as in 'A + I'")
        return value

    def shape_error(self, verb: str, a: Value, b: Value, a_span: Span, b_span: Span,
                    hint: str = "") -> MatcalcError:
        return MatcalcError(
            f"shapes don't {verb}: {self.text(a_span)} is {Shape(shape_of(a))} but "
            f"{self.text(b_span)} is {Shape(shape_of(b))}", a_span | b_span, hint=hint)

    def add(self, a: Value, b: Value, a_span: Span, b_span: Span) -> Value:
        if isinstance(a, UnsizedVector) and isinstance(b, UnsizedVector):  # e_1ᵀ + e_2ᵀ
            self.finish(a, a_span)
        if isinstance(a, UnsizedVector) != isinstance(b, UnsizedVector):  # x + c𝟏
            ones, other = (a, b) if isinstance(a, UnsizedVector) else (b, a)
            rows, cols = shape_of(self.finish(other, a_span | b_span))
            if is_matrix(other) and (cols, rows)[ones.transposed] == 1:
                size = (rows, cols)[ones.transposed]
                a, b = (ones.sized(size), b) if ones is a else (a, ones.sized(size))
        for value, span in ((a, a_span), (b, b_span)):  # 𝟏 + t: no vector to size it by
            if isinstance(value, UnsizedVector) and not isinstance(
                    b if value is a else a, UnsizedVector):
                self.finish(value, span)
        if isinstance(a, UnsizedIdentity) and isinstance(b, UnsizedIdentity):
            return UnsizedIdentity(a.coefficient + b.coefficient)
        if isinstance(a, UnsizedIdentity) or isinstance(b, UnsizedIdentity):
            other, other_span = (b, b_span) if isinstance(a, UnsizedIdentity) else (a, a_span)
            rows, cols = shape_of(other)
            if not is_matrix(other) or rows != cols:
                raise MatcalcError(
                    f"I needs a square matrix beside it, but {self.text(other_span)} is "
                    f"{Shape((rows, cols))}", a_span | b_span)
            a, b = (self.sized(a, rows), b) if isinstance(a, UnsizedIdentity) else (
                a, self.sized(b, rows))
        if is_matrix(a) != is_matrix(b) and shape_of(a) != shape_of(b):
            # 1 + exp(z): a number plus a vector or matrix adds to each entry
            scalar, matrix = (a, b) if is_matrix(b) else (b, a)
            if is_constant(scalar):
                if isinstance(matrix, MatMul) and matrix.args[0] == -1:  # 1 − x: t ↦ 1 − t
                    negated = MatMul(*matrix.args[1:]) if len(matrix.args) > 2 else \
                        matrix.args[1]
                    return entrywise(lambda t: scalar - t, negated)
                shifted = shift_of(matrix)  # 1 + (2 + x) is 3 + x, not two layers
                if shifted is not None:
                    return entrywise(lambda t: scalar + shifted[0] + t, shifted[1])
                return entrywise(lambda t: scalar + t, matrix)
            ones = MatMul(scalar, OneMatrix(*shape_of(matrix)))  # x + δ is x + δ𝟏
            return MatAdd(*terms(matrix), ones) if matrix is a else MatAdd(ones, *terms(matrix))
        if shape_of(a) != shape_of(b) or (is_matrix(a) != is_matrix(b) and shape_of(a) != (1, 1)):
            hint = ""
            if is_matrix(a) and is_matrix(b):
                hint = "both sides of + and - must have the same shape"
            raise self.shape_error("add", a, b, a_span, b_span, hint)
        if is_matrix(a):
            return MatAdd(*terms(a), *terms(b))
        return sympy.Add(a, b)

    def sized(self, identity: UnsizedIdentity, size: sympy.Expr) -> sympy.Basic:
        if identity.coefficient == 1:
            return Identity(size)
        return MatMul(identity.coefficient, Identity(size))

    def multiply(self, a: Value, b: Value, a_span: Span, b_span: Span) -> Value:
        if isinstance(a, UnsizedVector) and not is_matrix(b) and not isinstance(b, UnsizedVector):
            return a.times(b)
        if isinstance(b, UnsizedVector) and not is_matrix(a) and not isinstance(a, UnsizedVector):
            return b.times(a)
        if isinstance(a, UnsizedVector) and a.transposed and is_matrix(b):  # 𝟏ᵀx
            a = a.sized(shape_of(b)[0])
        if isinstance(b, UnsizedVector) and not b.transposed and is_matrix(a):  # A𝟏
            b = b.sized(shape_of(a)[1])
        a, b = self.finish(a, a_span), self.finish(b, b_span) if isinstance(
            b, UnsizedVector) else b
        if isinstance(a, UnsizedIdentity) and isinstance(b, UnsizedIdentity):
            return UnsizedIdentity(a.coefficient * b.coefficient)
        if isinstance(a, UnsizedIdentity):
            if not is_matrix(b):
                return UnsizedIdentity(a.coefficient * b)
            a = self.sized(a, shape_of(b)[0])
        if isinstance(b, UnsizedIdentity):
            if not is_matrix(a):
                return UnsizedIdentity(b.coefficient * a)
            b = self.sized(b, shape_of(a)[1])
        if not is_matrix(a) or not is_matrix(b):
            if is_matrix(a) or is_matrix(b):
                return MatMul(*factors(a), *factors(b))
            return sympy.Mul(a, b)
        if shape_of(a)[1] != shape_of(b)[0]:
            raise self.shape_error(
                "multiply", a, b, a_span, b_span,
                hint=f"the columns of {self.text(a_span)} must match the rows of "
                     f"{self.text(b_span)}")
        return scalar_if_1x1(MatMul(*factors(a), *factors(b)))

    def divide(self, a: Value, b: Value, b_span: Span) -> Value:
        if isinstance(a, UnsizedVector):
            return a.times(1 / self.finish(b, b_span))
        b = self.finish(b, b_span)
        if is_matrix(b) and not is_matrix(a) and not isinstance(a, UnsizedIdentity) and (
                1 in shape_of(b)):  # 1/(1 + exp(-z)): a number over a vector, entry by entry
            reciprocal = entrywise(lambda t: 1 / t, b)
            return reciprocal if a == 1 else MatMul(a, reciprocal)
        if isinstance(b, UnsizedIdentity) or is_matrix(b):
            raise MatcalcError(f"cannot divide by {self.text(b_span)}, which is a matrix",
                               b_span, hint="divide by scalars only; use inv(X) or X^{-1}")
        if isinstance(a, UnsizedIdentity):
            return UnsizedIdentity(a.coefficient / b)
        if is_matrix(a):
            return MatMul(1 / b, *factors(a))
        return a / b

    def hadamard(self, a: Value, b: Value, a_span: Span, b_span: Span) -> Value:
        a, b = self.finish(a, a_span), self.finish(b, b_span)
        if not (is_matrix(a) and is_matrix(b)):
            return self.multiply(a, b, a_span, b_span)
        if shape_of(a) != shape_of(b):
            raise self.shape_error("multiply entry by entry", a, b, a_span, b_span)
        return HadamardProduct(a, b)

    def postfix(self, base: Value, mark: str, span: Span) -> Value:
        if isinstance(base, UnsizedVector) and mark == "transpose":
            return replace(base, transposed=not base.transposed)
        base = self.finish(base, span)
        if not is_matrix(base):
            if mark == "transpose":
                return base  # the transpose of a scalar is itself
            return sympy.Pow(base, -1)
        rows, cols = shape_of(base)
        if mark != "transpose" and rows != cols:
            raise MatcalcError(f"only a square matrix has an inverse, but "
                               f"{self.text(span)} is {Shape((rows, cols))}", span)
        if mark == "transpose":
            if isinstance(base, OneMatrix):  # 𝟏_Dᵀ is the row of ones
                return OneMatrix(cols, rows)
            return Transpose(base)
        if mark == "inverse":
            return Inverse(base)
        return Transpose(Inverse(base))


def is_constant(value: sympy.Basic) -> bool:
    """A number or a product of sizes (½, 2, N): free of every variable."""
    return all(s.is_integer for s in value.free_symbols) and not value.atoms(
        sympy.MatrixSymbol)


def entrywise(function: Callable[[sympy.Expr], sympy.Expr], value: sympy.Basic) -> sympy.Basic:
    """f applied to a number, or to each entry of a vector or matrix."""
    from sympy import Lambda
    from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

    if not is_matrix(value):
        return function(value)
    t = ENTRY
    return ElementwiseApplyFunction(Lambda(t, function(t)), value)


def shift_of(value: sympy.Basic) -> tuple[sympy.Expr, sympy.Basic] | None:
    """(c, m) when the value is c + m entry by entry with c a constant, or None."""
    from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

    if not isinstance(value, ElementwiseApplyFunction):
        return None
    variable, = value.function.variables
    shift = value.function.expr - variable
    return (shift, value.expr) if is_constant(shift) else None


def negate(value: Value) -> Value:
    if isinstance(value, UnsizedVector):
        return value.times(sympy.S.NegativeOne)
    if isinstance(value, UnsizedIdentity):
        return UnsizedIdentity(-value.coefficient)
    if is_matrix(value):
        return MatMul(sympy.S.NegativeOne, *factors(value))
    return -value


def factors(value: sympy.Basic) -> tuple[sympy.Basic, ...]:
    return value.args if isinstance(value, MatMul) else (value,)


def terms(value: sympy.Basic) -> tuple[sympy.Basic, ...]:
    return value.args if isinstance(value, MatAdd) else (value,)


def scalar_if_1x1(value: sympy.Basic) -> sympy.Basic:
    """A 1×1 product (xᵀx) is a number; wrap it so that sympy treats it as one."""
    if is_matrix(value) and value.shape == (1, 1):
        coefficient = sympy.Mul(*(a for a in factors(value) if not is_matrix(a)))
        matrices = [a for a in factors(value) if is_matrix(a)]
        product = matrices[0] if len(matrices) == 1 else MatMul(*matrices)
        return coefficient * Scalar(product)
    return value

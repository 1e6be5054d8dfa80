"""Tidy products, sums and transposes of derivative values, without rewriting the user's form.

sympy's ``A*B`` canonicalises (and ``.T`` distributes over sums); the engine builds values
with these helpers instead, which only do what any reader does silently: drop identity
factors and zero terms, gather scalar coefficients, collect equal terms. Everything that
needs a property (S symmetric) goes through ``identities.py`` and leaves a remark.
Imports sympy and matcalc.objects.
"""

from __future__ import annotations

import sympy
from sympy import (
    HadamardProduct,
    Identity,
    KroneckerProduct,
    MatAdd,
    MatMul,
    MatPow,
    OneMatrix,
    Transpose,
    ZeroMatrix,
)
from sympy.matrices.expressions.diagonal import DiagMatrix

from matcalc.objects import Scalar, is_matrix, shape_of


def zero(rows: sympy.Expr, cols: sympy.Expr) -> sympy.Basic:
    """The zero of a shape: 0 for 1×1, the zero matrix otherwise."""
    if rows == 1 and cols == 1:
        return sympy.S.Zero
    return ZeroMatrix(rows, cols)


def is_zero(value: sympy.Basic) -> bool:
    return bool(value == 0 or isinstance(value, ZeroMatrix))


def as_scalar(value: sympy.Basic) -> sympy.Basic:
    """A 1×1 matrix expression becomes a number (Scalar); anything else is unchanged."""
    if is_matrix(value) and value.shape == (1, 1):
        if isinstance(value, MatMul) and not [a for a in value.args if is_matrix(a)]:
            return sympy.Mul(*value.args)
        if isinstance(value, ZeroMatrix):
            return sympy.S.Zero
        if isinstance(value, Identity):
            return sympy.S.One
        return Scalar(value)
    return value


def mul(*factors: sympy.Basic) -> sympy.Basic:
    """The product, shapes in order; scalars gathered in front, identities dropped."""
    coefficient: sympy.Expr = sympy.S.One
    matrices: list[sympy.Basic] = []
    rows = cols = None
    for factor in factors:
        parts = factor.args if isinstance(factor, MatMul) else (factor,)
        for part in parts:
            if is_matrix(part):
                part_rows, part_cols = shape_of(part)
                rows = part_rows if rows is None else rows
                cols = part_cols
                matrices.append(part)
            else:
                coefficient = coefficient * part
    if not matrices:
        return coefficient
    if coefficient == 0 or any(isinstance(m, ZeroMatrix) for m in matrices):
        assert rows is not None and cols is not None
        return zero(rows, cols)
    kept = [m for m in matrices if not isinstance(m, Identity)] or matrices[:1]
    product = kept[0] if len(kept) == 1 else MatMul(*kept)
    if product.shape == (1, 1) and not isinstance(product, Identity):
        return as_scalar(product) * coefficient
    if isinstance(product, Identity) and product.shape == (1, 1):
        return coefficient
    return product if coefficient == 1 else MatMul(coefficient, *factors_of(product))


def factors_of(value: sympy.Basic) -> tuple[sympy.Basic, ...]:
    return value.args if isinstance(value, MatMul) else (value,)


def add(*terms: sympy.Basic, rows: sympy.Expr = 1, cols: sympy.Expr = 1) -> sympy.Basic:
    """The sum without zero terms; equal terms collected (xᵀ + xᵀ = 2xᵀ)."""
    kept = [t for t in terms if not is_zero(t)]
    if not kept:
        return zero(rows, cols)
    if len(kept) == 1:
        return kept[0]
    if not any(is_matrix(t) for t in kept):
        return sympy.Add(*kept)
    collected: dict[sympy.Basic, sympy.Expr] = {}  # matrix part → summed coefficient
    for term in kept:
        coefficient, matrix = split_coefficient(term)
        collected[matrix] = collected.get(matrix, sympy.S.Zero) + coefficient
    summed = [mul(c, m) for m, c in collected.items() if c != 0]
    if not summed:
        return zero(rows, cols)
    return summed[0] if len(summed) == 1 else MatAdd(*summed)


def split_coefficient(term: sympy.Basic) -> tuple[sympy.Expr, sympy.Basic]:
    """2 xᵀA → (2, xᵀA)."""
    if isinstance(term, MatMul):
        scalars = [a for a in term.args if not is_matrix(a)]
        matrices = [a for a in term.args if is_matrix(a)]
        return sympy.Mul(*scalars), matrices[0] if len(matrices) == 1 else MatMul(*matrices)
    return sympy.S.One, term


def transpose(value: sympy.Basic, *, into_sums: bool = False) -> sympy.Basic:
    """vᵀ, pushed through products so that (A x)ᵀ reads xᵀAᵀ. A sum keeps its transpose
    ((x − μ)ᵀ stays as written), unless ``into_sums``: then a sum that is not a column is
    transposed term by term, so that a gradient, the transpose of a sum of rows, is a sum of
    columns, and (A + Aᵀ)ᵀ is A + Aᵀ in the order written."""
    if not is_matrix(value):
        return value
    rows, cols = shape_of(value)
    if into_sums and isinstance(value, MatAdd) and not (cols == 1 and rows != 1):
        terms = [transpose(t, into_sums=True) for t in value.args]
        if set(terms) == set(value.args):
            return value
        return add(*terms, rows=cols, cols=rows)
    if isinstance(value, Transpose):
        return value.arg
    if isinstance(value, KroneckerProduct):  # (A ⊗ B)ᵀ = Aᵀ ⊗ Bᵀ
        return KroneckerProduct(*(transpose(a) for a in value.args))
    if isinstance(value, HadamardProduct):  # (A ⊙ B)ᵀ = Aᵀ ⊙ Bᵀ
        return HadamardProduct(*(transpose(a) for a in value.args))
    if isinstance(value, DiagMatrix):
        return value  # a diagonal matrix is its own transpose
    if isinstance(value, Identity | ZeroMatrix):
        return value if value.shape[0] == value.shape[1] else ZeroMatrix(*value.shape[::-1])
    if isinstance(value, OneMatrix):  # (𝟏_Dᵀ)ᵀ = 𝟏_D
        return OneMatrix(*value.shape[::-1])
    if isinstance(value, MatPow) and value.exp.is_Integer and value.exp > 0:  # (Aᵏ)ᵀ = (Aᵀ)ᵏ
        return MatPow(transpose(value.base), value.exp)
    if isinstance(value, MatMul):
        scalars = [a for a in value.args if not is_matrix(a)]
        matrices = [transpose(a, into_sums=into_sums) for a in reversed(value.args)
                    if is_matrix(a)]
        return mul(*scalars, *matrices)
    return Transpose(value)  # (x − μ)ᵀ stays as written, not xᵀ − μᵀ

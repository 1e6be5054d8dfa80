"""Operations on matrix differentials: dF as a sum of terms linear in dX.

The terms (``model.Linear``, ``model.Outer``) are

    c · P (H ⊙ (L dX R)) Q     Linear (with dXᵀ in place of dX when ``transposed``)
    c · A · tr(C dX)            Outer  (A is absent when F is a scalar)
    c · P J_S(L dX R) Q         RowSoftmaxed: J_S(Z) = S ⊙ (Z − ((S ⊙ Z)𝟏)𝟏ᵀ), the
                                differential of S = softmax(U) taken row by row

and this module multiplies them from the left and right, transposes them, takes their trace,
scales them and composes them (dF in dY, dY in dX → dF in dX). ``differential.py`` builds
terms rule by rule; ``views.py`` reads the derivative off them. ``None`` stands for an
identity factor.
Imports sympy, matcalc.model, matcalc.objects, matcalc.errors and engine.algebra.
"""

from __future__ import annotations

from dataclasses import replace

import sympy
from sympy import HadamardProduct, Identity, OneMatrix, Trace
from sympy.matrices.expressions.diagonal import DiagMatrix

from matcalc.engine import algebra
from matcalc.engine.jacobians import row_softmax_times
from matcalc.errors import MatcalcError
from matcalc.model import Linear, Outer, RowSoftmaxed, Term, Terms
from matcalc.objects import is_matrix, shape_of


def _mul(first: sympy.Basic | None, second: sympy.Basic | None) -> sympy.Basic | None:
    if first is None:
        return second
    if second is None:
        return first
    return algebra.mul(first, second)


def _t(value: sympy.Basic | None) -> sympy.Basic | None:
    return None if value is None else algebra.transpose(value)


def unsupported(what: str) -> MatcalcError:
    return MatcalcError(f"no rule yet for {what}",
                        hint="this matrix construct is not supported yet")


# ---- operations on differentials -------------------------------------------------------


def _pulled(term: Term) -> Term:
    """Scalar factors of L, R, C or A moved into the coefficient: −X⁻¹ dX X⁻¹ has c = −1."""
    coefficient = term.coefficient
    parts: dict[str, sympy.Basic | None] = {}
    names = ("left", "right", "hadamard", "outer_left", "outer_right") if isinstance(
        term, Linear) else ("left", "right", "outer_left", "outer_right") if isinstance(
        term, RowSoftmaxed) else ("matrix", "trace_with")
    for name in names:
        value = getattr(term, name)
        if value is not None and is_matrix(value):
            scalar, matrix = algebra.split_coefficient(value)
            coefficient *= scalar
            value = matrix
        parts[name] = value
    return replace(term, coefficient=coefficient, **parts)  # type: ignore[arg-type]


def _tidy(terms: list[Term]) -> Terms:
    return tuple(_pulled(term) for term in terms)


def left(matrix: sympy.Basic, terms: Terms) -> Terms:
    """P · dF"""
    out: list[Term] = []
    for term in terms:
        if isinstance(term, RowSoftmaxed):  # M (A)ᵀ = (A Mᵀ)ᵀ
            out.append(replace(term, outer_right=_mul(term.outer_right, _t(matrix))) if
                       term.flipped else replace(term, outer_left=_mul(matrix, term.outer_left)))
        elif isinstance(term, Linear):
            if term.hadamard is not None:  # P (H ⊙ (L dX R)): P stays outside
                out.append(replace(term, outer_left=_mul(matrix, term.outer_left)))
            else:
                out.append(replace(term, left=_mul(matrix, term.left)))
        else:
            if term.matrix is None:
                raise unsupported("a matrix times the differential of a scalar")
            out.append(replace(term, matrix=algebra.mul(matrix, term.matrix)))
    return _tidy(out)


def right(matrix: sympy.Basic, terms: Terms) -> Terms:
    """dF · Q"""
    out: list[Term] = []
    for term in terms:
        if isinstance(term, RowSoftmaxed):  # (A)ᵀ M = (Mᵀ A)ᵀ
            out.append(replace(term, outer_left=_mul(_t(matrix), term.outer_left)) if
                       term.flipped else replace(term, outer_right=_mul(term.outer_right,
                                                                         matrix)))
        elif isinstance(term, Linear):
            if _is_diag(term) and shape_of(matrix)[1] == 1:
                # P diag(L dX) q = P diag(q) L dX: the entries meet one to one
                out.append(Linear(term.coefficient, _mul(term.outer_left, _mul(
                    DiagMatrix(matrix), term.left)), False, None))
            elif term.hadamard is not None:  # (H ⊙ (L dX R)) Q: Q stays outside
                out.append(replace(term, outer_right=_mul(term.outer_right, matrix)))
            else:
                out.append(replace(term, right=_mul(term.right, matrix)))
        else:
            if term.matrix is None:
                raise unsupported("the differential of a scalar times a matrix")
            out.append(replace(term, matrix=algebra.mul(term.matrix, matrix)))
    return _tidy(out)


def _is_diag(term: Linear) -> bool:
    """P (I ⊙ (L dX 𝟏ᵀ)): P diag(L dX), the differential of P diag(u) (differential.py)."""
    return (isinstance(term.hadamard, Identity) and isinstance(term.right, OneMatrix)
            and term.outer_right is None and not term.transposed)


def transpose(terms: Terms) -> Terms:
    """(dF)ᵀ: (P (H ⊙ (L dX R)) Q)ᵀ = Qᵀ (Hᵀ ⊙ (Rᵀ dXᵀ Lᵀ)) Pᵀ."""
    out: list[Term] = []
    for term in terms:
        if isinstance(term, RowSoftmaxed):
            out.append(replace(term, flipped=not term.flipped))
        elif isinstance(term, Linear):
            out.append(Linear(term.coefficient, _t(term.right), not term.transposed,
                              _t(term.left), _t(term.hadamard), _t(term.outer_right),
                              _t(term.outer_left)))
        else:
            out.append(replace(term, matrix=_t(term.matrix)))
    return _tidy(out)


def scale(factor: sympy.Expr, terms: Terms) -> Terms:
    return tuple(replace(term, coefficient=term.coefficient * factor) for term in terms)


def hadamard(matrix: sympy.Basic, terms: Terms) -> Terms:
    """G ⊙ dF; for a column G this is diag(G) dF."""
    if shape_of(matrix)[1] == 1:
        return left(DiagMatrix(matrix), terms)
    out: list[Term] = []
    for term in terms:
        if isinstance(term, RowSoftmaxed):
            raise unsupported("an entrywise product with the differential of a row-wise "
                              "softmax")
        if isinstance(term, Linear):
            if term.surrounded:
                raise unsupported("an entrywise product with a product around an entrywise "
                                  "product")
            both = matrix if term.hadamard is None else HadamardProduct(matrix, term.hadamard)
            out.append(replace(term, hadamard=both))
        else:
            out.append(replace(term, matrix=HadamardProduct(matrix, term.matrix)))
    return _tidy(out)


def trace(terms: Terms, size: sympy.Expr | None = None) -> Terms:
    """tr(dF) by the cyclic property: tr(L dX R) = tr(R L dX), tr(L dXᵀ R) = tr(Lᵀ Rᵀ dX);
    around an entrywise product, tr(P (H ⊙ M) Q) = tr(G M) with G = (Q P) ⊙ Hᵀ."""
    out: list[Term] = []
    for term in terms:
        if isinstance(term, RowSoftmaxed):
            out.append(_row_softmax_trace(term))
            continue
        if isinstance(term, Linear):
            factor: sympy.Expr = sympy.S.One
            weight = None  # G; tr(H ⊙ M) = tr((I ⊙ H) M): only H's diagonal meets M's
            around = _mul(term.outer_right, term.outer_left)
            if term.hadamard is not None and shape_of(term.hadamard) == (1, 1):
                factor = algebra.as_scalar(term.hadamard)
                weight = around
            elif term.hadamard is not None:
                meets = around if around is not None else Identity(shape_of(term.hadamard)[0])
                weight = HadamardProduct(meets, _t(term.hadamard))
            if term.transposed:
                with_dx = _mul(_t(term.left), _mul(_t(weight), _t(term.right)))
            else:
                with_dx = _mul(term.right, _mul(weight, term.left))
            if with_dx is None:  # tr(dX) = tr(I dX)
                with_dx = sympy.S.One if size in (None, 1) else Identity(size)
            out.append(Outer(term.coefficient * factor, None, with_dx))
        else:
            matrix = term.matrix
            value = sympy.S.One if matrix is None else (
                algebra.as_scalar(matrix) if shape_of(matrix) == (1, 1) else Trace(matrix))
            out.append(Outer(term.coefficient * value, None, term.trace_with))
    return _tidy(out)


def _row_softmax_trace(term: RowSoftmaxed) -> Outer:
    """tr(P J_S(Z) Q) (its transpose has the same trace) = tr(Bᵀ Z) with B = J_S(G),
    G = (QP)ᵀ (J_S is its own adjoint: each
    row's diag(s) − s sᵀ is symmetric); then tr(Bᵀ L dX R) = tr(R Bᵀ L dX) and
    tr(Bᵀ L dXᵀ R) = tr(Lᵀ B Rᵀ dX)."""
    around = _mul(term.outer_right, term.outer_left)
    rows = shape_of(term.softmax)[0]
    weight = _t(around) if around is not None else Identity(rows)
    adjoint = row_softmax_times(term.softmax, weight)
    if term.transposed:
        with_dx = _mul(_t(term.left), _mul(adjoint, _t(term.right)))
    else:
        with_dx = _mul(term.right, _mul(_t(adjoint), term.left))
    assert with_dx is not None
    return Outer(term.coefficient, None, with_dx)


def row_softmaxed(softmax: sympy.Basic, terms: Terms) -> Terms:
    """J_S(dU) for the terms of dU: the differential of S = softmax(U) taken row by row."""
    out: list[Term] = []
    for term in terms:
        if isinstance(term, Linear) and term.hadamard is None and not term.surrounded:
            out.append(RowSoftmaxed(term.coefficient, softmax, term.left, term.transposed,
                                    term.right))
        elif isinstance(term, Outer) and term.matrix is not None:
            out.append(replace(term, matrix=row_softmax_times(softmax, term.matrix)))
        else:
            raise unsupported("a row-wise softmax of an entrywise product or of another "
                              "softmax")
    return _tidy(out)


def times(matrix: sympy.Basic, scalar_terms: Terms) -> Terms:
    """ds · M for a scalar s and a fixed matrix M."""
    out: list[Term] = []
    for term in scalar_terms:
        assert isinstance(term, Outer) and term.matrix is None
        out.append(replace(term, matrix=matrix))
    return _tidy(out)


def compose(outer: Terms, inner: Terms, size: sympy.Expr | None = None) -> Terms:
    """dF in terms of dX, from dF in terms of dY (outer) and dY in terms of dX (inner)."""
    out: list[Term] = []
    for term in outer:
        if isinstance(term, Linear | RowSoftmaxed):
            out.extend(_applied(term, inner))
        else:
            if term.trace_with == 1:
                current = inner
            elif not is_matrix(term.trace_with):
                current = scale(term.trace_with, inner)
            else:
                current = left(term.trace_with, inner)
            scalar = trace(current, size) if not all_scalar(current) else current
            scalar = scale(term.coefficient, scalar)
            out.extend(scalar if term.matrix is None else times(term.matrix, scalar))
    return tuple(out)


def _applied(term: Linear | RowSoftmaxed, inner: Terms) -> Terms:
    """c · P (H ⊙ (L dY R)) Q, or c · P J_S(L dY R) Q, with dY's own terms put in."""
    current = transpose(inner) if term.transposed else inner
    if term.left is not None:
        current = left(term.left, current)
    if term.right is not None:
        current = right(term.right, current)
    if isinstance(term, RowSoftmaxed):
        current = row_softmaxed(term.softmax, current)
    elif term.hadamard is not None:
        current = hadamard(term.hadamard, current)
    if term.outer_left is not None:
        current = left(term.outer_left, current)
    if term.outer_right is not None:
        current = right(term.outer_right, current)
    if isinstance(term, RowSoftmaxed) and term.flipped:
        current = transpose(current)
    return scale(term.coefficient, current)


def all_scalar(terms: Terms) -> bool:
    return all(isinstance(t, Outer) and t.matrix is None for t in terms)


def from_jacobian(jacobian: sympy.Basic, of_scalar: bool, by_scalar: bool) -> Terms:
    """The terms of dF = J dY for a Jacobian J found by the vector rules."""
    if of_scalar:
        return (Outer(sympy.S.One, None, jacobian),)
    if by_scalar:  # a vector by a scalar: dF = J dy with J a column
        return (Outer(sympy.S.One, jacobian, sympy.S.One),)
    return (Linear(sympy.S.One, jacobian, False, None),)


__all__ = ["Linear", "Outer", "RowSoftmaxed", "Term", "Terms", "all_scalar", "compose",
           "from_jacobian", "hadamard", "left", "right", "row_softmaxed", "scale", "times",
           "trace", "transpose", "unsupported"]

"""Matrix differentials: dF as a sum of terms linear in dX, built rule by rule.

For derivatives with respect to a matrix, and of matrix-valued expressions, the engine
works as Magnus and Neudecker do: it writes the differential dF as a sum of terms

    c · H ⊙ (L dX R)     Linear (with dXᵀ in place of dX when ``transposed``)
    c · A · tr(C dX)      Outer  (A is absent when F is a scalar)

and ``views.py`` reads the derivative off the terms: the gradient, the index formula with
Kronecker deltas, and the vectorized Jacobian. ``None`` stands for an identity factor.
Every rule used is recorded as a sentence, so the step can say how dF was found.
Imports sympy, matcalc.model, matcalc.objects, matcalc.errors and engine.algebra.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import sympy
from sympy import (
    Determinant,
    HadamardProduct,
    Identity,
    Inverse,
    KroneckerProduct,
    Lambda,
    MatAdd,
    MatMul,
    MatPow,
    Trace,
    Transpose,
)
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix

from matcalc.engine import algebra
from matcalc.errors import MatcalcError
from matcalc.model import Math, Sentence
from matcalc.objects import (
    ENTRY,
    Applied,
    AppliedVector,
    Diff,
    DiffScalar,
    LogSumExp,
    Norm,
    Scalar,
    Softmax,
    is_matrix,
    shape_of,
)

# The letters of the identities the explanations cite (d(UV) = (dU)V + U(dV), …): the first
# pair the expression does not use, so that a cited identity never reads as the problem's own
_N = sympy.Symbol("n", integer=True, positive=True)
_LETTERS = (("U", "V"), ("P", "Q"), ("G", "H"), ("L", "R"))


@dataclass(frozen=True)
class Linear:
    """c · P (H ⊙ (L dX R)) Q, or with dXᵀ; P and Q only around an entrywise product."""

    coefficient: sympy.Expr
    left: sympy.Basic | None
    transposed: bool
    right: sympy.Basic | None
    hadamard: sympy.Basic | None = None
    outer_left: sympy.Basic | None = None  # P
    outer_right: sympy.Basic | None = None  # Q

    @property
    def surrounded(self) -> bool:
        return self.outer_left is not None or self.outer_right is not None


@dataclass(frozen=True)
class Outer:
    """c · A · tr(C dX): a fixed matrix A times a scalar differential."""

    coefficient: sympy.Expr
    matrix: sympy.Basic | None
    trace_with: sympy.Basic  # C, so that the scalar part is tr(C dX)


Term = Linear | Outer
Terms = tuple[Term, ...]


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
        term, Linear) else ("matrix", "trace_with")
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
        if isinstance(term, Linear):
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
        if isinstance(term, Linear):
            if term.hadamard is not None:  # (H ⊙ (L dX R)) Q: Q stays outside
                out.append(replace(term, outer_right=_mul(term.outer_right, matrix)))
            else:
                out.append(replace(term, right=_mul(term.right, matrix)))
        else:
            if term.matrix is None:
                raise unsupported("the differential of a scalar times a matrix")
            out.append(replace(term, matrix=algebra.mul(term.matrix, matrix)))
    return _tidy(out)


def transpose(terms: Terms) -> Terms:
    """(dF)ᵀ: (P (H ⊙ (L dX R)) Q)ᵀ = Qᵀ (Hᵀ ⊙ (Rᵀ dXᵀ Lᵀ)) Pᵀ."""
    out: list[Term] = []
    for term in terms:
        if isinstance(term, Linear):
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
        if isinstance(term, Linear):
            current = transpose(inner) if term.transposed else inner
            if term.left is not None:
                current = left(term.left, current)
            if term.right is not None:
                current = right(term.right, current)
            if term.hadamard is not None:
                current = hadamard(term.hadamard, current)
            if term.outer_left is not None:
                current = left(term.outer_left, current)
            if term.outer_right is not None:
                current = right(term.outer_right, current)
            out.extend(scale(term.coefficient, current))
        else:
            if term.trace_with == 1:
                current = inner
            elif not is_matrix(term.trace_with):
                current = scale(term.trace_with, inner)
            else:
                current = left(term.trace_with, inner)
            scalar = trace(current, size) if not _all_scalar(current) else current
            scalar = scale(term.coefficient, scalar)
            out.extend(scalar if term.matrix is None else times(term.matrix, scalar))
    return tuple(out)


def _all_scalar(terms: Terms) -> bool:
    return all(isinstance(t, Outer) and t.matrix is None for t in terms)


# ---- the rules ------------------------------------------------------------------------


@dataclass
class Differentiator:
    """d(expr) with respect to ``wrt``; ``used`` collects the rules, as sentences."""

    wrt: sympy.Basic
    used: list[Sentence] = field(default_factory=list)
    letters: tuple[str, str] = ("U", "V")

    @property
    def pair(self) -> tuple[sympy.MatrixSymbol, sympy.MatrixSymbol]:
        """U and V of a cited identity (or the first free pair of letters)."""
        return (sympy.MatrixSymbol(self.letters[0], _N, _N),
                sympy.MatrixSymbol(self.letters[1], _N, _N))

    def note(self, sentence: Sentence) -> None:
        if sentence not in self.used:
            self.used.append(sentence)

    def d(self, expr: sympy.Basic) -> Terms:
        if not expr.has(self.wrt):
            return ()
        if expr == self.wrt:
            if shape_of(expr) == (1, 1):  # a number: dF = 1 · tr(1 du)
                return (Outer(sympy.S.One, None, sympy.S.One),)
            return (Linear(sympy.S.One, None, False, None),)
        match expr:
            case Scalar():
                return self.scalar(self.d(expr.matrix))
            case MatAdd() | sympy.Add():
                return tuple(t for arg in expr.args for t in self.d(arg))
            case MatMul():
                return self.product(expr)
            case sympy.Mul():
                return self.scalar_product(expr)
            case Transpose():
                u, _ = self.pair
                self.note((Math(Diff(u.T)), " = ", Math(Diff(u).T)))
                return transpose(self.d(expr.arg))
            case Inverse():
                u, _ = self.pair
                self.note((Math(Diff(Inverse(u))), " = ",
                           Math(MatMul(-1, Inverse(u), Diff(u), Inverse(u)))))
                inverse = Inverse(expr.arg)
                return right(inverse, left(algebra.mul(-1, inverse), self.d(expr.arg)))
            case Trace():
                u, v = self.pair
                self.note((Math(DiffScalar(Trace(u))), " = ", Math(Trace(Diff(u))), ", and ",
                           Math(Trace(u * v)), " = ", Math(Trace(v * u))))
                return trace(self.d(expr.arg), shape_of(self.wrt)[0])
            case Determinant():
                self.note(("d det(U) = det(U) tr(U⁻¹ dU)",))
                return scale(expr, trace(left(Inverse(expr.arg), self.d(expr.arg))))
            case Norm():
                self.note(("d‖U‖ = tr(Uᵀ dU)/‖U‖",))
                inner = left(Transpose(expr.arg), self.d(expr.arg))
                return scale(1 / expr, self.scalar(inner) if shape_of(expr.arg)[1] == 1
                             else trace(inner))
            case ElementwiseApplyFunction():
                self.note(("d f(U) = f'(U) ⊙ dU for f applied entry by entry",))
                t = ENTRY
                slope = expr.function(t).diff(t)
                if not slope.has(t):  # a constant c: c ⊙ dU is c dU
                    return scale(slope, self.d(expr.expr))
                return hadamard(ElementwiseApplyFunction(Lambda(t, slope), expr.expr),
                                self.d(expr.expr))
            case HadamardProduct() if len(expr.args) == 2:
                u, v = self.pair
                self.note((Math(Diff(HadamardProduct(u, v))), " = ", Math(MatAdd(
                    HadamardProduct(Diff(u), v), HadamardProduct(u, Diff(v)), evaluate=False))))
                first, second = expr.args
                return hadamard(second, self.d(first)) + hadamard(first, self.d(second))
            case Softmax():
                self.note(("d softmax(u) = (diag(s) − s sᵀ) du with s = softmax(u)",))
                jacobian = MatAdd(DiagMatrix(expr), algebra.mul(-1, expr, Transpose(expr)))
                return left(jacobian, self.d(expr.arg))
            case LogSumExp():
                self.note(("d lse(u) = softmax(u)ᵀ du",))
                return self.scalar(left(Transpose(Softmax(expr.arg)), self.d(expr.arg)))
            case Applied() | AppliedVector():
                from matcalc.engine.rules import abstract_partial

                self.note(("d p(u, v) = (∂p/∂u) du + (∂p/∂v) dv for an abstract p",))
                out: list[Term] = []
                for index, argument in enumerate(expr.arguments):
                    partial = abstract_partial(expr, index)
                    inner = self.d(argument)
                    if not is_matrix(argument):
                        out.extend(times(partial, inner) if is_matrix(expr)
                                   else scale(algebra.as_scalar(partial), inner))
                        continue
                    if shape_of(argument)[1] != 1:  # dp = tr((∂p/∂U)ᵀ dU) for a matrix U
                        out.extend(trace(left(Transpose(partial), inner), size=shape_of(
                            self.wrt)[0]))
                        continue
                    joined = left(partial, inner)
                    out.extend(joined if is_matrix(expr) else self.scalar(joined))
                return tuple(out)
            case MatPow() if expr.exp.is_Integer and expr.exp > 0:
                power = int(expr.exp)
                return self.product(MatMul(*([expr.base] * power)))
            case sympy.Pow() if not expr.exp.has(self.wrt):
                base, exponent = expr.args
                return scale(exponent * base ** (exponent - 1), self.d(base))
            case sympy.Function() | sympy.Abs() if len(expr.args) == 1:
                (argument,) = expr.args
                t = ENTRY
                derivative = expr.func(t).diff(t).xreplace({t: argument})
                return scale(derivative, self.d(argument))
        raise unsupported("the differential of " + (
            "a Kronecker product of matrices" if isinstance(expr, KroneckerProduct) else
            f"an expression of the kind {type(expr).__name__}"))

    def scalar(self, terms: Terms) -> Terms:
        """A 1×1 differential as a number: tr of itself."""
        return trace(terms)

    def product(self, expr: MatMul) -> Terms:
        """d(P U Q) = P dU Q for each factor U in turn (the product rule)."""
        args = list(expr.args)
        out: list[Term] = []
        dependent = [a for a in args if a.has(self.wrt)]
        if len(dependent) > 1:
            u, v = self.pair
            self.note((Math(Diff(u * v)), " = ", Math(MatAdd(MatMul(Diff(u), v),
                                                              MatMul(u, Diff(v)), evaluate=False))))
        for index, factor in enumerate(args):
            if not factor.has(self.wrt):
                continue
            before, after = args[:index], args[index + 1:]
            scalars = sympy.Mul(*(a for a in before + after if not is_matrix(a)))
            left_factors = [a for a in before if is_matrix(a)]
            right_factors = [a for a in after if is_matrix(a)]
            inner = self.d(factor)
            if not is_matrix(factor):
                rest = algebra.mul(*left_factors, *right_factors)
                out.extend(times(rest, scale(scalars, inner)) if is_matrix(rest)
                           else scale(scalars * rest, inner))
                continue
            if left_factors:
                inner = left(algebra.mul(*left_factors), inner)
            if right_factors:
                inner = right(algebra.mul(*right_factors), inner)
            out.extend(scale(scalars, inner))
        if shape_of(expr) == (1, 1):
            return self.scalar(tuple(out)) if not _all_scalar(tuple(out)) else tuple(out)
        return tuple(out)

    def scalar_product(self, expr: sympy.Mul) -> Terms:
        out: list[Term] = []
        for index, factor in enumerate(expr.args):
            if factor.has(self.wrt):
                others = sympy.Mul(*(a for i, a in enumerate(expr.args) if i != index))
                out.extend(scale(others, self.d(factor)))
        return tuple(out)


def differential(expr: sympy.Basic, wrt: sympy.Basic) -> tuple[Terms, tuple[Sentence, ...]]:
    """The terms of d(expr) with respect to wrt, and the rules used to find them."""
    names = {str(getattr(s, "name", s)) for s in expr.free_symbols | wrt.free_symbols}
    letters = next((pair for pair in _LETTERS if not set(pair) & names), _LETTERS[0])
    worker = Differentiator(wrt, letters=letters)
    terms = worker.d(expr)
    if shape_of(expr) == (1, 1) and not _all_scalar(terms):
        terms = trace(terms)
    return terms, tuple(worker.used)


def from_jacobian(jacobian: sympy.Basic, of_scalar: bool, by_scalar: bool) -> Terms:
    """The terms of dF = J dY for a Jacobian J found by the vector rules."""
    if of_scalar:
        return (Outer(sympy.S.One, None, jacobian),)
    if by_scalar:  # a vector by a scalar: dF = J dy with J a column
        return (Outer(sympy.S.One, jacobian, sympy.S.One),)
    return (Linear(sympy.S.One, jacobian, False, None),)


__all__ = ["Linear", "Outer", "Terms", "compose", "differential", "from_jacobian"]

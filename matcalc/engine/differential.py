"""The matrix differential as a rule table: dF as terms linear in dX, rule by rule.

For derivatives with respect to a matrix, and of matrix-valued expressions, the engine works
as Magnus and Neudecker do: it writes the differential dF as a sum of terms (``terms.py``)
and ``views.py`` reads the derivative off them. Each identity used is a record here, as the
derivative rules are in ``rules.py``: its formula as docstring, ``match``, ``terms``, and the
``identity`` the explanation cites, built from math objects (never prose), with letters the
problem does not use. ``MatrixDifferential`` is the step that runs this table.
Imports sympy, matcalc.model, matcalc.objects, matcalc.errors and the engine's terms,
jacobians, algebra, rules, identities and views.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar, Self

import sympy
from sympy import (
    Determinant,
    HadamardProduct,
    Identity,
    Inverse,
    KroneckerProduct,
    MatAdd,
    MatMul,
    MatPow,
    OneMatrix,
    Trace,
    Transpose,
)
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix

from matcalc.engine import algebra
from matcalc.engine.identities import use_properties
from matcalc.engine.jacobians import (
    derivative_at,
    entrywise_slope,
    logsumexp_gradient,
    row_softmax_times,
    softmax_jacobian,
)
from matcalc.engine.rules import Context, Rule, abstract_partial
from matcalc.engine.terms import (
    Linear,
    Outer,
    Term,
    Terms,
    all_scalar,
    hadamard,
    left,
    right,
    row_softmaxed,
    scale,
    times,
    trace,
    transpose,
    unsupported,
)
from matcalc.engine.views import matrix_value, views
from matcalc.model import Math, Sentence, Shape
from matcalc.objects import (
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
class Letters:
    """U and V of a cited identity (matrices), and u, v (columns) for functions of vectors:
    the first pair of each the problem does not use."""

    upper: tuple[str, str]
    lower: tuple[str, str]

    @classmethod
    def free_in(cls, names: set[str]) -> Letters:
        def free(pairs: list[tuple[str, str]]) -> tuple[str, str]:
            return next((pair for pair in pairs if not set(pair) & names), pairs[0])

        return cls(free(list(_LETTERS)),
                   free([(a.lower(), b.lower()) for a, b in _LETTERS]))

    @property
    def matrices(self) -> tuple[sympy.MatrixSymbol, sympy.MatrixSymbol]:
        return (sympy.MatrixSymbol(self.upper[0], _N, _N),
                sympy.MatrixSymbol(self.upper[1], _N, _N))

    @property
    def columns(self) -> tuple[sympy.MatrixSymbol, sympy.MatrixSymbol]:
        return (sympy.MatrixSymbol(self.lower[0], _N, 1),
                sympy.MatrixSymbol(self.lower[1], _N, 1))


def _equation(left_side: sympy.Basic, right_side: sympy.Basic,
              *after: str | Math) -> Sentence:
    return (Math(left_side), " = ", Math(right_side), *after)


class DifferentialRule:
    """One identity of the matrix differential; subclasses fill ``terms``."""

    kinds: ClassVar[tuple[type, ...]] = ()

    @classmethod
    def match(cls, expr: sympy.Basic) -> bool:
        return isinstance(expr, cls.kinds)

    @staticmethod
    def identity(letters: Letters) -> Sentence | None:
        """The identity as the explanation cites it, or None when it goes without saying."""
        return None

    @classmethod
    def cited(cls, expr: sympy.Basic, worker: Differentiator) -> Sentence | None:
        """The identity this expression's differential uses."""
        return cls.identity(worker.letters)

    @classmethod
    def terms(cls, expr: sympy.Basic, worker: Differentiator) -> Terms:
        raise NotImplementedError


class OfScalar(DifferentialRule):
    """d of a 1×1 product used as a number is the differential of the product"""

    kinds = (Scalar,)

    @classmethod
    def terms(cls, expr: sympy.Basic, worker: Differentiator) -> Terms:
        return worker.scalar(worker.d(expr.matrix))


class SumRule(DifferentialRule):
    """d(U + V) = dU + dV"""

    kinds = (MatAdd, sympy.Add)

    @classmethod
    def terms(cls, expr: sympy.Basic, worker: Differentiator) -> Terms:
        return tuple(t for arg in expr.args for t in worker.d(arg))


class ProductRule(DifferentialRule):
    """d(P U Q) = P dU Q for each factor U in turn: d(UV) = (dU)V + U(dV)"""

    kinds = (MatMul,)

    @classmethod
    def cited(cls, expr: sympy.Basic, worker: Differentiator) -> Sentence | None:
        if sum(1 for a in expr.args if a.has(worker.wrt)) < 2:
            return None  # a linear map: P dU Q needs no citing
        u, v = worker.letters.matrices
        return _equation(Diff(u * v), MatAdd(MatMul(Diff(u), v), MatMul(u, Diff(v)),
                                             evaluate=False))

    @classmethod
    def terms(cls, expr: sympy.Basic, worker: Differentiator) -> Terms:
        args = list(expr.args)
        out: list[Term] = []
        for index, factor in enumerate(args):
            if not factor.has(worker.wrt):
                continue
            before, after = args[:index], args[index + 1:]
            scalars = sympy.Mul(*(a for a in before + after if not is_matrix(a)))
            left_factors = [a for a in before if is_matrix(a)]
            right_factors = [a for a in after if is_matrix(a)]
            inner = worker.d(factor)
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
        if shape_of(expr) == (1, 1) and not all_scalar(tuple(out)):
            return worker.scalar(tuple(out))
        return tuple(out)


class ScalarProduct(DifferentialRule):
    """d(s t) = (ds) t + s (dt) for numbers s and t"""

    kinds = (sympy.Mul,)  # after ProductRule: sympy's MatMul is a Mul

    @classmethod
    def terms(cls, expr: sympy.Basic, worker: Differentiator) -> Terms:
        out: list[Term] = []
        for index, factor in enumerate(expr.args):
            if factor.has(worker.wrt):
                others = sympy.Mul(*(a for i, a in enumerate(expr.args) if i != index))
                out.extend(scale(others, worker.d(factor)))
        return tuple(out)


class TransposeRule(DifferentialRule):
    """d(Uᵀ) = (dU)ᵀ"""

    kinds = (Transpose,)

    @staticmethod
    def identity(letters: Letters) -> Sentence | None:
        u, _ = letters.matrices
        return _equation(Diff(u.T), Diff(u).T)

    @classmethod
    def terms(cls, expr: sympy.Basic, worker: Differentiator) -> Terms:
        return transpose(worker.d(expr.arg))


class InverseRule(DifferentialRule):
    """d(U⁻¹) = −U⁻¹ dU U⁻¹"""

    kinds = (Inverse,)

    @staticmethod
    def identity(letters: Letters) -> Sentence | None:
        u, _ = letters.matrices
        return _equation(Diff(Inverse(u)), MatMul(-1, Inverse(u), Diff(u), Inverse(u)))

    @classmethod
    def terms(cls, expr: sympy.Basic, worker: Differentiator) -> Terms:
        inverse = Inverse(expr.arg)
        return right(inverse, left(algebra.mul(-1, inverse), worker.d(expr.arg)))


class TraceRule(DifferentialRule):
    """d tr(U) = tr(dU), and tr(UV) = tr(VU) (the cyclic property)"""

    kinds = (Trace,)

    @staticmethod
    def identity(letters: Letters) -> Sentence | None:
        u, v = letters.matrices
        return (*_equation(DiffScalar(Trace(u)), Trace(Diff(u))), ", and ",
                *_equation(Trace(u * v), Trace(v * u)))

    @classmethod
    def terms(cls, expr: sympy.Basic, worker: Differentiator) -> Terms:
        return trace(worker.d(expr.arg), shape_of(worker.wrt)[0])


class DeterminantRule(DifferentialRule):
    """d det(U) = det(U) tr(U⁻¹ dU)"""

    kinds = (Determinant,)

    @staticmethod
    def identity(letters: Letters) -> Sentence | None:
        u, _ = letters.matrices
        return _equation(DiffScalar(Determinant(u)),
                         sympy.Mul(Determinant(u), Trace(MatMul(Inverse(u), Diff(u))),
                                   evaluate=False))

    @classmethod
    def terms(cls, expr: sympy.Basic, worker: Differentiator) -> Terms:
        return scale(expr, trace(left(Inverse(expr.arg), worker.d(expr.arg))))


class NormRule(DifferentialRule):
    """d‖U‖ = tr(Uᵀ dU)/‖U‖ (the 2-norm of a vector, the Frobenius norm of a matrix)"""

    kinds = (Norm,)

    @staticmethod
    def identity(letters: Letters) -> Sentence | None:
        u, _ = letters.matrices
        return _equation(DiffScalar(Norm(u)), Trace(MatMul(Transpose(u), Diff(u))) / Norm(u))

    @classmethod
    def terms(cls, expr: sympy.Basic, worker: Differentiator) -> Terms:
        inner = left(Transpose(expr.arg), worker.d(expr.arg))
        return scale(1 / expr, worker.scalar(inner) if shape_of(expr.arg)[1] == 1
                     else trace(inner))


class EntrywiseRule(DifferentialRule):
    """d f(U) = f′(U) ⊙ dU for a function f applied entry by entry"""

    kinds = (ElementwiseApplyFunction,)

    @classmethod
    def cited(cls, expr: sympy.Basic, worker: Differentiator) -> Sentence | None:
        u, _ = worker.letters.matrices
        slope = entrywise_slope(expr.function, u)
        return _equation(Diff(ElementwiseApplyFunction(expr.function, u)),
                         HadamardProduct(slope, Diff(u)) if is_matrix(slope)
                         else algebra.mul(slope, Diff(u)))

    @classmethod
    def terms(cls, expr: sympy.Basic, worker: Differentiator) -> Terms:
        slope = entrywise_slope(expr.function, expr.expr)
        inner = worker.d(expr.expr)
        return hadamard(slope, inner) if is_matrix(slope) else scale(slope, inner)


class DiagRule(DifferentialRule):
    """d diag(u) = diag(du) = I ⊙ (du 𝟏ᵀ) for a column u"""

    kinds = (DiagMatrix,)

    @staticmethod
    def identity(letters: Letters) -> Sentence | None:
        u, _ = letters.columns
        return _equation(Diff(DiagMatrix(u)), DiagMatrix(Diff(u)))

    @classmethod
    def terms(cls, expr: sympy.Basic, worker: Differentiator) -> Terms:
        (column,) = expr.args
        size = shape_of(column)[0]
        return hadamard(Identity(size), right(OneMatrix(1, size), worker.d(column)))


class HadamardRule(DifferentialRule):
    """d(U ⊙ V) = dU ⊙ V + U ⊙ dV"""

    kinds = (HadamardProduct,)

    @classmethod
    def match(cls, expr: sympy.Basic) -> bool:
        return isinstance(expr, HadamardProduct) and len(expr.args) == 2

    @staticmethod
    def identity(letters: Letters) -> Sentence | None:
        u, v = letters.matrices
        return _equation(Diff(HadamardProduct(u, v)), MatAdd(
            HadamardProduct(Diff(u), v), HadamardProduct(u, Diff(v)), evaluate=False))

    @classmethod
    def terms(cls, expr: sympy.Basic, worker: Differentiator) -> Terms:
        first, second = expr.args
        return hadamard(second, worker.d(first)) + hadamard(first, worker.d(second))


class SoftmaxRule(DifferentialRule):
    """d softmax(u) = (diag(s) − s sᵀ) du with s = softmax(u)"""

    kinds = (Softmax,)

    @classmethod
    def match(cls, expr: sympy.Basic) -> bool:
        return isinstance(expr, Softmax) and shape_of(expr)[1] == 1

    @staticmethod
    def identity(letters: Letters) -> Sentence | None:
        u, s = letters.columns
        return (*_equation(Diff(Softmax(u)), MatMul(softmax_jacobian(s), Diff(u))), " with ",
                *_equation(s, Softmax(u)))

    @classmethod
    def terms(cls, expr: sympy.Basic, worker: Differentiator) -> Terms:
        return left(softmax_jacobian(expr), worker.d(expr.arg))


class RowSoftmaxRule(DifferentialRule):
    """d softmax(U) = S ⊙ (dU − ((S ⊙ dU)𝟏)𝟏ᵀ) with S = softmax(U) taken row by row: each
    row's diag(s) − s sᵀ, as in attention"""

    @classmethod
    def match(cls, expr: sympy.Basic) -> bool:
        return isinstance(expr, Softmax) and shape_of(expr)[1] != 1

    @staticmethod
    def identity(letters: Letters) -> Sentence | None:
        u, s = letters.matrices
        return (*_equation(Diff(Softmax(u)), row_softmax_times(s, Diff(u))), " with ",
                *_equation(s, Softmax(u)), " taken row by row")

    @classmethod
    def terms(cls, expr: sympy.Basic, worker: Differentiator) -> Terms:
        return row_softmaxed(expr, worker.d(expr.arg))


class LogSumExpRule(DifferentialRule):
    """d lse(u) = softmax(u)ᵀ du"""

    kinds = (LogSumExp,)

    @staticmethod
    def identity(letters: Letters) -> Sentence | None:
        u, _ = letters.columns
        return _equation(DiffScalar(LogSumExp(u)), MatMul(logsumexp_gradient(u), Diff(u)))

    @classmethod
    def terms(cls, expr: sympy.Basic, worker: Differentiator) -> Terms:
        return worker.scalar(left(logsumexp_gradient(expr.arg), worker.d(expr.arg)))


class AbstractRule(DifferentialRule):
    """d p(u, v) = (∂p/∂u) du + (∂p/∂v) dv for an abstract differentiable p"""

    kinds = (Applied, AppliedVector)

    @classmethod
    def cited(cls, expr: sympy.Basic, worker: Differentiator) -> Sentence | None:
        u, v = worker.letters.columns
        applied = Applied(sympy.Symbol(expr.name), u, v)
        return _equation(DiffScalar(applied), MatAdd(
            MatMul(abstract_partial(applied, 0), Diff(u)),
            MatMul(abstract_partial(applied, 1), Diff(v)), evaluate=False),
            " for an abstract ", Math(sympy.Symbol(expr.name)))

    @classmethod
    def terms(cls, expr: sympy.Basic, worker: Differentiator) -> Terms:
        out: list[Term] = []
        for index, argument in enumerate(expr.arguments):
            partial = abstract_partial(expr, index)
            inner = worker.d(argument)
            if not is_matrix(argument):
                out.extend(times(partial, inner) if is_matrix(expr)
                           else scale(algebra.as_scalar(partial), inner))
            elif shape_of(argument)[1] != 1:  # dp = tr((∂p/∂U)ᵀ dU) for a matrix U
                out.extend(trace(left(Transpose(partial), inner),
                                 size=shape_of(worker.wrt)[0]))
            else:
                joined = left(partial, inner)
                out.extend(joined if is_matrix(expr) else worker.scalar(joined))
        return tuple(out)


class MatrixPower(DifferentialRule):
    """d(Uᵏ) = d(U U ⋯ U) by the product rule, for a positive whole k"""

    @classmethod
    def match(cls, expr: sympy.Basic) -> bool:
        return isinstance(expr, MatPow) and expr.exp.is_Integer and expr.exp > 0

    @classmethod
    def cited(cls, expr: sympy.Basic, worker: Differentiator) -> Sentence | None:
        return ProductRule.cited(MatMul(expr.base, expr.base), worker)

    @classmethod
    def terms(cls, expr: sympy.Basic, worker: Differentiator) -> Terms:
        return ProductRule.terms(MatMul(*([expr.base] * int(expr.exp))), worker)


class PowerRule(DifferentialRule):
    """d(sᵏ) = k sᵏ⁻¹ ds for a constant k"""

    kinds = (sympy.Pow,)

    @classmethod
    def terms(cls, expr: sympy.Basic, worker: Differentiator) -> Terms:
        base, exponent = expr.args
        if exponent.has(worker.wrt):
            raise unsupported("a power whose exponent depends on the variable")
        return scale(exponent * base ** (exponent - 1), worker.d(base))


class ScalarFunction(DifferentialRule):
    """d f(s) = f′(s) ds for a function f of a number s"""

    @classmethod
    def match(cls, expr: sympy.Basic) -> bool:
        return isinstance(expr, sympy.Function | sympy.Abs) and len(expr.args) == 1

    @classmethod
    def terms(cls, expr: sympy.Basic, worker: Differentiator) -> Terms:
        (argument,) = expr.args
        return scale(derivative_at(expr.func, argument), worker.d(argument))


DIFFERENTIAL_RULES: tuple[type[DifferentialRule], ...] = (
    OfScalar, SumRule, ProductRule, ScalarProduct, TransposeRule, InverseRule, TraceRule,
    DeterminantRule, NormRule, EntrywiseRule, DiagRule, HadamardRule, SoftmaxRule,
    RowSoftmaxRule, LogSumExpRule,
    AbstractRule, MatrixPower, PowerRule, ScalarFunction,
)


@dataclass
class Differentiator:
    """d(expr) with respect to ``wrt`` by the table; ``used`` collects the identities cited."""

    wrt: sympy.Basic
    letters: Letters
    used: list[Sentence] = field(default_factory=list)

    def d(self, expr: sympy.Basic) -> Terms:
        if not expr.has(self.wrt):
            return ()
        if expr == self.wrt:
            if shape_of(expr) == (1, 1):  # a number: dF = 1 · tr(1 du)
                return (Outer(sympy.S.One, None, sympy.S.One),)
            return (Linear(sympy.S.One, None, False, None),)
        for rule in DIFFERENTIAL_RULES:
            if rule.match(expr):
                cited = rule.cited(expr, self)
                if cited is not None and cited not in self.used:
                    self.used.append(cited)
                return rule.terms(expr, self)
        raise unsupported("the differential of " + (
            "a Kronecker product of matrices" if isinstance(expr, KroneckerProduct) else
            f"an expression of the kind {type(expr).__name__}"))

    def scalar(self, terms: Terms) -> Terms:
        """A 1×1 differential as a number: tr of itself."""
        return trace(terms)


def differential(expr: sympy.Basic, wrt: sympy.Basic, taken: frozenset[str] = frozenset()
                 ) -> tuple[Terms, tuple[Sentence, ...]]:
    """The terms of d(expr) with respect to wrt, and the identities used to find them (with
    letters that neither the expression nor the names ``taken`` use)."""
    names = {str(getattr(s, "name", s)) for s in expr.free_symbols | wrt.free_symbols} | taken
    worker = Differentiator(wrt, Letters.free_in(names))
    terms = worker.d(expr)
    if shape_of(expr) == (1, 1) and not all_scalar(terms):
        terms = trace(terms)
    return terms, tuple(worker.used)


def differential_of(expr: sympy.Basic) -> sympy.Basic:
    """dX for a matrix, du for a scalar: the differential as an object the printers set."""
    return Diff(expr) if is_matrix(expr) and shape_of(expr) != (1, 1) else DiffScalar(expr)


@dataclass(frozen=True, kw_only=True)
class MatrixDifferential(Rule):
    """Write dF as terms linear in dX, then read off ∂F/∂X (gradient, index form, vec form)"""

    name: ClassVar[str] = "matrix differential"
    terms: Terms  # for chaining; not for renderers
    used: tuple[Sentence, ...]

    @classmethod
    def match(cls, expr: sympy.Basic, wrt: sympy.Basic, context: Context) -> Self | None:
        terms, used = differential(expr, wrt, context.names)
        value, remarks = use_properties(matrix_value(terms, expr, wrt), context.symmetric)
        shape = Shape(shape_of(value)) if is_matrix(value) else Shape((1, 1))
        found = views(terms, expr, wrt, context.indices)
        vec, _ = use_properties(found.vec, context.symmetric)
        index = None if found.index is None else use_properties(found.index,
                                                                  context.symmetric)[0]
        return cls(expr=expr, wrt=wrt, value=value, shape=shape, terms=terms, used=used,
                   views=replace(found, vec=vec, index=index), because=tuple(remarks))

    def explain(self) -> Sentence:
        assert self.views is not None
        rules: list[str | Math] = []
        for index, sentence in enumerate(self.used):
            rules.extend(["; " if index else "", *sentence])
        with_rules: tuple[str | Math, ...] = (" (using ", *rules, ")") if rules else ()
        return ("Write the differential: ", Math(differential_of(self.expr)), " = ",
                Math(self.views.differential), *with_rules,
                ", then read the derivative off the terms in ",
                Math(differential_of(self.wrt)), ".")


__all__ = ["DIFFERENTIAL_RULES", "DifferentialRule", "MatrixDifferential", "differential"]

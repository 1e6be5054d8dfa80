"""The rule table: one frozen Step subclass per derivative rule, its formula as docstring.

Each rule's ``match(expr, wrt, context)`` returns the step (with its value computed once,
here) or None; ``RULES`` is the order they are tried. Values are Jacobians in MML's
numerator layout: ∂(E×1)/∂(D×1) is E×D, a scalar by a vector is 1×D. Sub-derivatives are
computed through ``context.partial`` and kept as ``substeps``, never inlined. A rule with
fields of its own is a dataclass of its own; one without inherits Step's (decorating it again
would only cost start-up time).

Imports sympy, matcalc.model, matcalc.objects, matcalc.errors and engine.algebra.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Self

import sympy
from sympy import (
    Abs,
    Dummy,
    HadamardProduct,
    Identity,
    KroneckerProduct,
    Lambda,
    MatAdd,
    MatMul,
    MatrixSymbol,
    Trace,
    Transpose,
    ZeroMatrix,
)
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix

from matcalc import functions
from matcalc.engine import algebra
from matcalc.engine.jacobians import (
    derivative_at,
    entrywise_derivative,
    entrywise_slope,
    logsumexp_gradient,
    softmax_jacobian,
)
from matcalc.errors import MatcalcError
from matcalc.model import Math, Sentence, Shape, Step
from matcalc.objects import (
    AbstractPartial,
    Applied,
    AppliedVector,
    Delta,
    Entry,
    LogSumExp,
    Norm,
    Scalar,
    Softmax,
    is_matrix,
    shape_of,
)


@dataclass(frozen=True)
class Context:
    """What a rule may ask: the partial of a sub-expression, and the declared facts."""

    partial: Callable[[sympy.Basic, sympy.Basic], Step]
    symmetric: frozenset[sympy.Basic]  # declared symmetric matrices
    indices: frozenset[str] = frozenset()  # the problem's index letters (k in softmax(z)_k)
    names: frozenset[str] = frozenset()  # the problem's names, which cited identities avoid

    def is_symmetric(self, matrix: sympy.Basic) -> tuple[bool, tuple[Sentence, ...]]:
        """Whether a constant matrix is symmetric, and the facts that say so."""
        if isinstance(matrix, Identity):
            return True, ()
        if matrix in self.symmetric:
            return True, (("we used that ", Math(matrix), " is symmetric"),)
        if isinstance(matrix, sympy.Inverse | Transpose):
            return self.is_symmetric(matrix.arg)
        if isinstance(matrix, MatMul):
            matrices = [a for a in matrix.args if is_matrix(a)]
            if len(matrices) == 1:
                return self.is_symmetric(matrices[0])
        return False, ()


def depends(expr: sympy.Basic, wrt: sympy.Basic) -> bool:
    return bool(expr.has(wrt))


def jacobian_shape(expr: sympy.Basic, wrt: sympy.Basic) -> Shape:
    """The shape of ∂expr/∂wrt in numerator layout, for scalars and vectors."""
    rows, cols = shape_of(expr)
    wrt_rows, wrt_cols = shape_of(wrt)
    if cols != 1:
        raise MatcalcError(
            f"no rule yet for a {rows}×{cols} matrix inside this expression (its derivative "
            f"is a tensor, and the matrix differential has no rule for it either)",
            hint="matrices are differentiated through their differentials; this construct "
                 "is not among those yet")
    if wrt_cols != 1:
        raise MatcalcError(
            f"no rule yet for this expression by the {wrt_rows}×{wrt_cols} matrix {wrt}",
            hint="matrices are differentiated through their differentials; this construct "
                 "is not among those yet")
    return Shape((rows, wrt_rows))


def identity_for(wrt: sympy.Basic) -> sympy.Basic:
    rows, _ = shape_of(wrt)
    return sympy.S.One if rows == 1 else Identity(rows)


def column(value: sympy.Basic) -> sympy.Basic:
    """A 1×n row as the n×1 column it transposes (xᵀ → x)."""
    return algebra.transpose(value)


class Rule(Step):
    """A step that knows how to find itself; subclasses fill ``match``."""

    @classmethod
    def match(cls, expr: sympy.Basic, wrt: sympy.Basic, context: Context) -> Self | None:
        raise NotImplementedError

    @classmethod
    def make(cls, expr: sympy.Basic, wrt: sympy.Basic, value: sympy.Basic,
             **fields: object) -> Self:
        shape = jacobian_shape(expr, wrt)
        return cls(expr=expr, wrt=wrt, value=value, shape=shape, **fields)  # type: ignore[arg-type]


# ---- the rules, in the order they are tried ------------------------------------------


class Constant(Rule):
    """∂c/∂x = 0 when c does not depend on x"""

    name: ClassVar[str] = "constant"

    @classmethod
    def match(cls, expr: sympy.Basic, wrt: sympy.Basic, context: Context) -> Self | None:
        if depends(expr, wrt):
            return None
        shape = jacobian_shape(expr, wrt)
        return cls.make(expr, wrt, algebra.zero(*shape.dims))

    def explain(self) -> Sentence:
        return (Math(self.expr), " does not depend on ", Math(self.wrt), ".")


class Variable(Rule):
    """∂x/∂x = I"""

    name: ClassVar[str] = "identity"

    @classmethod
    def match(cls, expr: sympy.Basic, wrt: sympy.Basic, context: Context) -> Self | None:
        if expr != wrt:
            return None
        return cls.make(expr, wrt, identity_for(wrt))

    def explain(self) -> Sentence:
        return ("The derivative of a variable with respect to itself is the identity.",)


class SumRule(Rule):
    """∂(u + v)/∂x = ∂u/∂x + ∂v/∂x"""

    name: ClassVar[str] = "sum rule"

    @classmethod
    def match(cls, expr: sympy.Basic, wrt: sympy.Basic, context: Context) -> Self | None:
        if not isinstance(expr, sympy.Add | MatAdd):
            return None
        substeps = tuple(context.partial(term, wrt) for term in expr.args)
        shape = jacobian_shape(expr, wrt)
        value = algebra.add(*(s.value for s in substeps), rows=shape.rows, cols=shape.cols)
        return cls.make(expr, wrt, value, substeps=substeps)

    @property
    def varying(self) -> list[Step]:
        return [s for s in self.substeps if depends(s.expr, self.wrt)]

    @property
    def title(self) -> str:
        """Ax + b is a linear map plus a constant; the sum rule is for terms that vary."""
        if len(self.varying) == 1:
            inner = self.varying[0]
            return f"{getattr(inner, 'title', inner.name)} plus constant"
        return "sum rule"

    def explain(self) -> Sentence:
        if len(self.varying) == 1:
            constants = [algebra.as_scalar(s.expr) if is_matrix(s.expr) and shape_of(
                s.expr) == (1, 1) else s.expr  # tr(X) + wᵀ(w − w): numbers both
                for s in self.substeps if not depends(s.expr, self.wrt)]
            return ("Only the term ", Math(self.varying[0].expr), " depends on ",
                    Math(self.wrt), "; the constant ",
                    Math(algebra.add(*constants, rows=shape_of(constants[0])[0],
                                     cols=shape_of(constants[0])[1])),
                    " has derivative zero.")
        return ("The derivative of a sum is the sum of the derivatives of its terms.",)


@dataclass(frozen=True, kw_only=True)
class InnerProduct(Rule):
    """∂(uᵀu)/∂x = 2uᵀ ∂u/∂x"""

    name: ClassVar[str] = "inner product"
    vector: sympy.Basic

    @classmethod
    def match(cls, expr: sympy.Basic, wrt: sympy.Basic, context: Context) -> Self | None:
        match expr.args if isinstance(expr, MatMul) else ():
            case (Transpose(arg=left), right) if left == right and depends(left, wrt):
                inner = context.partial(left, wrt)
                value = algebra.mul(2, Transpose(left), inner.value)
                return cls.make(expr, wrt, value, vector=left, substeps=(inner,))
        return None

    def explain(self) -> Sentence:
        return ("The inner product ", Math(self.expr), " differentiates to ",
                Math(algebra.mul(2, Transpose(self.vector))), " times the derivative of ",
                Math(self.vector), ".")


@dataclass(frozen=True, kw_only=True)
class QuadraticForm(Rule):
    """∂(uᵀBu)/∂x = uᵀ(B + Bᵀ) ∂u/∂x, which is 2uᵀB ∂u/∂x when B is symmetric"""

    name: ClassVar[str] = "quadratic form"
    vector: sympy.Basic
    middle: sympy.Basic
    symmetric: bool

    @classmethod
    def match(cls, expr: sympy.Basic, wrt: sympy.Basic, context: Context) -> Self | None:
        match expr.args if isinstance(expr, MatMul) else ():
            case (Transpose(arg=left), *middle, right) if (
                    left == right and middle and depends(left, wrt)
                    and all(is_matrix(m) and not depends(m, wrt) for m in middle)):
                B = middle[0] if len(middle) == 1 else MatMul(*middle)
                symmetric, because = context.is_symmetric(B)
                inner = context.partial(left, wrt)
                if symmetric:
                    value = algebra.mul(2, Transpose(left), B, inner.value)
                else:
                    both = MatAdd(B, algebra.transpose(B))
                    value = algebra.mul(Transpose(left), both, inner.value)
                return cls.make(expr, wrt, value, vector=left, middle=B, symmetric=symmetric,
                                because=because, substeps=(inner,))
        return None

    def explain(self) -> Sentence:
        u, B = self.vector, self.middle
        if self.symmetric:
            return ("A quadratic form ", Math(self.expr), " with a symmetric middle matrix ",
                    Math(B), " differentiates to ", Math(algebra.mul(2, Transpose(u), B)),
                    " times the derivative of ", Math(u), ".")
        return ("A quadratic form ", Math(self.expr), " differentiates to ",
                Math(MatMul(Transpose(u), MatAdd(B, algebra.transpose(B)))),
                " times the derivative of ", Math(u), ".")


@dataclass(frozen=True, kw_only=True)
class ProductRule(Rule):
    """∂(P u Q)/∂x: each factor that depends on x in turn, the others held fixed.

    A column factor u: P (∂u/∂x) Q, where Q is 1×1; a row factor uᵀ: P Qᵀ ∂u/∂x (because
    uᵀQ = Qᵀu is a number); a scalar factor s: (the rest) ∂s/∂x.
    """

    name: ClassVar[str] = "product rule"
    single: bool  # only one factor depends on x: a linear map, written as one term

    @classmethod
    def match(cls, expr: sympy.Basic, wrt: sympy.Basic, context: Context) -> Self | None:
        if not isinstance(expr, MatMul | sympy.Mul):
            return None
        args = list(expr.args)
        terms: list[sympy.Basic] = []
        substeps: list[Step] = []
        for index, factor in enumerate(args):
            if not depends(factor, wrt):
                continue
            before, after = args[:index], args[index + 1:]
            scalars = [a for a in before + after if not is_matrix(a)]
            left = [a for a in before if is_matrix(a)]
            right = [a for a in after if is_matrix(a)]
            rows, cols = shape_of(factor)
            if not is_matrix(factor):  # a number s: (the rest, a column) times ∂s/∂x
                inner = context.partial(factor, wrt)
                rest = algebra.as_scalar(algebra.mul(*left, *right)) if left or right else 1
                terms.append(algebra.mul(*scalars, rest, inner.value))
            elif cols == 1:
                inner = context.partial(factor, wrt)
                rest = algebra.mul(*right) if right else sympy.S.One
                terms.append(algebra.mul(*scalars, *left, inner.value, algebra.as_scalar(rest)))
            elif rows == 1:
                inner = context.partial(column(factor), wrt)
                terms.append(algebra.mul(*scalars, *left,
                                         column(algebra.mul(*right)), inner.value))
            elif isinstance(factor, DiagMatrix) and right and shape_of(
                    algebra.mul(*right))[1] == 1:
                # diag(u) Q = diag(Q) u for a column Q: the entries meet one to one
                inner = context.partial(factor.args[0], wrt)
                terms.append(algebra.mul(*scalars, *left, DiagMatrix(algebra.mul(*right)),
                                         inner.value))
            else:
                raise MatcalcError(
                    f"no rule yet for a product with a {Shape(shape_of(factor))} matrix "
                    f"factor that depends on {wrt}",
                    hint="matrices are differentiated through their differentials; this "
                         "construct is not among those yet")
            substeps.append(inner)
        shape = jacobian_shape(expr, wrt)
        value = algebra.add(*terms, rows=shape.rows, cols=shape.cols)
        return cls.make(expr, wrt, value, single=len(substeps) == 1,
                        substeps=tuple(substeps))

    @property
    def title(self) -> str:
        if not self.single:
            return "product rule"
        return "constant multiple" if self.scaled_only else "linear map"

    @property
    def scaled_only(self) -> bool:
        """Only scalars multiply the factor that depends on x (−½z, 3 log s, −u²/(2σ²))."""
        return all(not is_matrix(a) for a in self.expr.args if not depends(a, self.wrt))

    def explain(self) -> Sentence:
        if self.single and self.scaled_only:
            return ("A constant factor stays in front of the derivative of the rest.",)
        if self.single:
            return ("Only one factor of ", Math(self.expr), " depends on ", Math(self.wrt),
                    "; the others are constant and stay as they are.")
        return ("Product rule: differentiate each factor that depends on ", Math(self.wrt),
                " in turn, holding the others fixed, and add the terms.")


class Hadamard(Rule):
    """∂(u ⊙ v)/∂x = diag(v) ∂u/∂x + diag(u) ∂v/∂x"""

    name: ClassVar[str] = "elementwise product"

    @classmethod
    def match(cls, expr: sympy.Basic, wrt: sympy.Basic, context: Context) -> Self | None:
        if not isinstance(expr, HadamardProduct) or len(expr.args) != 2:
            return None
        u, v = expr.args
        du, dv = context.partial(u, wrt), context.partial(v, wrt)
        shape = jacobian_shape(expr, wrt)
        value = algebra.add(algebra.mul(DiagMatrix(v), du.value),
                            algebra.mul(DiagMatrix(u), dv.value), rows=shape.rows,
                            cols=shape.cols)
        return cls.make(expr, wrt, value, substeps=(du, dv))

    def explain(self) -> Sentence:
        return ("Each entry of ", Math(self.expr), " is a product of two numbers, so the "
                "product rule holds entry by entry.",)


@dataclass(frozen=True, kw_only=True)
class ElementwiseFunction(Rule):
    """∂f(u)/∂x = diag(f'(u)) ∂u/∂x for a scalar function f applied entry by entry"""

    name: ClassVar[str] = "elementwise function"
    function: Lambda
    derivative: Lambda
    argument: sympy.Basic

    @classmethod
    def match(cls, expr: sympy.Basic, wrt: sympy.Basic, context: Context) -> Self | None:
        if not isinstance(expr, ElementwiseApplyFunction):
            return None
        function, argument = expr.function, expr.expr
        inner = context.partial(argument, wrt)
        rows = shape_of(argument)[0]
        slope = entrywise_slope(function, argument)
        if is_matrix(slope):
            jacobian = DiagMatrix(slope)
        else:  # a constant derivative c: the Jacobian is c I (t ↦ t + 1 gives I)
            jacobian = (ZeroMatrix(rows, rows) if slope == 0 else
                        algebra.mul(slope, Identity(rows)))
        value = algebra.mul(jacobian, inner.value)
        return cls.make(expr, wrt, value, function=function,
                        derivative=entrywise_derivative(function),
                        argument=argument, substeps=(inner,))

    def explain(self) -> Sentence:
        return ("The function ", Math(self.function), " acts entry by entry, so each entry "
                "of the result depends only on the same entry of ", Math(self.argument),
                ": the Jacobian is diagonal, with the derivative ", Math(self.derivative),
                " on its diagonal.")


@dataclass(frozen=True, kw_only=True)
class SquaredNorm(Rule):
    """∂‖u‖²/∂x = 2uᵀ ∂u/∂x"""

    name: ClassVar[str] = "squared norm"
    vector: sympy.Basic

    @classmethod
    def match(cls, expr: sympy.Basic, wrt: sympy.Basic, context: Context) -> Self | None:
        match expr:
            case sympy.Pow(base=Norm(arg=vector), exp=exponent) if (
                    exponent == 2 and shape_of(vector)[1] == 1):
                inner = context.partial(vector, wrt)
                value = algebra.mul(2, Transpose(vector), inner.value)
                return cls.make(expr, wrt, value, vector=vector, substeps=(inner,))
        return None

    def explain(self) -> Sentence:
        return ("Since ", Math(self.expr), " = ",
                Math(MatMul(Transpose(self.vector), self.vector)),
                ", it differentiates like an inner product: ",
                Math(algebra.mul(2, Transpose(self.vector))),
                " times the derivative of ", Math(self.vector), ".")


@dataclass(frozen=True, kw_only=True)
class NormRule(Rule):
    """∂‖u‖/∂x = uᵀ/‖u‖ ∂u/∂x"""

    name: ClassVar[str] = "norm"
    vector: sympy.Basic

    @classmethod
    def match(cls, expr: sympy.Basic, wrt: sympy.Basic, context: Context) -> Self | None:
        if not isinstance(expr, Norm) or shape_of(expr.arg)[1] != 1:
            return None
        inner = context.partial(expr.arg, wrt)
        value = algebra.mul(1 / expr, Transpose(expr.arg), inner.value)
        return cls.make(expr, wrt, value, vector=expr.arg, substeps=(inner,))

    def explain(self) -> Sentence:
        return ("Since ", Math(self.expr), " = ",
                Math(sympy.sqrt(Scalar(MatMul(Transpose(self.vector), self.vector)))),
                ", the chain rule gives ",
                Math(algebra.mul(1 / self.expr, Transpose(self.vector))),
                " times the derivative of ", Math(self.vector), ".")


class PowerRule(Rule):
    """∂(sᵏ)/∂x = k sᵏ⁻¹ ∂s/∂x for a constant k"""

    name: ClassVar[str] = "power rule"

    @classmethod
    def match(cls, expr: sympy.Basic, wrt: sympy.Basic, context: Context) -> Self | None:
        if not isinstance(expr, sympy.Pow) or depends(expr.exp, wrt):
            return None
        base, exponent = expr.args
        inner = context.partial(base, wrt)
        value = algebra.mul(exponent * base ** (exponent - 1), inner.value)
        return cls.make(expr, wrt, value, substeps=(inner,))

    def explain(self) -> Sentence:
        base, exponent = self.expr.args
        return ("Power rule: ", Math(self.expr), " differentiates to ",
                Math(exponent * base ** (exponent - 1)), " times the derivative of ",
                Math(base), ".")


def free_letter(*exprs: sympy.Basic,
                names: tuple[str, ...] = ("xi", "zeta", "tau", "eta", "omega")) -> str:
    """A letter for an identity stated in a sentence, free in what the sentence is about:
    by default ξ, as textbooks write f(ξ), a letter problems seldom use for a variable (t, s,
    u are common ones: "at u = u + 1" was seen)."""
    taken = {str(s) for expr in exprs for s in getattr(expr, "free_symbols", ())}
    return next(letter for letter in (*names, "xi", "zeta", "tau", "eta", "omega")
                if letter not in taken)


@dataclass(frozen=True, kw_only=True)
class ScalarChain(Rule):
    """∂f(s)/∂x = f'(s) ∂s/∂x for a scalar function f of a scalar s"""

    name: ClassVar[str] = "chain rule"
    outer: sympy.Expr  # f'(s)

    @classmethod
    def match(cls, expr: sympy.Basic, wrt: sympy.Basic, context: Context) -> Self | None:
        if not isinstance(expr, sympy.Function | Abs) or len(expr.args) != 1:
            return None
        (argument,) = expr.args
        if is_matrix(argument):
            return None
        outer = derivative_at(expr.func, argument)
        inner = context.partial(argument, wrt)
        value = algebra.mul(outer, inner.value)
        return cls.make(expr, wrt, value, outer=outer, substeps=(inner,))

    @property
    def title(self) -> str:
        """log(s) by s is a known derivative; the chain rule is for a composite argument."""
        if self.expr.args[0] == self.wrt:
            record = functions.of_expression(self.expr)
            return f"derivative of {record.name if record else type(self.expr).__name__}"
        return "chain rule"

    def explain(self) -> Sentence:
        (argument,) = self.expr.args
        u = Dummy(free_letter(self.expr, self.outer))  # not a name of this step: u = u + 1
        return ("The outer function ", Math(self.expr.func(u)),
                " has derivative ", Math(derivative_at(self.expr.func, u)),
                "; at ", Math(u), " = ", Math(argument), " it is ", Math(self.outer),
                ", which multiplies the derivative of ", Math(argument), ".")


@dataclass(frozen=True, kw_only=True)
class TraceRule(Rule):
    """tr is linear and cyclic: tr(A + B) = tr A + tr B, tr(u vᵀ) = vᵀu, tr(c I_n) = c n"""

    name: ClassVar[str] = "trace"
    rewritten: sympy.Basic

    @classmethod
    def match(cls, expr: sympy.Basic, wrt: sympy.Basic, context: Context) -> Self | None:
        if not isinstance(expr, Trace):
            return None
        rewritten = trace_as_scalar(expr.arg)
        if isinstance(rewritten, Trace) and depends(rewritten, wrt):
            raise MatcalcError(
                f"no rule yet for the trace of {expr.arg}, which depends on {wrt}",
                hint="traces of outer products and sums of them are supported")
        inner = context.partial(rewritten, wrt)
        return cls.make(expr, wrt, inner.value, rewritten=rewritten, substeps=(inner,))

    def explain(self) -> Sentence:
        return ("By linearity and the cyclic property of the trace, ", Math(self.expr),
                " = ", Math(self.rewritten), ".")


def trace_as_scalar(matrix: sympy.Basic) -> sympy.Basic:
    """tr M written without the trace where the cyclic property allows it."""
    if isinstance(matrix, MatAdd):
        return sympy.Add(*(trace_as_scalar(term) for term in matrix.args))
    if isinstance(matrix, Identity):
        return matrix.shape[0]
    if isinstance(matrix, Transpose):
        return trace_as_scalar(matrix.arg)
    if isinstance(matrix, MatMul):
        scalars = [a for a in matrix.args if not is_matrix(a)]
        matrices = [a for a in matrix.args if is_matrix(a)]
        if len(matrices) == 1:
            return sympy.Mul(*scalars, trace_as_scalar(matrices[0]))
        for start, factor in enumerate(matrices):  # rotate so that a row comes first
            if shape_of(factor)[0] == 1:
                rotated = matrices[start:] + matrices[:start]
                return sympy.Mul(*scalars, Scalar(MatMul(*rotated)))
    return Trace(matrix)


class Kronecker(Rule):
    """∂(u ⊗ v)/∂x = (I ⊗ v) ∂u/∂x + (u ⊗ I) ∂v/∂x for column vectors u, v"""

    name: ClassVar[str] = "Kronecker product"

    @classmethod
    def match(cls, expr: sympy.Basic, wrt: sympy.Basic, context: Context) -> Self | None:
        if not isinstance(expr, KroneckerProduct) or len(expr.args) != 2:
            return None
        u, v = expr.args
        if shape_of(u)[1] != 1 or shape_of(v)[1] != 1:
            return None
        du, dv = context.partial(u, wrt), context.partial(v, wrt)
        shape = jacobian_shape(expr, wrt)
        value = algebra.add(
            algebra.mul(KroneckerProduct(Identity(shape_of(u)[0]), v), du.value),
            algebra.mul(KroneckerProduct(u, Identity(shape_of(v)[0])), dv.value),
            rows=shape.rows, cols=shape.cols)
        return cls.make(expr, wrt, value, substeps=(du, dv))

    def explain(self) -> Sentence:
        u, v = self.expr.args
        return ("u ⊗ v stacks the products u_i v, so it is linear in each factor: ",
                Math(KroneckerProduct(Identity(shape_of(u)[0]), v)), " multiplies the "
                "derivative of ", Math(u), " and ", Math(KroneckerProduct(u, Identity(
                    shape_of(v)[0]))), " that of ", Math(v), ".")


class Quotient(Rule):
    """∂(f/g)/∂x = (g ∂f/∂x − f ∂g/∂x)/g² for scalars f and g"""

    name: ClassVar[str] = "quotient rule"

    @classmethod
    def match(cls, expr: sympy.Basic, wrt: sympy.Basic, context: Context) -> Self | None:
        if not isinstance(expr, sympy.Mul) or isinstance(expr, MatMul):
            return None
        denominators = [a for a in expr.args if isinstance(a, sympy.Pow)
                        and a.exp == -1 and depends(a.base, wrt)]
        if len(denominators) != 1:
            return None
        g = denominators[0].base
        f = sympy.Mul(*(a for a in expr.args if a is not denominators[0]))
        if not depends(f, wrt):
            return None
        df, dg = context.partial(f, wrt), context.partial(g, wrt)
        shape = jacobian_shape(expr, wrt)
        numerator = algebra.add(algebra.mul(g, df.value), algebra.mul(-f, dg.value),
                                rows=shape.rows, cols=shape.cols)
        return cls.make(expr, wrt, algebra.mul(g ** -2, numerator), substeps=(df, dg))

    def explain(self) -> Sentence:
        return ("Quotient rule: for ", Math(self.expr), ", the denominator times the "
                "derivative of the numerator, minus the numerator times the derivative of the "
                "denominator, all over the square of the denominator.")


class SoftmaxRule(Rule):
    """∂softmax(u)/∂x = (diag(s) − s sᵀ) ∂u/∂x with s = softmax(u)"""

    name: ClassVar[str] = "softmax"

    @classmethod
    def match(cls, expr: sympy.Basic, wrt: sympy.Basic, context: Context) -> Self | None:
        if not isinstance(expr, Softmax):
            return None
        inner = context.partial(expr.arg, wrt)
        return cls.make(expr, wrt, algebra.mul(softmax_jacobian(expr), inner.value),
                        substeps=(inner,))

    def explain(self) -> Sentence:
        s, argument = self.expr, self.expr.arg
        rows = shape_of(argument)[0]
        name = MatrixSymbol(free_letter(argument, names=("s", "p", "q", "r")), rows, 1)
        i, j = (sympy.Symbol(letter, integer=True) for letter in ("i", "j"))
        entry_i, entry_j = Entry(name, i, sympy.S.Zero), Entry(name, j, sympy.S.Zero)
        return ("With ", Math(name), " = ", Math(s), ", ∂", Math(entry_i), "/∂",
                Math(Entry(argument, j, sympy.S.Zero)), " = ",
                Math(sympy.Mul(entry_i, Delta(i, j) - entry_j, evaluate=False)),
                ", so the Jacobian of softmax is ", Math(softmax_jacobian(s)),
                ", times the derivative of ", Math(argument), ".")


class LogSumExpRule(Rule):
    """∂lse(u)/∂x = softmax(u)ᵀ ∂u/∂x"""

    name: ClassVar[str] = "log-sum-exp"

    @classmethod
    def match(cls, expr: sympy.Basic, wrt: sympy.Basic, context: Context) -> Self | None:
        if not isinstance(expr, LogSumExp):
            return None
        inner = context.partial(expr.arg, wrt)
        value = algebra.mul(logsumexp_gradient(expr.arg), inner.value)
        return cls.make(expr, wrt, value, substeps=(inner,))

    def explain(self) -> Sentence:
        return ("The gradient of log-sum-exp is softmax: the derivative of ", Math(self.expr),
                " by ", Math(self.expr.arg), " is ", Math(logsumexp_gradient(self.expr.arg)),
                ", which multiplies the derivative of ", Math(self.expr.arg), ".")


class AbstractFunction(Rule):
    """∂p(u, v)/∂x = ∂p/∂u ∂u/∂x + ∂p/∂v ∂v/∂x for an abstract differentiable p"""

    name: ClassVar[str] = "abstract function"

    @classmethod
    def match(cls, expr: sympy.Basic, wrt: sympy.Basic, context: Context) -> Self | None:
        if not isinstance(expr, Applied | AppliedVector):
            return None
        terms, substeps = [], []
        for index, argument in enumerate(expr.arguments):
            if not depends(argument, wrt):
                continue
            inner = context.partial(argument, wrt)
            terms.append(algebra.mul(algebra.as_scalar(abstract_partial(expr, index)),
                                     inner.value))
            substeps.append(inner)
        shape = jacobian_shape(expr, wrt)
        value = algebra.add(*terms, rows=shape.rows, cols=shape.cols)
        return cls.make(expr, wrt, value, substeps=tuple(substeps))

    def explain(self) -> Sentence:
        return (Math(sympy.Symbol(self.expr.name)), " is an abstract differentiable function: "
                "its partial derivatives stay symbolic, and by the chain rule each argument "
                "that depends on ", Math(self.wrt), " contributes its partial times the "
                "argument's derivative.")


def abstract_partial(applied: Applied | AppliedVector, index: int) -> AbstractPartial:
    """∂p/∂(argument), named after the argument when the problem names it."""
    argument = applied.arguments[index]
    parameter = argument if isinstance(argument, sympy.Symbol | MatrixSymbol) else \
        sympy.Symbol(f"u{index + 1}")
    partial: AbstractPartial = AbstractPartial(applied, index, sympy.Symbol(str(parameter)))
    return partial


RULES: tuple[type[Rule], ...] = (
    Constant, Variable, SumRule, InnerProduct, QuadraticForm, SquaredNorm, NormRule,
    Quotient, PowerRule, ElementwiseFunction, Hadamard, Kronecker, TraceRule, SoftmaxRule,
    LogSumExpRule,
    AbstractFunction, ScalarChain, ProductRule,
)


__all__ = ["RULES", "Context", "Rule", "abstract_partial"]

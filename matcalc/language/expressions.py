"""Expressions: a node of the parse tree → a sympy expression, with its shape checked.

Juxtaposition, functions and their arguments, powers, norms, entries, calls of defined and
abstract functions. Built with sympy's unevaluated constructors (``MatMul``, ``MatAdd``,
``Transpose``, ``Inverse``) so that the user's form is kept until a recorded step changes it;
user text is never handed to ``eval``, ``sympify`` or ``parse_expr``: numbers go through
``fractions.Fraction``, names through the scope and the tables in ``spelling.py``.
Imports sympy, matcalc.model, matcalc.objects, matcalc.functions, matcalc.errors and the
language's scope, nodes, arithmetic and transformer records.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

import sympy
from sympy import (
    Abs,
    Determinant,
    Identity,
    Inverse,
    KroneckerProduct,
    Lambda,
    MatMul,
    MatPow,
    OneMatrix,
    Trace,
    Transpose,
)
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix

from matcalc.errors import MatcalcError, Span
from matcalc.functions import ENTRYWISE_BY_NAME
from matcalc.language.arithmetic import (
    Arithmetic,
    BareOne,
    UnsizedIdentity,
    UnsizedVector,
    Value,
    entrywise,
    is_constant,
    negate,
)
from matcalc.language.nodes import (
    bare_number,
    bracketed,
    exponent_mark,
    is_ones,
    unwrapped,
)
from matcalc.language.scope import Scope
from matcalc.language.spelling import (
    ELEMENTWISE,
    FUNCTIONS,
    REDUCTION_HINT,
    REDUCTIONS,
    SYLVESTER,
    UNSUPPORTED,
    WRITTEN_OTHERWISE,
    reduction_error_text,
    reduction_hint,
    reduction_over_index,
)
from matcalc.language.sums import WRITE_INSTEAD, Summed, index_outside, sums_in
from matcalc.language.transformer import (
    AbsOf,
    BinOp,
    Call,
    Command,
    DotPower,
    Font,
    Frac,
    Group,
    InnerOf,
    Juxt,
    Name,
    Neg,
    Node,
    NormOf,
    Number,
    Ones,
    Postfix,
    Power,
    Subscript,
    SumOver,
)
from matcalc.model import Shape
from matcalc.objects import (
    ENTRY,
    Applied,
    LogSumExp,
    Norm,
    Scalar,
    Softmax,
    UnitVector,
    as_dimension,
    index_symbol,
    is_matrix,
    shape_of,
)

MAX_DIGITS = 1_000  # digits of a number written or computed (README, Limits)
MAX_MATRIX_POWER = 64  # k in Aᵏ (README, Limits)


@dataclass
class ExpressionBuilder:
    """Builds the expressions of one problem, reading names through its scope; remembers
    the order in which each sum and product was written, for printing."""

    scope: Scope
    written_orders: dict[sympy.Basic, tuple[sympy.Basic, ...]] = field(default_factory=dict)
    arith: Arithmetic = field(init=False)

    def __post_init__(self) -> None:
        self.arith = Arithmetic(self.scope.text)

    def read(self, node: Node) -> sympy.Basic:
        """The expression a node is, finished (a bare I or 𝟏 sized, or refused)."""
        for summed in sums_in(node):  # y_n + Σ_n …: which y_n is meant?
            outside = index_outside(node, summed.index)
            if outside is not None:
                raise MatcalcError(
                    f"{self.scope.text(outside.span)} uses the index {summed.index} of the "
                    f"sum {self.scope.text(summed.span)}, but stands outside it (a sum takes "
                    "the product right after it)", outside.span,
                    hint=f"put the whole summand in brackets: "
                         f"{self.scope.text(summed.span)} (…)")
        return self.arith.finish(self.expr(node), node.span)

    def sum_over(self, items: Sequence[Node], index: int) -> tuple[Value, Span, int]:
        """Σ_n g(wᵀx_n, y_n) …: the sum of the product after it, read as 𝟏ᵀ of the vector
        of its terms (matcalc.language.sums)."""
        head = items[index]
        assert isinstance(head, SumOver)
        body_items = items[index + 1:]
        if not body_items:
            raise MatcalcError(f"{self.scope.text(head.span)} needs a summand", head.span,
                               hint=f"write {self.scope.text(head.span)} (y_n - w^T x_n)^2")
        span = head.span | body_items[-1].span
        body = body_items[0] if len(body_items) == 1 else Juxt(
            body_items[0].span | body_items[-1].span, tuple(body_items))
        summed = Summed(head, self.scope)

        def size_of(node: Node) -> sympy.Expr:
            """The entries of a column (1 for a number); anything else is refused."""
            value = self.read(node)
            if not is_matrix(value):
                return sympy.S.One
            rows, cols = shape_of(value)
            if cols != 1:
                raise MatcalcError(f"{self.scope.text(node.span)} is not a number or a "
                                   "column, which a term of a sum over data needs", node.span)
            return as_dimension(rows)

        vector, varies = summed.vector(body, size_of)
        if summed.varies(vector):  # every y_n and x_n is replaced, or the sum is refused
            raise MatcalcError(f"this sum over {head.index} is not read", body.span,
                               hint=WRITE_INSTEAD)
        count = summed.terms()
        if not varies:  # a term that does not change with n: N times it
            return self.arith.multiply(count, self.expr(body), head.span,
                                       body.span), span, len(items)
        return self.apply("sum", self.read(vector), body.span), span, len(items)

    def expr(self, node: Node) -> Value:
        """The value of a node; an undefined constant (log 0, 1/0) is an error at the node
        where it appears, never a zoo that would make the whole expression a constant."""
        value = self.value_of(node)
        if value is sympy.S.ComplexInfinity or value is sympy.S.NaN or (
                isinstance(value, sympy.Basic) and value.is_number and value.is_infinite):
            raise MatcalcError(f"{self.scope.text(node.span)} is undefined (it is "
                               f"{'infinite' if value is not sympy.S.NaN else 'not a number'})",
                               node.span, hint="a logarithm of 0 or a division by 0 has no value")
        return value

    def value_of(self, node: Node) -> Value:
        label = self.scope.label(node)
        if label is not None:
            if label in self.scope.known_names():
                return self.resolve_name(Name(node.span, label))
            assert isinstance(node, Power)
            raise MatcalcError(
                f"{label} is read as a name with a label, not as a power, and it is not "
                "declared", node.span,
                hint=f"declare it (e.g. '{label} in R^D'), or write {label.replace('(', '')[:-1]}"
                     " for a power")
        if isinstance(node, Power | Postfix | Subscript) and isinstance(node.base, Name) \
                and node.base.text not in self.scope.known_names():
            parts = self.scope.split_name(node.base.text)
            if parts is not None and len(parts) > 1:  # Ax^T is A xᵀ, XXᵀ is X Xᵀ
                *first, last = self.scope.split_nodes(node.base, parts)
                return self.expr(Juxt(node.span, (*first, replace(node, base=last))))
        if isinstance(node, Power | Postfix | Subscript) and isinstance(node.base, Call) \
                and len(node.base.args) == 1 and self.is_product(node.base):
            call = node.base  # x (y)ᵀ is x yᵀ: the mark belongs to the bracket
            group = Group(call.args[0].span, call.args[0])
            return self.expr(Juxt(node.span, (call.name, replace(node, base=group))))
        match node:
            case Name():
                return self.resolve_name(node)
            case Number(text=text):
                if sum(c.isdigit() for c in text) > MAX_DIGITS:
                    raise MatcalcError(f"a number of at most {MAX_DIGITS} digits, not "
                                       f"{sum(c.isdigit() for c in text):,}", node.span)
                fraction = Fraction(text)
                return sympy.Rational(fraction.numerator, fraction.denominator)
            case BinOp(op="+" | "-"):
                return self.sum(node)
            case BinOp(op="*", left=left, right=right):
                return self.arith.multiply(self.expr(left), self.expr(right), left.span, right.span)
            case BinOp(op="·", left=left, right=right):  # w · x of two vectors is wᵀx
                a, b = self.expr(left), self.expr(right)
                if is_matrix(a) and is_matrix(b) and shape_of(a) == shape_of(b) \
                        and shape_of(a)[1] == 1:
                    a = Transpose(a)
                return self.arith.multiply(a, b, left.span, right.span)
            case Power(base=Name(text="e"), exponent=exponent) if (
                    "e" not in self.scope.known_names()):
                return self.apply("exp", self.expr(exponent), exponent.span)  # e^{x}
            case BinOp(op="/", left=Juxt(items=(*first, Number(text="1") as one)), right=right):
                half = BinOp(one.span | right.span, "/", one, right)  # X 1/2 is X ½
                return self.expr(Juxt(node.span, (*first, half)))
            case BinOp(op="/", left=left, right=right):
                return self.arith.divide(self.expr(left), self.expr(right), right.span)
            case BinOp(op="⊙", left=left, right=right):
                return self.arith.hadamard(self.expr(left), self.expr(right), left.span, right.span)
            case BinOp(op="⊗", left=left, right=right):
                a, b = self.expr(left), self.expr(right)
                if not (is_matrix(a) and is_matrix(b)):
                    return self.arith.multiply(a, b, left.span, right.span)
                return KroneckerProduct(a, b)
            case Neg(arg=arg):
                return negate(self.expr(arg))
            case Juxt(items=items):
                return self.juxtaposition(list(items))
            case Call():
                return self.call(node)
            case Postfix(base=base, mark="transpose") if bare_number(base) is not None:
                return self.number_transposed(bare_number(base) or "", node.span)
            case Power(base=base, exponent=exponent) if (
                    bare_number(base) is not None and exponent_mark(exponent) == "transpose"):
                return self.number_transposed(bare_number(base) or "", node.span)
            case Power(base=base, exponent=exponent):
                return self.power(self.expr(base), exponent, base.span)
            case Subscript(base=base, index=index) if is_ones(base):  # 1_D, 𝟏_D, \mathbf{1}_D
                return self.ones(index, node.span)
            case Ones():
                return UnsizedVector()
            case Font(inner=Number(text="1")) if is_ones(node):
                return UnsizedVector()
            case Subscript(base=Name(text="e") | Font(inner=Name(text="e")), index=index) if (
                    "e" not in self.scope.known_names()):  # e_{k}, \mathbf{e}_k
                return self.resolve_name(Name(node.span, f"e_{index}"))
            case Subscript(base=Name(text="I"), index=index) if "I" not in self.scope.declared:
                return self.resolve_name(Name(node.span, f"I_{index}"))  # I_{D}
            case Subscript() | Font() if (spelled := self.scope.spelled(node)) is not None:
                return self.resolve_name(Name(node.span, spelled))  # W_1, \\hat{y}
            case Subscript(base=base, index=index):
                return self.entry(self.expr(base), index, node.span)
            case Postfix(base=base, mark=mark):
                return self.arith.postfix(self.expr(base), mark, node.span)
            case Group(inner=inner):
                return self.expr(inner)
            case Frac(numerator=top, denominator=bottom):
                return self.arith.divide(self.expr(top), self.expr(bottom), bottom.span)
            case Font(inner=inner):
                return self.expr(inner)
            case NormOf(arg=arg, subscript=subscript):
                return self.norm(self.read(arg), subscript,
                                 node.span)
            case InnerOf(left=left, right=right):
                return self.inner(left, right, node.span)
            case DotPower(base=base, exponent=exponent):
                value = self.read(base)
                power = self.expr(exponent)
                if is_matrix(power) or not is_constant(power):
                    raise MatcalcError("the power of each entry must be a number",
                                       exponent.span)
                return entrywise(lambda t: t ** power, value)
            case AbsOf(arg=arg):
                value = self.read(arg)
                rows, cols = shape_of(value)
                if is_matrix(value) and rows == cols:  # |A| is det A, as MML writes it
                    return Determinant(value)
                if is_matrix(value) and 1 in (rows, cols):
                    raise MatcalcError(
                        f"|{self.scope.text(arg.span)}| of a vector could be its norm or its "
                        "entries' absolute values", node.span,
                        hint="write ||x|| for the norm or abs(x) for the absolute values")
                return self.apply("abs", value, node.span)
            case Command(text="sum" | "prod"):
                raise MatcalcError(reduction_error_text(node.text, f"\\{node.text}_…"), node.span,
                                   hint=REDUCTION_HINT)
            case SumOver() if (name := self.declared_sum_name(node)) is not None:
                return self.resolve_name(name)
            case SumOver():
                return self.sum_over([node], 0)[0]  # no summand: refused there
            case Command(text=text):
                if text in FUNCTIONS:
                    raise MatcalcError(f"\\{text} needs an argument", node.span)
                raise MatcalcError(f"unknown command \\{text}", node.span,
                                   hint="see the problem language for the LaTeX matcalc reads")
        raise MatcalcError("this expression is not supported", node.span)

    def resolve_name(self, node: Name) -> Value:
        if self.scope.bound and node.text in self.scope.bound[-1]:
            return self.scope.bound[-1][node.text]
        name = self.scope.aliases.get(node.text, node.text)
        if name in self.scope.declared and name not in self.scope.defined:
            return self.scope.declared[name].symbol
        if name in self.scope.symbols:
            return self.scope.symbols[name]
        if name == "I":
            return UnsizedIdentity()
        if name in FUNCTIONS:
            raise MatcalcError(f"{name} needs an argument", node.span,
                               hint=f"write {name}(...)")
        if name in self.scope.dims:  # 1/N ||y - Xw||^2: a size used as a number
            return self.scope.dims[name]
        if name == "pi":
            return sympy.pi
        if name in self.scope.differentiable:
            raise MatcalcError(f"{name} is a function and needs its arguments", node.span)
        base, underscore, index = node.text.partition("_")
        if base == "I" and underscore and (index.isdigit() or index in self.scope.dims):  # I_D
            size = sympy.Integer(int(index)) if index.isdigit() else self.scope.dims[index]
            if size.is_Integer and size < 1:
                raise MatcalcError("an identity has a positive size", node.span)
            return Identity(size)
        if base == "e" and underscore and "e" not in self.scope.known_names() and index.isalnum():
            position = sympy.Integer(int(index)) if index.isdigit() else index_symbol(index)
            return UnsizedVector(unit=position)  # e_k, the k-th unit vector
        if (spelled := self.scope.spelled(node)) is not None:  # W_1 is the name W1 (as printed)
            return self.resolve_name(Name(node.span, spelled))
        if underscore and index.isalnum() and (
                base in self.scope.declared or base in self.scope.symbols):
            return self.entry(self.resolve_name(Name(node.span, base)), index, node.span)
        parts = self.scope.split_name(node.text)
        if parts is not None and len(parts) > 1:
            return self.expr(Juxt(node.span, self.scope.split_nodes(node, parts)))
        self.refuse_reduction(node)
        raise MatcalcError(
            f"unknown name {node.text!r}" if len(node.text) == 1 else
            f"unknown name {node.text!r}: it is not declared and cannot be split into "
            "declared names", node.span,
            hint=f"declare it, e.g. '{node.text} in R^D', or put spaces between names")

    def number_transposed(self, text: str, span: Span) -> Value:
        """1ᵀ is the row of ones (as 𝟏ᵀ; a number would not be transposed), any other number
        transposed is an error: reading 2ᵀx as 2x would derive another problem."""
        if text == "1":
            return UnsizedVector(transposed=True)
        raise MatcalcError(f"the number {text} has no transpose", span,
                           hint="1^T is the row of ones; a scalar needs no transpose")

    def inner(self, left: Node, right: Node, span: Span) -> Value:
        """⟨a, b⟩ = aᵀb for two vectors (tr(AᵀB) for two matrices) of the same shape."""
        a = self.read(left)
        b = self.read(right)
        if shape_of(a) != shape_of(b):
            raise MatcalcError(
                "an inner product needs two things of one shape, but "
                f"{self.scope.text(left.span)} is {Shape(shape_of(a))} and "
                f"{self.scope.text(right.span)} is {Shape(shape_of(b))}",
                span)
        if not is_matrix(a):
            return a * b  # two scalars
        if shape_of(a)[1] == 1:
            return Scalar(Transpose(a) * b)
        return Trace(Transpose(a) * b)

    def ones(self, index: str, span: Span) -> sympy.Basic:
        if index.isdigit() and int(index) >= 1:
            return OneMatrix(sympy.Integer(int(index)), 1)
        if index in self.scope.dims:
            return OneMatrix(self.scope.dims[index], 1)
        raise MatcalcError(f"the size of the ones vector must be a dimension or a number, "
                           f"not {index}", span)

    def norm(self, value: sympy.Basic, subscript: str | None, span: Span) -> Value:
        """‖x‖, ‖x‖₂, ‖X‖_F; ‖x‖₁ = 𝟏ᵀ|x|; ‖x‖_p = (𝟏ᵀ|x|ᵖ)^{1/p} for a whole p ≥ 3."""
        order = (subscript or "").lstrip("\\")
        if not is_matrix(value):
            return Abs(value)
        rows, cols = shape_of(value)
        vector = cols == 1
        if order in {"", "F"} or (order == "2" and vector):
            return Norm(value)
        if not vector:
            named = {"2": "the spectral norm", "1": "the induced 1-norm",
                     "infty": "the induced ∞-norm", "*": "the nuclear norm"}
            raise MatcalcError(
                f"{named.get(order, 'the norm')} ‖·‖_{order} of a matrix is not supported",
                span, hint="matcalc differentiates the Frobenius norm ||X||_F")
        if order.isdigit() and int(order) >= 1:
            p = int(order)
            t = ENTRY
            power = Abs(t) if p == 1 else Abs(t) ** p
            total = Scalar(MatMul(OneMatrix(1, rows),
                                  ElementwiseApplyFunction(Lambda(t, power), value)))
            return total if p == 1 else sympy.Pow(total, sympy.Rational(1, p))
        if order in {"infty", "inf", "max"}:
            raise MatcalcError("the maximum norm ‖x‖_∞ is not supported", span,
                               hint="it has no derivative where two entries tie; matcalc "
                                    "differentiates ||x||_1, ||x||_2 and ||x||_p for whole p")
        raise MatcalcError(f"the norm ‖x‖_{order} is not supported", span,
                           hint="write the order as a whole number: ||x||_1, ||x||_3")

    def sum(self, node: BinOp) -> Value:
        """a + b − c + …, term by term from the left (a loop: a sum may have many terms)."""
        chain: list[BinOp] = []
        first: Node = node
        while isinstance(first, BinOp) and first.op in {"+", "-"}:
            chain.append(first)
            first = first.left
        value, span = self.expr(first), first.span
        terms = [value]
        numbers: list[sympy.Expr] = []  # added at once: one by one is quadratic in sympy
        for link in reversed(chain):
            term = self.expr(link.right)
            terms.append(term if link.op == "+" else negate(term))
            if is_number_term(value) and is_number_term(terms[-1]):
                numbers.append(terms[-1])
            else:
                value = self.arith.add(sympy.Add(value, *numbers) if numbers else value,
                                       terms[-1], span, link.right.span)
                numbers = []
            span = span | link.right.span
        if numbers:
            value = sympy.Add(value, *numbers)
        if isinstance(value, sympy.Add | sympy.MatAdd):
            self.remember_order(value, terms)
        return value

    def remember_order(self, value: sympy.Basic, parts: Sequence[Value]) -> None:
        """The terms of a sum or the factors of a product as written, in their order, for
        the echo (sympy keeps its own order): only when they are exactly its arguments."""
        if all(isinstance(p, sympy.Basic) for p in parts) and Counter(value.args) == Counter(
                parts):
            self.written_orders[value] = tuple(parts)

    def entry(self, vector: Value, index: str, span: Span) -> Value:
        """v_k = e_kᵀ v: the k-th entry of a vector, as a product the rules know; X_kl =
        e_kᵀ X e_l of a matrix (two indices of one character each: X_{12}, X_{ij})."""
        vector = self.arith.finish(vector, span)
        rows, cols = shape_of(vector)
        if is_matrix(vector) and rows != 1 and cols != 1:
            if len(index) != 2:
                raise MatcalcError(
                    f"an entry of the {Shape((rows, cols))} matrix {self.scope.text(span)} needs "
                    f"two indices, not {index!r}", span, hint="write X_{12} or X_{ij}")
            row = self.unit(index[0], rows, span)
            return Scalar(MatMul(Transpose(row), vector, self.unit(index[1], cols, span)))
        if not is_matrix(vector) or cols != 1:
            raise MatcalcError(f"only a vector or a matrix has entries, but "
                               f"{self.scope.text(span)} is {Shape((rows, cols))}", span)
        return Scalar(MatMul(Transpose(self.unit(index, rows, span)), vector))

    def unit(self, index: str, size: sympy.Expr, span: Span) -> UnitVector:
        """e_k ∈ ℝ^size, for an entry counted from 1 (k a number or a letter)."""
        position = sympy.Integer(int(index)) if index.isdigit() else index_symbol(index)
        too_far = size.is_Integer and position.is_Integer and position > size
        if position.is_Integer and (position < 1 or too_far):
            raise MatcalcError(f"entry {index} does not exist where the size is {size}",
                               span, hint="entries are counted from 1")
        unit: UnitVector = UnitVector(position, size)
        return unit

    def is_coefficient(self, division: BinOp) -> bool:
        """1/2, -1/2, 1/N, 3/\\sigma: a number over a number or over one scalar name, which
        multiplies what is written after it (½z, (1/N)‖y − Xw‖²), as textbooks mean it."""
        top = division.left.arg if isinstance(division.left, Neg) else division.left
        if not isinstance(top, Number):
            return False
        bottom = division.right
        if isinstance(bottom, Number):
            return True
        if isinstance(bottom, Name | Command):
            try:
                return not is_matrix(self.arith.finish(self.expr(bottom), bottom.span))
            except MatcalcError:
                return False
        return False

    def juxtaposition(self, items: list[Node]) -> Value:
        """Side by side: a function word applies to what follows; the rest multiply.

        What a function word takes, as textbooks write it: the bracket right after it
        (``\\sin(x)^2`` is sin(x)², like ``sin(x)^2``); another function word and its
        argument (``\\log\\det X``); otherwise the whole product after it (``\\sin 2x`` is
        sin(2x), ``\\det AX`` is det(AX)), and a function of the same kind within it is
        refused as unclear (``\\sin x \\cos x``). ``\\sin^2 x`` is (sin x)².
        """
        first = items[0]
        if len(items) > 1 and isinstance(items[1], Group):
            self.refuse_ambiguous_sigma(first)  # \sigma(wᵀx) with σ a number
        def applies(node: Node) -> bool:  # \sin, or σ before its bracket
            return self.scope.function_head(node) is not None or (
                self.scope.is_sigmoid(node) and bracketed(items[1]) is not None)

        if isinstance(first, BinOp) and first.op in {"*", "/", "⊙", "⊗"} \
                and applies(first.right):
            # a ⊙ \sin x, 2 \cdot \sin x: the function word takes what follows it
            right = Juxt(first.right.span | items[-1].span, (first.right, *items[1:]))
            return self.expr(BinOp(first.span | items[-1].span, first.op, first.left, right))
        if isinstance(first, BinOp) and first.op == "/" and not self.is_coefficient(first):
            # ‖y − Xw‖²/2N, xᵀAx / xᵀx, 1/xᵀx: students write both meanings; never guess
            numerator = self.scope.text(first.left.span)
            denominator = self.scope.text(first.right.span)
            rest = self.scope.text(items[1].span | items[-1].span)
            raise MatcalcError(
                f"it is not clear what this divides by: {denominator} alone, or "
                f"{denominator} {rest}", first.span | items[-1].span,
                hint=f"write ({numerator})/({denominator} {rest}) or "
                     f"({numerator})/{denominator} * {rest}, or \\frac{{…}}{{…}}")
        if isinstance(first, Neg) and (applies(first.arg) or isinstance(first.arg, SumOver)):
            # "-log softmax(z)_k" reads as -(log softmax(z)_k): the sign binds last
            return negate(self.juxtaposition([first.arg, *items[1:]]))
        expanded: list[Node] = []
        for item in items:
            if isinstance(item, Name) and item.text not in self.scope.known_names():
                parts = self.scope.split_name(item.text)
                if parts is not None:
                    expanded.extend(self.scope.split_nodes(item, parts))
                    continue
            expanded.append(item)
        factors: list[tuple[Value, Span]] = []
        index = 0
        while index < len(expanded):
            value, span, index = self.factor(expanded, index)
            factors.append((value, span))
        return self.product(factors)

    def product(self, factors: Sequence[tuple[Value | BareOne, Span]]) -> Value:
        result, span = factors[0]
        assert not isinstance(result, BareOne)
        written = [result]  # the factors as written, a run of matrices as their product
        for value, value_span in factors[1:]:
            if isinstance(value, BareOne):
                row_or_matrix = is_matrix(result) and shape_of(result)[1] != 1
                value = UnsizedVector() if row_or_matrix else sympy.S.One
            if is_matrix(value) and is_matrix(written[-1]):  # xᵀ x: one factor, xᵀx
                written[-1] = self.arith.multiply(written[-1], value, span, value_span)
            else:
                written.append(value)
            result = self.arith.multiply(result, value, span, value_span)
            span = span | value_span
        if isinstance(result, sympy.Mul) and not is_matrix(result):
            self.remember_order(result, written)
        return result

    def factor(self, items: Sequence[Node], index: int) -> tuple[Value, Span, int]:
        """The factor that starts at ``items[index]``: its value, its span, where it ends."""
        item = items[index]
        item = self.declared_sum_name(item) or item
        if isinstance(item, SumOver):
            return self.sum_over(items, index)
        self.refuse_reduction(item)
        if index > 0 and isinstance(item, Number) and item.text == "1":
            return BareOne(), item.span, index + 1  # xᵀ1, 1ᵀX1: the ones vector
        head = self.scope.function_head(item)
        if head is None and self.scope.is_sigmoid(item) and index + 1 < len(items) and bracketed(
                items[index + 1]) is not None:
            head = ("sigmoid", None)
        if head is None:
            return self.expr(item), item.span, index + 1
        function, exponent = head
        if index + 1 == len(items):
            raise MatcalcError(f"{function} needs an argument", item.span,
                               hint=f"write {function}(...)")
        after = items[index + 1]
        group = bracketed(after)
        if function == "sqrt" and after is group and self.scope.text(after.span).startswith("["):
            return self.root(items, index)  # \sqrt[3]{x}: the cube root, not √3 · x
        if self.scope.applies_function(after):  # \log\det X = log(det(X)), log softmax(z)_k
            argument, span, end = self.factor(items, index + 1)
            value = self.apply(function, argument, span)
        elif group is not None:  # \sin(x)^2, \mathrm{softmax}(z)_k
            value = self.apply(function, self.expr(group.inner), group.span)
            value = self.outside(after, value)
            end = index + 2
        else:  # the whole product up to the next function word
            end = index + 1
            while end < len(items) and not self.scope.ends_argument(function, items[end]):
                end += 1
            if end < len(items):  # \sin x \cos x: a product of two, or sin(x cos x)?
                other = self.scope.applied_function(items[end])
                raise MatcalcError(
                    f"it is not clear where the argument of {function} ends", item.span |
                    items[end].span, hint=f"use brackets: {function}(…) {other}(…) for a "
                                          f"product, {function}(… {other}(…)) for one function")
            run, parts, at = items[index + 1:end], [], 0
            while at < len(run):  # the argument may hold functions of the other kind
                part, part_span, at = self.factor(run, at)
                parts.append((part, part_span))
            span = parts[0][1] | parts[-1][1]
            value = self.apply(function, self.product(parts), span)
        if exponent is not None:
            if exponent_mark(exponent) is not None:
                raise MatcalcError(
                    f"{function}^{{-1}} or {function}^T is not read as a power", item.span,
                    hint=f"for the reciprocal write 1/{function}(...) or ({function} ...)^{{-1}}")
            value = self.power(value, exponent, item.span)
        return value, item.span | items[end - 1].span, end

    def root(self, items: Sequence[Node], index: int) -> tuple[Value, Span, int]:
        r"""``\sqrt[n]{x}``: x^{1/n} (of each entry of a vector or matrix), for a whole n."""
        head, degree = items[index], items[index + 1]
        assert isinstance(degree, Group)
        text = self.scope.text(degree.span)[1:-1].strip()
        if not text.isdigit() or int(text) < 2:
            raise MatcalcError(rf"the root \sqrt[{text}] needs a whole number of at least 2",
                               degree.span, hint=r"write \sqrt[3]{x} for the cube root")
        if index + 2 == len(items):
            raise MatcalcError(r"\sqrt[n] needs an argument", head.span | degree.span,
                               hint=rf"write \sqrt[{text}]{{x}}")
        argument, span, end = self.factor(items, index + 2)
        if isinstance(argument, BareOne):  # \sqrt[3]1: the number, not a ones vector
            argument = sympy.S.One
        argument = self.arith.finish(argument, span)
        power = sympy.Rational(1, int(text))
        return entrywise(lambda t: t ** power, argument), head.span | span, end

    def outside(self, node: Node, value: Value) -> Value:
        """Apply to ``value`` the powers, entries and transposes written around a bracket."""
        match node:
            case Power(base=base, exponent=exponent):
                return self.power(self.outside(base, value), exponent, node.span)
            case Subscript(base=base, index=index):
                return self.entry(self.outside(base, value), index, node.span)
            case Postfix(base=base, mark=mark):
                return self.arith.postfix(self.outside(base, value), mark, node.span)
        return value

    def declared_sum_name(self, node: Node) -> Name | None:
        """sum_a written where sum_a is a declared name: the name (names come first)."""
        if isinstance(node, SumOver) and self.scope.text(node.span) in self.scope.known_names():
            return Name(node.span, self.scope.text(node.span))
        return None

    def refuse_reduction(self, node: Node) -> None:
        """sum_n (…), max_i x_i, sum_{n} …: a sum over an index, which is not read yet, is
        refused rather than read as an abstract function sum_n(…) or as sum(…)."""
        word = None
        if isinstance(node, Name) and node.text not in self.scope.known_names():
            word = reduction_over_index(node.text)
        elif isinstance(node, Subscript) and isinstance(node.base, Name | Command) and (
                node.base.text in REDUCTIONS and node.base.text not in self.scope.declared):
            word = node.base.text
        if word is not None:
            raise MatcalcError(reduction_error_text(word, self.scope.text(node.span)),
                               node.span, hint=reduction_hint(word))

    def refuse_ambiguous_sigma(self, name: Node) -> None:
        """σ declared as a number and written right before a bracket, σ(wᵀx): the product
        σ·(wᵀx) or the sigmoid? Students mean both (issue 18); a space, σ (wᵀx), or an
        operator, σ * (wᵀx), is the product, as matcalc prints it."""
        if not (isinstance(name, Name) and name.text == "sigma"):
            return
        declared = self.scope.declared.get("sigma")
        if declared is None or not declared.shape.is_scalar:
            return
        lines = self.scope.source.split("\n")
        line = lines[name.span.line - 1] if 0 < name.span.line <= len(lines) else ""
        if line[name.span.end_column - 1:name.span.end_column] == "(":
            raise MatcalcError(
                "σ is declared as a number, so σ(…) could be σ times the bracket or the "
                "sigmoid function", name.span,
                hint="write sigma * (…) or sigma (…) for the product, sigmoid(…) for the "
                     "function")

    @staticmethod
    def rectified_argument(arguments: Sequence[Node]) -> Node | None:
        """t in max(0, t) or max(t, 0), or None."""
        if len(arguments) != 2:
            return None
        zeros = [isinstance(a, Number) and a.text in ("0", "0.0") for a in arguments]
        if zeros.count(True) != 1:
            return None
        return arguments[zeros.index(False)]

    def call(self, node: Call) -> Value:
        self.refuse_ambiguous_sigma(node.name)
        name = node.name.text
        target = self.scope.aliases.get(name, name)
        if target in self.scope.defined:
            return self.call_definition(target, node)
        function = FUNCTIONS.get(name) if name not in self.scope.declared else None
        if name == "max" and function is None and name not in self.scope.declared:
            rectified = self.rectified_argument(node.args)
            if rectified is not None:  # max(0, t) and max(t, 0): relu(t), the hinge
                return self.apply("relu", self.expr(rectified), rectified.span)
        if self.scope.is_sigmoid(node.name):
            function = "sigmoid"
        if function is not None:
            if len(node.args) != 1:
                raise MatcalcError(f"{name} takes one argument, not {len(node.args)}",
                                   node.span)
            return self.apply(function, self.expr(node.args[0]), node.args[0].span)
        if self.is_product(node):
            if len(node.args) != 1:
                raise MatcalcError(f"{name} is a variable, not a function", node.name.span)
            return self.juxtaposition([node.name, node.args[0]])
        self.refuse_reduction(node.name)
        if name in UNSUPPORTED or name in self.scope.dims:
            raise MatcalcError(
                f"unsupported function {name!r}", node.name.span,
                hint="matcalc differentiates " + ", ".join(sorted(set(FUNCTIONS.values())))
                     + " and abstract differentiable functions such as p(x, z)")
        if name in WRITTEN_OTHERWISE and name not in self.scope.differentiable:
            raise MatcalcError(f"matcalc has no function {name}(…)", node.name.span,
                               hint=WRITTEN_OTHERWISE[name] + f"; '{name} differentiable' "
                               "makes it an abstract function")
        # Used but never defined: an abstract differentiable function (language.md).
        arguments = tuple(self.read(a) for a in node.args)
        return Applied(sympy.Symbol(name), *arguments)

    def call_definition(self, name: str, node: Call) -> Value:
        """A defined function called: with its own argument names it is the intermediate
        (f(z) in a chain); with others, its definition with the arguments put in."""
        parameters = self.scope.arguments[name]
        if not parameters:
            raise MatcalcError(
                f"{name} is defined without arguments, so it cannot be called", node.span,
                hint=f"write {name} alone, {name}*(...) for a product, or define it with "
                     f"its arguments, as '{node.name.text}(x) = ...'")
        if len(node.args) != len(parameters):
            raise MatcalcError(
                f"{node.name.text} takes {len(parameters)} argument"
                f"{'s' if len(parameters) > 1 else ''} ({', '.join(parameters)}), "
                f"not {len(node.args)}", node.span)
        inner = [unwrapped(a) for a in node.args]
        written = [a.text if isinstance(a, Name) else None for a in inner]
        if written == list(parameters) and name in self.scope.symbols and not self.scope.bound:
            return self.scope.symbols[name]
        values = [self.read(a) for a in node.args]
        if len(self.scope.bound) > 50:
            raise MatcalcError("calls nest too deeply", node.span,
                               hint="a defined function may call others at most 50 deep")
        self.scope.bound.append(dict(zip(parameters, values, strict=True)))
        try:
            return self.expr(self.scope.defined[name].sides[-1])
        finally:
            self.scope.bound.pop()

    def is_product(self, node: Call) -> bool:
        """``A(x + b)``, ``Ax(y)``, ``x_2(y)``: a value before a bracket multiplies it."""
        name = node.name.text
        if name in self.scope.defined or (name in FUNCTIONS and name not in self.scope.declared):
            return False
        if name in self.scope.differentiable:
            return False
        try:  # anything that reads as a value (A, Ax, x_2, N, I_D) multiplies the bracket
            self.resolve_name(node.name)
        except MatcalcError:
            return False  # an unknown name called: an abstract function, p(x, z)
        return True

    def apply(self, function: str, value: Value, span: Span) -> Value:
        value = self.arith.finish(value, span)
        if function in ELEMENTWISE:
            return entrywise(ENTRYWISE_BY_NAME[function].form, value)
        rows, cols = shape_of(value)
        described = f"{self.scope.text(span)} is {Shape((rows, cols))}"
        if function in {"tr", "det", "inv"} and (rows != cols or not is_matrix(value)):
            raise MatcalcError(f"{function} needs a square matrix, but {described}", span)
        if function == "tr":
            return Trace(value)
        if function == "det":
            return Determinant(value)
        if function == "inv":
            return Inverse(value)
        if function == "sum":
            if not is_matrix(value):
                return value
            if cols != 1:
                raise MatcalcError(f"sum needs a vector, but {described}", span)
            return Scalar(MatMul(OneMatrix(1, rows), value))
        if function == "diag":
            if is_matrix(value) and cols != 1 and rows == cols:
                # diag(A) of a square matrix is the vector of its diagonal: (A ⊙ I)𝟏, read
                # so in the echo (diag(v) of a vector is the diagonal matrix)
                return MatMul(sympy.HadamardProduct(value, Identity(rows)), OneMatrix(rows, 1))
            if not is_matrix(value) or cols != 1:
                raise MatcalcError(f"diag needs a vector or a square matrix, but {described}",
                                   span, hint="diag(v) of a vector is a diagonal matrix; "
                                              "diag(A) of a square matrix is its diagonal")
            return DiagMatrix(value)
        if function == "norm":
            return Norm(value) if is_matrix(value) else Abs(value)
        if function == "softmax" and is_matrix(value) and cols != 1:
            return Softmax(value)  # of a matrix: row by row, as attention takes it
        if function in {"softmax", "logsumexp"}:
            if not is_matrix(value) or cols != 1:
                wanted = "a vector or a matrix" if function == "softmax" else "a vector"
                raise MatcalcError(f"{function} needs {wanted}, but {described}", span,
                                   hint="softmax of a matrix acts on each row; logsumexp "
                                        "takes a vector")
            return Softmax(value) if function == "softmax" else LogSumExp(value)
        raise MatcalcError(f"{function} is not supported yet", span,
                           hint="softmax and abstract functions come in a later version")

    def power(self, base: Value, exponent: Node, span: Span) -> Value:
        mark = exponent_mark(exponent)
        if mark is not None:  # postfix sizes what it can (𝟏ᵀ) and finishes the rest
            return self.arith.postfix(base, mark, span | exponent.span)
        base = self.arith.finish(base, span)
        power = self.expr(exponent)
        if not isinstance(power, sympy.Expr) or is_matrix(power):  # x^I, x^{1^T}
            raise MatcalcError("an exponent must be a number", exponent.span)
        if not is_matrix(base):
            if base.is_number and power.is_number and abs(float(power)) * math.log10(
                    max(2.0, abs(float(base)) if base.is_real else 2.0)) > MAX_DIGITS:
                raise MatcalcError(f"this number has more than {MAX_DIGITS} digits",
                                   span | exponent.span, hint="matcalc computes with the "
                                   "numbers it writes; a tower such as 10^{10^6} is too large")
            return sympy.Pow(base, power)
        rows, cols = shape_of(base)
        if 1 in (rows, cols) and is_constant(power):  # x^2 of a vector: entry by entry
            return entrywise(lambda t: t ** power, base)
        if rows == cols and power.is_Rational and not power.is_Integer:
            raise MatcalcError(
                "a fractional power of a matrix, such as its square root, is not supported",
                span | exponent.span, hint=SYLVESTER)
        if rows != cols or not (power.is_Integer and power > 0):
            raise MatcalcError(
                f"a {Shape((rows, cols))} matrix can only be raised to a positive integer "
                "power, transposed (^T) or inverted (^{-1})", span | exponent.span)
        if power > MAX_MATRIX_POWER:
            raise MatcalcError(f"a matrix power of at most {MAX_MATRIX_POWER}, not {power}",
                               span | exponent.span, hint="the product rule writes a term "
                                                          "for each factor of Aᵏ")
        return MatPow(base, power)


def is_number_term(value: Value) -> bool:
    """A term that is a number (not a vector, a matrix, or an unsized I or 𝟏)."""
    return isinstance(value, sympy.Expr) and not is_matrix(value)

"""Notation only: how matcalc writes mathematics in Unicode text and in LaTeX.

sympy's printers dispatch on the class of what they print (``_print_Transpose``), so each
construct's notation is one method here: ᵀ and ``^{\\top}``, ⁻¹, diag(·), tr, ‖·‖, the 1×1
``Scalar`` shown as its product, Greek names. No mathematics is done here: a printer only
reads the expression it is given.
Imports sympy's printing and matcalc.objects / matcalc.model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

import sympy
from sympy import Rational
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE, precedence
from sympy.printing.str import StrPrinter

from matcalc import functions
from matcalc.greek import LETTERS
from matcalc.model import Shape
from matcalc.objects import (
    AbstractPartial,
    Delta,
    Diff,
    Entry,
    Scalar,
    Softmax,
    UnitVector,
    Vec,
    is_matrix,
    shape_of,
)
from matcalc.objects import picked as picked_entry

GREEK_UNICODE = LETTERS
GREEK_LATEX = {name: "\\" + ("epsilon" if name == "eps" else name) for name in GREEK_UNICODE}
SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
FRACTIONS = {Rational(1, 2): "½", Rational(1, 3): "⅓", Rational(2, 3): "⅔",
             Rational(1, 4): "¼", Rational(3, 4): "¾"}


# each sum and product a problem wrote → its terms or factors in the written order
Written = Mapping[sympy.Basic, tuple[sympy.Basic, ...]]


class Verbatim(sympy.Symbol):
    """Already printed text standing in an expression (the argument of f applied entrywise)."""


def _is_name(expr: sympy.Basic) -> bool:
    return isinstance(expr, sympy.MatrixSymbol | sympy.Symbol)


def _is_simple(expr: sympy.Basic) -> bool:
    """A name, perhaps transposed or inverted: printed without a space around it."""
    if isinstance(expr, sympy.Transpose | sympy.Inverse):
        return _is_simple(expr.arg)
    return isinstance(expr, sympy.MatrixSymbol | sympy.Symbol | sympy.Identity)


def _written_factors(written: Written, product: sympy.Mul) -> tuple[sympy.Basic, ...] | None:
    """A product's factors in the order the problem wrote them (sin(x₁) cos(x₂), not
    sympy's cos(x₂) sin(x₁)); None for one it did not write, or one with a number or a
    denominator among its factors (those print as sympy sets them: −½x, a/b)."""
    factors = written.get(product)
    if factors is None or any(f.is_number or (f.is_Pow and f.exp.is_negative)
                              for f in factors):
        return None
    return factors


def _ordered_terms(written: Written, total: sympy.Basic) -> list[sympy.Basic]:
    """A sum's terms in the order the problem wrote them (2xᵀx + b, not b + 2xᵀx); any
    other sum with its positive terms first, so x − μ does not print as −μ + x."""
    terms = written.get(total)
    if terms is not None:
        return list(terms)
    return sorted(total.args, key=lambda t: is_negative(t))


def is_negative(term: sympy.Basic) -> bool:
    """Whether a term is written with a leading minus (−2xᵀ, −1/q ∂q/∂ν)."""
    if is_matrix(term):
        if not isinstance(term, sympy.MatMul):
            return False
        coefficient = sympy.Mul(*(a for a in term.args if not is_matrix(a)))
        return bool(coefficient.as_coeff_Mul()[0] < 0)
    coefficient = term.as_coeff_Mul()[0]
    return bool(coefficient.is_Number and coefficient < 0)


def _has_denominator(expr: sympy.Expr) -> bool:
    return any((f.is_Pow and f.exp.is_number and f.exp < 0) or (f.is_Rational and f.q != 1)
               for f in sympy.Mul.make_args(expr))


def _split_coefficient(expr: sympy.MatMul) -> tuple[sympy.Expr, list[sympy.Basic]]:
    scalars = [a for a in expr.args if not is_matrix(a)]
    matrices = [a for a in expr.args if is_matrix(a)]
    return sympy.Mul(*scalars), matrices


def precedence_of(item: Any) -> int:
    """How tightly an expression binds, as the reader reads it back; cheap for matrices
    (sympy's own asks whether a product could extract a minus sign, which is slow)."""
    if isinstance(item, Scalar):
        return PRECEDENCE["Atom"] if picked_entry(item) is not None else precedence_of(
            item.matrix)
    if isinstance(item, sympy.MatMul):
        coefficient, matrices = _split_coefficient(item)
        if coefficient.is_Number and coefficient < 0:
            return PRECEDENCE["Add"]
        return PRECEDENCE["Mul"] if len(matrices) > 1 or coefficient != 1 else precedence_of(
            matrices[0])
    if isinstance(item, sympy.MatAdd):
        return PRECEDENCE["Add"]
    if isinstance(item, sympy.HadamardProduct | sympy.KroneckerProduct):
        return PRECEDENCE["Mul"]
    if isinstance(item, sympy.Transpose | sympy.Inverse | sympy.MatPow):
        return PRECEDENCE["Pow"]
    if isinstance(item, sympy.OneMatrix):
        return PRECEDENCE["Pow"]  # 𝟏_D and 𝟏_Dᵀ carry a subscript
    if isinstance(item, sympy.Pow) and item.exp.is_number and item.exp < 0:
        return PRECEDENCE["Mul"]  # printed as 1/…, which binds like a product
    if isinstance(item, ElementwiseApplyFunction):  # exp(x) + 1 binds like a sum
        body = item.function.expr
        return precedence_of(body) if body.has(*item.function.variables) else PRECEDENCE["Mul"]
    return precedence(item)


class _Parenthesizing:
    """parenthesize() with matcalc's precedence, for both printers."""

    _print: Any
    written: Written = MappingProxyType({})  # each sum and product in its written order
    hadamard: str = " ⊙ "

    def _print_ElementwiseApplyFunction(self, expr: ElementwiseApplyFunction) -> str:
        """f(X) entry by entry; inside it a product of entries is ⊙ and, for a matrix that is
        not a vector, a power of entries too, so that it reads back as written."""
        rows, cols = expr.expr.shape
        if not expr.function.expr.has(*expr.function.variables):  # t ↦ 1 gives 𝟏_D
            return str(self._print(sympy.MatMul(expr.function.expr, sympy.OneMatrix(rows, cols))))
        stack = self.__dict__.setdefault("_entrywise", [])
        stack.append(rows == 1 or cols == 1)
        try:
            return str(self._print(applied(expr, self._print(expr.expr))))
        finally:
            stack.pop()

    def _entrywise_factors(self, expr: sympy.Mul) -> str | None:
        """2 exp(x) ⊙ x: the factors that vary with the entry joined by ⊙, or None."""
        if not self.__dict__.get("_entrywise"):
            return None
        varying = [f for f in expr.args if _has_verbatim(f)]
        if len(varying) < 2:
            return None
        constant = sympy.Mul(*(f for f in expr.args if not _has_verbatim(f)))
        text = self.hadamard.join(self.parenthesize(f, PRECEDENCE["Mul"]) for f in varying)
        if constant == 1:
            return text
        if constant == -1:
            return "-" + f"({text})"
        return self.parenthesize(constant, PRECEDENCE["Mul"], strict=True) + f" ({text})"

    def _entrywise_power(self, expr: sympy.Pow) -> str | None:
        """X ⊙ X for the square of the entries of a matrix (X² would be the matrix power)."""
        stack = self.__dict__.get("_entrywise")
        if not stack or stack[-1] or not _has_verbatim(expr.base):
            return None
        if expr.exp.is_Integer and 2 <= expr.exp <= 4:
            factor = self.parenthesize(expr.base, PRECEDENCE["Mul"])
            return self.hadamard.join([factor] * int(expr.exp))
        return None

    slash_partials = False  # whether ∂p/∂z is written with a slash (binds like a product)
    sigma = True  # whether the sigmoid prints as σ (not when the problem names σ)

    def parenthesize(self, item: Any, level: int, strict: bool = False) -> str:
        binding = precedence_of(item)
        if self.slash_partials and isinstance(item, AbstractPartial):
            binding = PRECEDENCE["Mul"]  # (∂p/∂X)ᵀ and (∂p/∂u) Aᵀ, not ∂p/∂Xᵀ
        if binding < level or (not strict and binding <= level):
            return self._bracket(self._print(item))
        return self._print(item)

    def _bracket(self, text: str) -> str:
        return f"({text})"


class UnicodePrinter(_Parenthesizing, StrPrinter):
    """Plain Unicode, as a student writes it: yᵀS⁻¹y, diag(cos(z)) A, ‖x‖²."""

    slash_partials = True

    def _print_Symbol(self, expr: sympy.Symbol) -> str:
        return GREEK_UNICODE.get(expr.name, expr.name)

    def _print_Dummy(self, expr: sympy.Dummy) -> str:
        return GREEK_UNICODE.get(expr.name, expr.name)

    def _print_Tuple(self, expr: sympy.Tuple) -> str:  # an index tuple: (i, j, k, l)
        return "(" + ", ".join(self._print(a) for a in expr.args) + ")"

    _print_MatrixSymbol = _print_Symbol

    def _print_Scalar(self, expr: Any) -> str:
        picked = picked_entry(expr)
        if picked is not None:  # e_kᵀv reads v_k, e_kᵀXe_l reads X_kl
            return self._subscripted(*picked)
        return self._print(expr.matrix)

    def _subscripted(self, matrix: sympy.Basic, indices: tuple[sympy.Basic, ...]) -> str:
        """An entry: z_k, softmax(z)_k, X_12; (W2)_12 and (Ax)_k in brackets."""
        text = self._print(matrix)
        bare = (isinstance(matrix, sympy.MatrixSymbol | Softmax) or _is_call(matrix)) and \
            not _ends_in_digit(text)
        return (text if bare else f"({text})") + "_" + "".join(map(self._print, indices))

    def _print_UnitVector(self, expr: Any) -> str:
        return f"e_{self._print(expr.index)}"

    def _print_Transpose(self, expr: sympy.Transpose) -> str:
        if isinstance(expr.arg, sympy.Inverse):
            return self.parenthesize(expr.arg.arg, PRECEDENCE["Pow"], strict=True) + "⁻ᵀ"
        if isinstance(expr.arg, Diff):  # (dU)ᵀ, not dUᵀ
            return f"({self._print(expr.arg)})ᵀ"
        return self._raised(expr.arg) + "ᵀ"

    def _raised(self, base: sympy.Basic) -> str:
        """The base of a mark raised after it, bracketed if it carries one already: (A²)ᵀ
        and (Aᵀ)², never A²ᵀ or Aᵀ²."""
        text = self.parenthesize(base, PRECEDENCE["Pow"], strict=True)
        raised = isinstance(base, sympy.Transpose | sympy.Inverse | sympy.MatPow) or (
            isinstance(base, ElementwiseApplyFunction)
            and _raised_in(base.function.expr, base.function.variables[0]))
        return f"({text})" if raised and not _enclosed(text) else text

    def _print_Inverse(self, expr: sympy.Inverse) -> str:
        return self._raised(expr.arg) + "⁻¹"

    def _print_Identity(self, expr: sympy.Identity) -> str:
        return "I"

    def _print_ImmutableDenseMatrix(self, expr: sympy.ImmutableMatrix) -> str:
        """An explicit matrix as its rows: [[2, 2], [2, 6 x_2]]."""
        return "[" + ", ".join("[" + ", ".join(self._print(expr[i, j]) for j in range(
            expr.shape[1])) + "]" for i in range(expr.shape[0])) + "]"

    def _print_ZeroMatrix(self, expr: sympy.ZeroMatrix) -> str:
        return "0"

    def _print_OneMatrix(self, expr: sympy.OneMatrix) -> str:
        """𝟏_D, 𝟏_Dᵀ, 𝟏_M 𝟏_Nᵀ: the ones vector with its size, so that it reads back."""
        rows, cols = expr.shape
        column = "𝟏_" + self._index(rows)
        if cols == 1:
            return column
        row = "𝟏_" + self._index(cols) + "ᵀ"
        return row if rows == 1 else f"{column} {row}"

    def _index(self, size: Any) -> str:
        text = self._print(size)
        return text if len(text) == 1 else f"{{{text}}}"

    def _over(self, coefficient: sympy.Expr, matrices: list[sympy.Basic]) -> str | None:
        """2xᵀ/(1 + xᵀx), (x − a)ᵀ/‖x − a‖: a coefficient with a denominator that is not a
        number is written after the product, divided, never before it (2/(1 + xᵀx) xᵀ reads
        as a division by (1 + xᵀx) xᵀ too); None for any other coefficient."""
        sign = "−" if coefficient.as_coeff_Mul()[0] < 0 else ""
        magnitude = -coefficient if sign else coefficient
        above, below_factors = [], []
        for factor in sympy.Mul.make_args(magnitude):  # exp(−z) stays a factor above
            if factor.is_Pow and factor.exp.is_number and factor.exp < 0:
                below_factors.append(factor.base ** -factor.exp)
            elif factor.is_Rational and factor.q != 1:
                above.append(sympy.Integer(factor.p))
                below_factors.append(sympy.Integer(factor.q))
            else:
                above.append(factor)
        if not any(not f.is_number for f in below_factors):
            return None
        numerator = sympy.Mul(*above)
        denominator = sympy.Mul(*below_factors)
        product = self._print(sympy.MatMul(*([numerator] if numerator != 1 else []),
                                           *matrices))
        if " " in product and not _enclosed(product):
            product = f"({product})" if isinstance(matrices[0], sympy.MatAdd) and len(
                matrices) == 1 and numerator == 1 else product
        below = self.parenthesize(denominator, PRECEDENCE["Mul"], strict=False)
        return f"{sign}{product}/{below}"

    def _coefficient(self, coefficient: sympy.Expr) -> str:
        """−2, ½, exp(…): the scalar in front of a matrix product."""
        if coefficient == 1:
            return ""
        if coefficient == -1:
            return "−"
        sign = "−" if coefficient.as_coeff_Mul()[0] < 0 else ""
        magnitude = -coefficient if sign else coefficient
        number, rest = magnitude.as_coeff_Mul()
        if number in FRACTIONS and rest != 1 and not _has_denominator(rest):
            return sign + FRACTIONS[number] + " " + self._coefficient(rest)
        if magnitude in FRACTIONS:
            return sign + FRACTIONS[magnitude]
        if magnitude.is_Number:
            return sign + self._print(magnitude)
        bare_product = isinstance(magnitude, Scalar) and _holds_product(magnitude)
        text = self.parenthesize(magnitude, PRECEDENCE["Mul"], strict=not bare_product)
        if isinstance(magnitude, sympy.Add):
            text = f"({self._print(magnitude)})" if not text.startswith("(") else text
        return sign + text + " "

    def _print_MatMul(self, expr: sympy.MatMul) -> str:
        coefficient, matrices = _split_coefficient(expr)
        over = self._over(coefficient, matrices)
        if over is not None:
            return over
        pieces: list[str] = []
        for index, matrix in enumerate(matrices):
            text = self.parenthesize(matrix, PRECEDENCE["Mul"], strict=False)
            if isinstance(matrix, sympy.MatAdd):
                text = f"({self._print(matrix)})" if not text.startswith("(") else text
            joined = index > 0 and _is_simple(matrix) and _is_simple(matrices[index - 1]) \
                and not _ends_in_digit(pieces[-1])  # W1 x, not W1x (read as one name)
            pieces.append(text if index == 0 or joined else " " + text)
        prefix = self._coefficient(coefficient)
        if prefix and prefix[-1] not in " −" and not _is_simple(matrices[0]) \
                and not pieces[0].startswith("("):
            prefix += " "  # 2 diag(…), but 2xᵀ
        return prefix + "".join(pieces)

    def _print_MatAdd(self, expr: sympy.MatAdd) -> str:
        terms = _ordered_terms(self.written, expr)
        text = self._print(terms[0])
        for term in terms[1:]:
            if is_negative(term):
                text += " − " + self._print(-term if not is_matrix(term) else
                                            sympy.MatMul(*(-term.args[0],), *term.args[1:]))
            else:
                text += " + " + self._print(term)
        return text.replace("  ", " ")

    def _print_Verbatim(self, expr: Verbatim) -> str:
        return str(expr.name)

    def _print_Add(self, expr: sympy.Add, order: str | None = None) -> str:
        terms = _ordered_terms(self.written, expr)  # sympy's own order: numbers first, 1 + z
        text = self._print(terms[0])
        for term in terms[1:]:
            text += (" − " + self._print(-term)) if is_negative(term) else (
                " + " + self._print(term))
        return text

    def _print_Mul(self, expr: sympy.Mul) -> str:
        entrywise = self._entrywise_factors(expr)
        if entrywise is not None:
            return entrywise.replace("-", "−")
        written = _written_factors(self.written, expr)
        if written is not None:  # a (xᵀx): a product of matrices in brackets, as elsewhere
            return " ".join(self.parenthesize(f, PRECEDENCE["Mul"]) for f in written)
        coefficient, rest = expr.as_coeff_Mul()
        if coefficient < 0:
            return "−" + self.parenthesize(-expr, PRECEDENCE["Mul"], strict=True) \
                if not isinstance(-expr, sympy.Add) else "−(" + self._print(-expr) + ")"
        if coefficient in FRACTIONS and not _has_denominator(rest):
            return FRACTIONS[coefficient] + self.parenthesize(rest, PRECEDENCE["Mul"],
                                                              strict=True)
        return super()._print_Mul(expr).replace("*", " ")

    def _print_Pi(self, expr: Any) -> str:
        return "π"

    def _print_Integer(self, expr: sympy.Integer) -> str:
        return str(expr).replace("-", "−")

    def _print_Rational(self, expr: Rational) -> str:
        if -expr in FRACTIONS:
            return "−" + FRACTIONS[-expr]
        return FRACTIONS.get(expr, super()._print_Rational(expr)).replace("-", "−")

    def _print_Pow(self, expr: sympy.Pow, rational: bool = False) -> str:
        entrywise = self._entrywise_power(expr)
        if entrywise is not None:
            return entrywise
        base, exponent = expr.args
        if exponent in (Rational(1, 2), Rational(-1, 2)):
            text = self._print(base)
            root = "√" + (text if isinstance(base, sympy.Symbol) else f"({text})")
            return root if exponent > 0 else f"1/{root}"
        if exponent.is_Integer and exponent < 0:
            denominator = base if exponent == -1 else sympy.Pow(base, -exponent,
                                                                  evaluate=False)
            return "1/" + self.parenthesize(denominator, PRECEDENCE["Mul"], strict=False)
        if not exponent.is_Number:  # (2π)^(D/2); 1/(2π)^(D/2); x^{D}, not a label x^(D)
            if exponent.could_extract_minus_sign():
                return "1/" + self._print(sympy.Pow(base, -exponent, evaluate=False))
            power = self._print(exponent)
            power = f"{{{power}}}" if isinstance(exponent, sympy.Symbol) else f"({power})"
            return self.parenthesize(base, PRECEDENCE["Pow"], strict=False) + f"^{power}"
        if exponent.is_Rational and not exponent.is_Integer:  # u^(2/3); 1/u^(2/3)
            if exponent < 0:
                return "1/" + self._print(sympy.Pow(base, -exponent, evaluate=False))
            power = f"{exponent.p}/{exponent.q}"
            return self.parenthesize(base, PRECEDENCE["Pow"], strict=False) + f"^({power})"
        if exponent.is_Integer and exponent > 1:
            text = self.parenthesize(base, PRECEDENCE["Pow"], strict=True)
            return text + str(exponent).translate(SUPERSCRIPTS)
        return super()._print_Pow(expr, rational)

    def _print_Norm(self, expr: Any) -> str:
        frobenius = shape_of(expr.arg)[1] != 1  # ‖X‖_F of a matrix, ‖x‖ of a vector
        return "‖" + self._print(expr.arg) + "‖" + ("_F" if frobenius else "")

    def _print_Trace(self, expr: sympy.Trace) -> str:
        return f"tr({self._print(expr.arg)})"

    def _print_Determinant(self, expr: sympy.Determinant) -> str:
        return f"det({self._print(expr.arg)})"

    def _print_DiagMatrix(self, expr: Any) -> str:
        return f"diag({self._print(expr.args[0])})"

    def _print_HadamardProduct(self, expr: sympy.HadamardProduct) -> str:
        return " ⊙ ".join(self.parenthesize(a, PRECEDENCE["Mul"]) for a in expr.args)

    def _print_KroneckerProduct(self, expr: sympy.KroneckerProduct) -> str:
        return " ⊗ ".join(self._sized(a) for a in expr.args)

    def _sized(self, factor: sympy.Basic) -> str:
        """I_N inside a Kronecker product, where the identity's size matters."""
        if isinstance(factor, sympy.Identity):
            return "I_" + self._print(factor.shape[0])
        text = self.parenthesize(factor, PRECEDENCE["Mul"])
        return f"({text})" if isinstance(factor, sympy.MatMul) and factor.args[0] == -1 else text

    def _print_Vec(self, expr: Any) -> str:
        return f"vec({self._print(expr.arg)})"

    def _print_Softmax(self, expr: Any) -> str:
        return f"softmax({self._print(expr.arg)})"

    def _print_LogSumExp(self, expr: Any) -> str:
        return f"lse({self._print(expr.arg)})"

    def _print_Applied(self, expr: Any) -> str:
        arguments = ", ".join(self._print(a) for a in expr.arguments)
        return f"{self._print(expr.args[0])}({arguments})"

    _print_AppliedVector = _print_Applied

    def _print_AbstractPartial(self, expr: Any) -> str:
        name = self._print(expr.applied.args[0])
        return f"∂{name}/∂{self._print(expr.args[2])}"

    def _print_Commutation(self, expr: Any) -> str:
        return f"K_{{{self._print(expr.args[0])},{self._print(expr.args[1])}}}"

    def _print_Diff(self, expr: Any) -> str:  # dU, d(UV), d(Uᵀ), d(tr(U))
        text = self._print(expr.arg)
        return "d" + (text if _is_name(expr.arg) else f"({text})")

    _print_DiffScalar = _print_Diff

    def _print_Entry(self, expr: Any) -> str:
        matrix = expr.matrix
        if isinstance(matrix, UnitVector):
            return self._print_Delta(unit_entry(expr))
        return self._subscripted(matrix, entry_indices(expr))

    def _print_Delta(self, expr: Any) -> str:
        return "δ_" + "".join(self._print(i) for i in expr.args)

    def _print_MatPow(self, expr: sympy.MatPow) -> str:
        return self._raised(expr.base) + str(expr.exp).translate(SUPERSCRIPTS)

    def _print_Lambda(self, expr: sympy.Lambda) -> str:
        (variable,) = expr.variables
        return f"{self._print(variable)} ↦ {self._print(expr.expr)}"

    def _print_Function(self, expr: sympy.Function) -> str:
        record = functions.of_expression(expr)
        name = record.name if record is not None else type(expr).__name__
        if name == "sigmoid" and self.sigma:
            name = "σ"  # as MML writes the logistic function, where σ names nothing else
        return f"{name}({', '.join(self._print(a) for a in expr.args)})"

    def _print_Abs(self, expr: sympy.Abs) -> str:
        if self.__dict__.get("_entrywise"):  # |x| of a vector would read as ambiguous
            return f"abs({self._print(expr.args[0])})"
        return f"|{self._print(expr.args[0])}|"

    def _print_Shape(self, shape: Shape) -> str:
        return "ℝ^{" + "×".join(self._dim(d) for d in shape.dims) + "}"

    def _print_Dims(self, dims: Dims) -> str:
        return "×".join(self._dim(d) for d in dims.shape.dims)

    def _print_Space(self, space: Space) -> str:
        shape = space.shape
        if space.binary:
            power = self._print(shape.rows) if shape.cols == 1 else "{" + "×".join(
                self._dim(d) for d in shape.dims) + "}"
            return f"{{0, 1}}^{power}"
        if shape.is_scalar:
            return "ℝ"
        return f"ℝ^{self._print(shape.rows)}" if shape.cols == 1 else self._print_Shape(shape)

    def _wrapped(self, expr: Any) -> str:
        """A name as it is; anything longer in parentheses: ∂f/∂z, ∂(xᵀx)/∂x."""
        text = str(self._print(expr))
        simple = isinstance(expr, sympy.Symbol | sympy.MatrixSymbol | Entry | Vec)
        return text if simple else f"({text})"

    def _print_PartialMark(self, mark: PartialMark) -> str:
        d = "d" if mark.total else "∂"
        return f"{d}{self._wrapped(mark.of)}/{d}{self._wrapped(mark.wrt)}"

    def _print_SecondMark(self, mark: SecondMark) -> str:
        of, wrt, wrt2 = (self._wrapped(e) for e in (mark.of, mark.wrt, mark.wrt2))
        return f"d²{of}/d{wrt}²" if mark.wrt == mark.wrt2 else f"∂²{of}/∂{wrt}∂{wrt2}"

    def _print_TaylorMark(self, mark: TaylorMark) -> str:
        degree = str(mark.order).translate(SUBSCRIPTS)
        return f"T{degree} {self._print(mark.of)} at {self._print(mark.at)}"

    def _dim(self, size: sympy.Expr) -> str:
        """MN, not M N: a product of sizes reads as one size."""
        if isinstance(size, sympy.Mul):
            return "".join(self._print(f) for f in size.args)
        return self._print(size)


def _holds_product(coefficient: sympy.Basic) -> bool:
    """Whether a scalar in front of matrices contains a matrix product (xᵀBx), which must
    be bracketed there: xᵀBx (x − a) would read as one long matrix product."""
    return any(isinstance(f, Scalar) and picked_entry(f) is None
               and isinstance(f.matrix, sympy.MatMul) for f in sympy.Mul.make_args(coefficient))


def entry_indices(entry: Entry) -> tuple[sympy.Basic, ...]:
    """The indices an entry is written with: both for a matrix, one for a vector (whose
    other index is 0)."""
    return tuple(i for i in entry.args[1:] if i != 0 or not i.is_Number)


def unit_entry(entry: Entry) -> Delta:
    """(e_p)_k, the k-th entry of the p-th unit vector, as a reader writes it: δ_pk."""
    (index,) = entry_indices(entry)
    return Delta(entry.matrix.index, index)


def _ends_in_digit(text: str) -> bool:
    """W2 ends in a digit: an entry of it, or a name after it, needs a mark (W2 x, (W2)_12),
    or it would read as one name."""
    return text[-1:] in set("0123456789")


def _has_verbatim(expr: sympy.Basic) -> bool:
    return any(isinstance(s, Verbatim) for s in expr.free_symbols)


def applied(expr: ElementwiseApplyFunction, argument_text: str) -> sympy.Basic:
    """f applied entry by entry, as f(argument): the body with its variable renamed."""
    function, argument = expr.function, expr.expr
    (variable,) = function.variables
    bare = _is_simple(argument) or _only_function_argument(function.expr, variable) or (
        isinstance(argument, ElementwiseApplyFunction)
        and _only_function_argument(argument.function.expr, argument.function.variables[0])
    ) or isinstance(argument, Softmax | sympy.Trace | sympy.Determinant) or (  # softmax(z)
        _term_of_sum(function.expr, variable) and isinstance(argument, sympy.MatMul)
        and not _is_negative_product(argument))  # 2 − Ax: a product binds tighter
    if _raised_in(function.expr, variable) and isinstance(
            argument, sympy.Transpose | sympy.Inverse | sympy.MatPow):
        bare = False  # (Σ⁻¹)^(1/3), never Σ⁻¹^(1/3)
    name = argument_text if bare else f"({argument_text})"
    return function.expr.xreplace({variable: Verbatim(name)})


def _enclosed(text: str) -> bool:
    """Whether one pair of brackets holds the whole text: (a + b), not (a)^(1/3) or (a) (b)."""
    depth = 0
    for at, character in enumerate(text):
        depth += {"(": 1, ")": -1}.get(character, 0)
        if depth == 0:
            return at == len(text) - 1 and at > 0
    return False


def _ends_in_superscript(text: str) -> bool:
    """Whether LaTeX ends in a superscript, x^2 or x^{\\frac{1}{3}} (braces nested)."""
    if re.search(r"\^\w$", text):
        return True
    if not text.endswith("}"):
        return False
    depth = 0
    for at in range(len(text) - 1, -1, -1):
        depth += {"}": 1, "{": -1}.get(text[at], 0)
        if depth == 0:
            return text[:at].endswith("^")
    return False


def _raised_in(body: sympy.Basic, variable: sympy.Basic) -> bool:
    """Whether the variable is the base of a power in the body (t ↦ t^{1/3})."""
    return any(isinstance(part, sympy.Pow) and part.base == variable
               for part in sympy.preorder_traversal(body))


def _term_of_sum(body: sympy.Basic, variable: sympy.Basic) -> bool:
    """t ↦ c + t or c − t: the variable is a term of a sum (not inside a product or power)."""
    return isinstance(body, sympy.Add) and any(
        term == variable or term == -variable for term in body.args)


def _is_negative_product(product: sympy.MatMul) -> bool:
    first = product.args[0]
    return bool(first.is_number and first.is_extended_negative)


def _only_function_argument(body: sympy.Basic, variable: sympy.Basic) -> bool:
    """Whether the variable appears only as f(t), so that its text needs no parentheses."""
    if body == variable:
        return False
    if isinstance(body, sympy.Function) and body.args == (variable,):
        return True
    return all(_only_function_argument(a, variable) for a in body.args)


_TALL = re.compile(r"\\(?:[dt]?frac|sum|prod|int|underbrace|begin|sqrt|binom|left)")


def textbook_name(name: str) -> str | None:
    """W1 as W_{1}, yhat as \\hat{y}, mu2 as \\mu_{2}: a letter (or a Greek letter's name)
    with a number or a hat, as textbooks write it; the reader reads both back as the name."""
    match = re.fullmatch(r"([A-Za-z]+?)(hat)?(\d*)", name)
    if match is None or bool(match.group(2)) == bool(match.group(3)):  # one mark, not both
        return None
    stem, hat, number = match.groups()
    if len(stem) > 1 and stem not in GREEK_LATEX:
        return None
    letter = GREEK_LATEX.get(stem, stem)
    body = f"\\hat{{{letter}}}" if hat else letter
    return f"{{{body}_{{{number}}}}}" if number else body  # braced: {W_{1}}_{ij}, {W_{1}}^{\\top}


class MmlLatexPrinter(_Parenthesizing, LatexPrinter):
    """LaTeX as MML prints it: y^{\\top} S^{-1} y, \\operatorname{diag}(\\cos(z)) A."""

    hadamard = " \\odot "

    def _print_Pow(self, expr: sympy.Pow) -> str:
        entrywise = self._entrywise_power(expr)
        if entrywise is not None:
            return entrywise
        exponent = expr.exp
        if exponent.is_Rational and exponent.q > 2:  # u^{1/3}, not \sqrt[3]{u}
            base = self.parenthesize(expr.base, PRECEDENCE["Pow"], strict=False)
            return f"{base}^{{\\frac{{{exponent.p}}}{{{exponent.q}}}}}"
        return str(super()._print_Pow(expr))

    def _bracket(self, text: str) -> str:
        """(x) around one line of type, \\left( \\right) around a fraction or a sum: after
        a function name \\left( adds TeX's thin space, the gap of "tanh (z)"."""
        return f"\\left({text}\\right)" if _TALL.search(text) else f"({text})"

    _add_parens = _bracket  # sympy's name for the same thing

    def _print(self, expr: Any, **kwargs: Any) -> str:
        text = str(super()._print(expr, **kwargs))
        return self._called(text) if isinstance(expr, sympy.Function) else text

    def _called(self, text: str) -> str:
        """sympy writes a call name{\\left(arguments \\right)} (log, tanh, …, each by its
        own method): the same brackets as matcalc's own calls."""
        opening, closing = "{\\left(", " \\right)}"
        start = text.find(opening)  # sympy writes name{\left(arguments \right)}
        if start > 0 and text.endswith(closing):
            return text[:start] + self._bracket(text[start + len(opening):-len(closing)])
        return text

    def __init__(self, settings: dict[str, Any] | None = None, *, bold: bool = True) -> None:
        super().__init__({"mul_symbol": None, "inv_trig_style": "abbreviated",
                          "long_frac_ratio": 6,  # \\frac{1}{√d}(…): a long top breaks
                          **(settings or {})})
        self.bold = bold  # vectors and matrices in bold, as MML sets them

    def _print_Symbol(self, expr: sympy.Symbol, style: str = "plain") -> str:
        if expr.name in GREEK_LATEX:
            return GREEK_LATEX[expr.name]
        textbook = textbook_name(expr.name)
        if textbook is not None:
            return textbook
        if len(expr.name) > 1 and "_" not in expr.name and "\\" not in expr.name \
                and not expr.name.startswith("("):
            return "\\mathit{" + expr.name + "}"
        return super()._print_Symbol(expr, style)

    def _print_MatrixSymbol(self, expr: sympy.MatrixSymbol) -> str:
        text = self._print_Symbol(sympy.Symbol(expr.name))
        if not self.bold or expr.shape == (1, 1):
            return text
        numbered = re.fullmatch(r"\{(.+?)_(\{\d+\})\}", text)  # {W_{1}}: bold W, upright 1
        if numbered:
            return "{\\boldsymbol{" + numbered.group(1) + "}_" + numbered.group(2) + "}"
        return f"\\boldsymbol{{{text}}}"

    def _print_Dummy(self, expr: sympy.Dummy) -> str:
        return self._print_Symbol(sympy.Symbol(expr.name))

    def _print_Tuple(self, expr: sympy.Tuple) -> str:  # an index tuple: (i, j, k, l)
        return "(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Scalar(self, expr: Any) -> str:
        picked = picked_entry(expr)
        if picked is not None:
            return self._subscripted(*picked)
        return self._print(expr.matrix)

    def _subscripted(self, matrix: sympy.Basic, indices: tuple[sympy.Basic, ...]) -> str:
        """An entry is a number, in italics: x_{1}, X_{12}, \\operatorname{softmax}(z)_{k};
        (W_{2})_{12} and (Ax)_{k} in brackets."""
        if isinstance(matrix, sympy.MatrixSymbol):
            text = self._print_Symbol(sympy.Symbol(matrix.name))
            text = self._bracket(text) if "_" in text else text
        else:
            text = self._print(matrix)
            text = text if isinstance(matrix, Softmax) or _is_call(matrix) else self._bracket(text)
        return f"{text}_{{{''.join(map(self._print, indices))}}}"

    def _print_UnitVector(self, expr: Any) -> str:
        letter = "\\boldsymbol{e}" if self.bold else "e"
        return f"{letter}_{{{self._print(expr.index)}}}"

    def _print_Transpose(self, expr: sympy.Transpose) -> str:
        if isinstance(expr.arg, sympy.Inverse):
            return self._superscripted(expr.arg.arg) + "^{-\\top}"
        if isinstance(expr.arg, Diff):  # (dU)^T
            return self._bracket(self._print(expr.arg)) + "^{\\top}"
        return self._superscripted(expr.arg) + "^{\\top}"

    def _print_Inverse(self, expr: sympy.Inverse) -> str:
        return self._superscripted(expr.arg) + "^{-1}"

    def _superscripted(self, base: sympy.Basic) -> str:
        """The base of a superscript, bracketed if it ends in one already: (x^{2})^{\\top},
        never x^{2}^{\\top}, which TeX refuses."""
        text = self.parenthesize(base, PRECEDENCE["Pow"], strict=True)
        return self._bracket(text) if _ends_in_superscript(text) else text

    def _print_Identity(self, expr: sympy.Identity) -> str:
        return "I"

    def _print_ZeroMatrix(self, expr: sympy.ZeroMatrix) -> str:
        return "0"

    def _print_OneMatrix(self, expr: sympy.OneMatrix) -> str:
        rows, cols = expr.shape
        column = "\\mathbf{1}_{" + self._print(rows) + "}"
        if cols == 1:
            return column
        row = "\\mathbf{1}_{" + self._print(cols) + "}^{\\top}"
        return row if rows == 1 else f"{column} {row}"

    def _print_MatMul(self, expr: sympy.MatMul) -> str:
        coefficient, matrices = _split_coefficient(expr)
        pieces = []
        for matrix in matrices:
            text = self.parenthesize(matrix, PRECEDENCE["Mul"], strict=False)
            if isinstance(matrix, sympy.MatAdd) and text == self._print(matrix):
                text = self._bracket(text)  # a sum in a product is always bracketed
            pieces.append(text)
        prefix = ""
        if coefficient == -1:
            prefix = "-"
        elif coefficient != 1:
            sign = "-" if coefficient.as_coeff_Mul()[0] < 0 else ""
            magnitude = -coefficient if sign else coefficient
            text = self._print(magnitude)
            if isinstance(magnitude, sympy.Add) or _holds_product(magnitude):
                text = self._bracket(text)
            prefix = sign + text + " "
        joined = pieces[0]
        for index in range(1, len(pieces)):  # A \, dX \, B, not AdXB
            differential = isinstance(matrices[index - 1], Diff) or isinstance(
                matrices[index], Diff)
            joined += (" \\, " if differential else " ") + pieces[index]
        return prefix + joined

    def _print_MatAdd(self, expr: sympy.MatAdd) -> str:
        terms = _ordered_terms(self.written, expr)
        text = self._print(terms[0])
        for term in terms[1:]:
            if is_negative(term):
                text += " - " + self._print(sympy.MatMul(-term.args[0], *term.args[1:]))
            else:
                text += " + " + self._print(term)
        return text

    def _print_Add(self, expr: sympy.Add, order: str | None = None) -> str:
        terms = _ordered_terms(self.written, expr)  # sympy's own order: numbers first, 1 + z
        text = self._print(terms[0])
        for term in terms[1:]:
            text += (" - " + self.parenthesize(-term, PRECEDENCE["Add"], strict=True)) \
                if is_negative(term) else (" + " + self._print(term))
        return text

    def _print_Norm(self, expr: Any, exp: str | None = None) -> str:
        frobenius = shape_of(expr.arg)[1] != 1
        text = "\\left\\|" + self._print(expr.arg) + "\\right\\|" + (
            "_{F}" if frobenius else "")
        return f"{text}^{{{exp}}}" if exp else text

    def _print_Trace(self, expr: sympy.Trace) -> str:
        return "\\operatorname{tr}" + self._bracket(self._print(expr.arg))

    def _print_Determinant(self, expr: sympy.Determinant) -> str:
        return "\\det" + self._bracket(self._print(expr.arg))

    def _print_DiagMatrix(self, expr: Any) -> str:
        return "\\operatorname{diag}" + self._bracket(self._print(expr.args[0]))

    def _print_HadamardProduct(self, expr: sympy.HadamardProduct) -> str:
        return " \\odot ".join(self.parenthesize(a, PRECEDENCE["Mul"]) for a in expr.args)

    def _print_KroneckerProduct(self, expr: sympy.KroneckerProduct) -> str:
        return " \\otimes ".join(self._sized(a) for a in expr.args)

    def _sized(self, factor: sympy.Basic) -> str:
        if isinstance(factor, sympy.Identity):
            return "I_{" + self._print(factor.shape[0]) + "}"
        text = self.parenthesize(factor, PRECEDENCE["Mul"])
        if isinstance(factor, sympy.MatMul) and factor.args[0] == -1:
            return self._bracket(text)
        return text

    def _print_Vec(self, expr: Any) -> str:
        return "\\operatorname{vec}" + self._bracket(self._print(expr.arg))

    def _print_Softmax(self, expr: Any) -> str:
        return "\\operatorname{softmax}" + self._bracket(self._print(expr.arg))

    def _print_LogSumExp(self, expr: Any) -> str:
        return "\\operatorname{lse}" + self._bracket(self._print(expr.arg))

    def _print_Applied(self, expr: Any) -> str:
        arguments = ", ".join(self._print(a) for a in expr.arguments)
        return self._print(expr.args[0]) + self._bracket(arguments)

    _print_AppliedVector = _print_Applied

    def _print_AbstractPartial(self, expr: Any) -> str:
        name = self._print(expr.applied.args[0])
        by = self._print(expr.args[2])
        if self.bold and shape_of(expr.argument) != (1, 1):  # ∂p/∂z with z a vector
            by = f"\\boldsymbol{{{by}}}"
        return f"\\frac{{\\partial {name}}}{{\\partial {by}}}"

    def _print_Abs(self, expr: sympy.Abs, exp: str | None = None) -> str:
        if self.__dict__.get("_entrywise"):
            text = "\\operatorname{abs}" + self._bracket(self._print(expr.args[0]))
            return f"{text}^{{{exp}}}" if exp else text
        return str(super()._print_Abs(expr, exp))

    def _print_Commutation(self, expr: Any) -> str:
        return f"K_{{{self._print(expr.args[0])},{self._print(expr.args[1])}}}"

    def _print_Diff(self, expr: Any) -> str:
        text = self._print(expr.arg)
        return "\\mathrm{d}" + (text if _is_name(expr.arg) else self._bracket(text))

    _print_DiffScalar = _print_Diff

    def _print_Entry(self, expr: Any) -> str:
        matrix = expr.matrix
        if isinstance(matrix, UnitVector):
            return self._print_Delta(unit_entry(expr))
        return self._subscripted(matrix, entry_indices(expr))

    def _print_Delta(self, expr: Any) -> str:
        return "\\delta_{" + "".join(self._print(i) for i in expr.args) + "}"

    def _print_Lambda(self, expr: sympy.Lambda) -> str:
        (variable,) = expr.variables
        return f"{self._print(variable)} \\mapsto {self._print(expr.expr)}"

    def _print_Verbatim(self, expr: Verbatim) -> str:
        return str(expr.name)

    def _print_Mul(self, expr: sympy.Mul) -> str:
        entrywise = self._entrywise_factors(expr)
        if entrywise is not None:
            return entrywise
        written = _written_factors(self.written, expr)
        if written is not None:  # a x^⊤x, as MML sets it; (1 - t) \log(1 - s)
            return " ".join(self.parenthesize(f, PRECEDENCE["Mul"], strict=True)
                            for f in written)
        coefficient, rest = expr.as_coeff_Mul()
        if coefficient < 0:
            return "-" + self.parenthesize(-expr, PRECEDENCE["Mul"], strict=True) \
                if not isinstance(-expr, sympy.Add) else \
                "-" + self._bracket(self._print(-expr))
        if coefficient.is_Rational and not coefficient.is_Integer and \
                not _has_denominator(rest):
            return (f"\\frac{{{coefficient.p}}}{{{coefficient.q}}} "
                    + self.parenthesize(rest, PRECEDENCE["Mul"], strict=True))
        return str(super()._print_Mul(expr))

    def _print_exp(self, expr: sympy.exp, exp: str | None = None) -> str:
        text = "\\exp" + self._bracket(self._print(expr.args[0]))
        return f"{text}^{{{exp}}}" if exp else text

    def _print_Function(self, expr: sympy.Function, exp: str | None = None) -> str:
        """A function of matcalc's own (sigmoid) by the name the function table gives it;
        sympy's (sin, log) as sympy sets them."""
        record = functions.of_expression(expr)
        if record is None or record.derivative is None:  # sympy's own function
            return str(super()._print_Function(expr, exp))
        name = "\\sigma" if record.name == "sigmoid" and self.sigma else record.latex
        text = name + self._bracket(self._print(expr.args[0]))
        return f"{text}^{{{exp}}}" if exp else text

    def _print_Shape(self, shape: Shape) -> str:
        return "\\mathbb{R}^{" + " \\times ".join(self._print(d) for d in shape.dims) + "}"

    def _print_Dims(self, dims: Dims) -> str:
        return " \\times ".join(self._print(d) for d in dims.shape.dims)

    def _print_Space(self, space: Space) -> str:
        shape = space.shape
        if space.binary:
            power = self._print(shape.rows) if shape.cols == 1 else self._print(Dims(shape))
            return f"\\{{0, 1\\}}^{{{power}}}"
        if shape.is_scalar:
            return "\\mathbb{R}"
        if shape.cols == 1:
            return f"\\mathbb{{R}}^{{{self._print(shape.rows)}}}"
        return self._print_Shape(shape)

    def _print_PartialMark(self, mark: PartialMark) -> str:
        d = "\\mathrm{d}" if mark.total else "\\partial "
        of, wrt = self._print(mark.of), self._print(mark.wrt)
        if _is_simple(mark.of) or isinstance(mark.of, Entry | Vec):
            return f"\\frac{{{d}{of}}}{{{d}{wrt}}}"
        return f"\\frac{{{d}}}{{{d}{wrt}}}\\left({of}\\right)"

    def _print_SecondMark(self, mark: SecondMark) -> str:
        of, wrt = self._print(mark.of), self._print(mark.wrt)
        if mark.wrt == mark.wrt2:
            return f"\\frac{{\\mathrm{{d}}^{{2}} {of}}}{{\\mathrm{{d}}{wrt}^{{2}}}}"
        return (f"\\frac{{\\partial^{{2}} {of}}}"
                f"{{\\partial {wrt} \\, \\partial {self._print(mark.wrt2)}}}")

    def _print_TaylorMark(self, mark: TaylorMark) -> str:
        return (f"T_{{{mark.order}}} {self._print(mark.of)} \\;\\mathrm{{at}}\\; "
                f"{self._print(mark.at)}")


@dataclass(frozen=True)
class Dims:
    """1×D, as written under a factor of the chain (a Shape without the ℝ)."""

    shape: Shape


@dataclass(frozen=True)
class Space:
    """ℝ, ℝ^D, ℝ^{m×n}: where a declared variable lives (vectors by their length);
    {0, 1}^K for a vector of zeros and ones."""

    shape: Shape
    binary: bool = False


@dataclass(frozen=True)
class PartialMark:
    """∂f/∂z (or df/dx when total) for names or expressions."""

    of: Any
    wrt: Any
    total: bool = False


@dataclass(frozen=True)
class TaylorMark:
    """T₂f at x0: a Taylor polynomial's name (read back as a target)."""

    of: Any
    order: int
    at: Any


@dataclass(frozen=True)
class SecondMark:
    """d²f/dx² (∂²f/∂x∂y for two variables): a second derivative's name."""

    of: Any
    wrt: Any
    wrt2: Any


LATEX_STYLES = ("bold", "plain")


@dataclass(frozen=True, eq=False)
class Notation:
    """How one solution's formulas print: each sum and product its problem wrote in the order
    it wrote them, the LaTeX style (vectors and matrices in bold, as MML sets them, or in
    plain italics), and a memo of what it has printed (a partial in its table, its step and
    the chain: printed once). Renderers are given one per solution; ``PLAIN`` prints a
    formula alone (no written order, bold, no memo)."""

    written: Written = field(default_factory=lambda: MappingProxyType({}))
    style: str = "bold"
    memo: dict[tuple[str, sympy.Basic], str] | None = field(default_factory=dict, repr=False)
    sigma: bool = True  # the sigmoid as σ, unless the problem names σ (σ would read back so)

    def __post_init__(self) -> None:
        if self.style not in LATEX_STYLES:
            raise ValueError(f"unknown LaTeX style {self.style!r}; choose one of "
                             f"{', '.join(LATEX_STYLES)}")

    @classmethod
    def of(cls, problem: Any, style: str = "bold") -> Notation:
        """The notation of a problem's solution: its written orders, in the given style."""
        names = {d.name for d in (*problem.declarations, *problem.definitions)}
        return cls(MappingProxyType(dict(problem.written_orders)), style,
                   sigma="sigma" not in names)

    @cached_property
    def _unicode(self) -> UnicodePrinter:
        printer = UnicodePrinter({"order": "none"})
        printer.written = self.written
        printer.sigma = self.sigma
        return printer

    @cached_property
    def _latex(self) -> MmlLatexPrinter:
        printer = MmlLatexPrinter(bold=self.style == "bold")
        printer.written = self.written
        printer.sigma = self.sigma
        return printer

    def _once(self, kind: str, expr: sympy.Basic, print_: Callable[[sympy.Basic], str]) -> str:
        if self.memo is None:
            return print_(expr)
        key = (kind, expr)
        if key not in self.memo:
            self.memo[key] = print_(expr)
        return self.memo[key]

    def unicode(self, expr: Any) -> str:
        """Unicode text for an expression, a Shape, Dims, a Space or a derivative's mark."""
        return self._once("unicode", expr, lambda e: str(self._unicode.doprint(e)))

    def latex(self, expr: Any) -> str:
        """LaTeX (math mode) for an expression, a Shape, Dims, a Space or a derivative's
        mark."""
        return self._once("latex", expr, lambda e: str(self._latex.doprint(e)))


PLAIN = Notation(memo=None)


def unicode(expr: Any) -> str:
    """Unicode text for a formula alone (a solution's renderers use its Notation)."""
    return PLAIN.unicode(expr)


def latex(expr: Any) -> str:
    """LaTeX (math mode) for a formula alone, in bold (a solution's renderers use its
    Notation)."""
    return PLAIN.latex(expr)


__all__ = ["PLAIN", "Dims", "MmlLatexPrinter", "Notation", "PartialMark", "SecondMark", "Space",
           "TaylorMark", "UnicodePrinter", "is_negative", "latex", "unicode"]


def _is_call(matrix: sympy.Basic) -> bool:
    """f(u) entry by entry for one function f of the entry alone, printed as the call
    step(Wx): its entries are step(Wx)_k, with no second bracket."""
    if not isinstance(matrix, ElementwiseApplyFunction):
        return False
    (t,) = matrix.function.variables
    body = matrix.function.expr
    return isinstance(body, sympy.Function) and body.args == (t,)


def grid(matrix: Any) -> str:
    """An explicit matrix in brackets, a line per row, each entry in matcalc's one-line
    notation (A_11 B_21) and the columns aligned: linear in the number of entries (sympy's
    pretty printer took 3.5 s for the 4,096 entries of an 8×8 by 8×8 derivative)."""
    rows, cols = matrix.shape
    cells = [[unicode(matrix[i, j]) for j in range(cols)] for i in range(rows)]
    widths = [max(len(cells[i][j]) for i in range(rows)) for j in range(cols)]
    lines = []
    for i, row in enumerate(cells):
        left, right = (("[", "]") if rows == 1 else ("⎡", "⎤") if i == 0 else
                       ("⎣", "⎦") if i == rows - 1 else ("⎢", "⎥"))
        lines.append(left + "  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True))
                     + right)
    return "\n".join(lines)

"""The matrix differential's rule table (engine/differential.py): every identity is a record
whose cited form is built from math, never prose, with letters the problem does not use;
the identities, printed as text and LaTeX, are collected into tests/golden/differential.txt
(read it as a student). That each rule's terms are right is checked against numpy in
tests/engine/test_matrix.py and by every matrix problem's check."""

from __future__ import annotations

from collections.abc import Callable

import sympy
from sympy import (
    Determinant,
    HadamardProduct,
    Inverse,
    Lambda,
    MatMul,
    MatPow,
    MatrixSymbol,
    Trace,
)
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix

from matcalc.engine.differential import DIFFERENTIAL_RULES, differential
from matcalc.model import Math
from matcalc.objects import ENTRY, Applied, LogSumExp, Norm, Scalar, Softmax
from matcalc.render import sentence as say
from matcalc.render.printers import latex, unicode

n = sympy.Symbol("n", integer=True, positive=True)
X, A = MatrixSymbol("X", n, n), MatrixSymbol("A", n, n)
x = MatrixSymbol("x", n, 1)
s = sympy.Symbol("s", real=True)

# one expression each rule of the table differentiates (by X), in the table's order
EXAMPLES: dict[str, sympy.Basic] = {
    "OfScalar": Scalar(MatMul(x.T, X, x)),
    "SumRule": X + A,
    "ProductRule": MatMul(X, A, X),
    "ScalarProduct": sympy.Mul(Trace(X), Trace(MatMul(A, X))),
    "TransposeRule": sympy.Transpose(X),
    "InverseRule": Inverse(X),
    "TraceRule": Trace(MatMul(A, X)),
    "DeterminantRule": Determinant(X),
    "NormRule": Norm(X),
    "EntrywiseRule": ElementwiseApplyFunction(Lambda(ENTRY, sympy.tanh(ENTRY)), X),
    "DiagRule": DiagMatrix(X * x),
    "HadamardRule": HadamardProduct(X, A * X),
    "SoftmaxRule": Softmax(X * x),
    "RowSoftmaxRule": Softmax(MatMul(A, X)),
    "LogSumExpRule": LogSumExp(X * x),
    "AbstractRule": Applied(sympy.Symbol("p"), X * x, x),
    "MatrixPower": MatPow(X, 3),
    "PowerRule": Trace(X) ** 3,
    "ScalarFunction": sympy.log(Trace(X)),
}


def test_every_rule_has_an_example_here() -> None:
    assert [rule.__name__ for rule in DIFFERENTIAL_RULES] == list(EXAMPLES)


def test_each_example_is_taken_by_its_rule() -> None:
    for rule in DIFFERENTIAL_RULES:
        first = next(r for r in DIFFERENTIAL_RULES if r.match(EXAMPLES[rule.__name__]))
        assert first is rule, (rule.__name__, first.__name__)


def test_identities_are_math_and_use_letters_the_problem_does_not() -> None:
    for name, expr in EXAMPLES.items():
        _, cited = differential(expr, X)
        for sentence in cited:
            words = [p for p in sentence if isinstance(p, str)]
            assert all(set(w) <= set(" ,;=abcdefghijklmnopqrstuvwxyz") for w in words), (
                name, words)  # the formulas are Math, so LaTeX sets them as math
            letters = {str(sym) for p in sentence if isinstance(p, Math)
                       for sym in getattr(p.expr, "free_symbols", ())}
            assert "X" not in letters and "A" not in letters, (name, letters)


def test_identities_read_as_a_student(golden: Callable[[str, str], None]) -> None:
    lines = []
    for name, expr in EXAMPLES.items():
        _, cited = differential(expr, X)
        lines.append(f"{name}: {unicode(expr)}")
        for sentence in cited:
            lines.append("    " + say.fill(sentence, unicode))
            lines.append("    " + say.fill(sentence, lambda e: f"${latex(e)}$"))
    golden("differential.txt", "\n".join(lines) + "\n")

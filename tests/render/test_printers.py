"""One exact string per construct (sympy's test_latex style)."""

from __future__ import annotations

import pytest
import sympy
from sympy import Identity, Inverse, MatAdd, MatMul, MatrixSymbol, Trace, Transpose
from sympy.matrices.expressions.diagonal import DiagMatrix

import matcalc
from matcalc.model import Shape
from matcalc.objects import Norm, Scalar
from matcalc.render.printers import latex, unicode

D = sympy.Symbol("D", integer=True, positive=True)
x = MatrixSymbol("x", D, 1)
mu = MatrixSymbol("mu", D, 1)
S = MatrixSymbol("S", D, D)
A = MatrixSymbol("A", D, D)
residual = MatAdd(x, MatMul(-1, mu))


@pytest.mark.parametrize("expr, text, tex", [
    (Transpose(x), "xᵀ", "x^{\\top}"),
    (Transpose(residual), "(x − μ)ᵀ", "(x - \\mu)^{\\top}"),
    (Inverse(S), "S⁻¹", "S^{-1}"),
    (Transpose(Inverse(S)), "S⁻ᵀ", "S^{-\\top}"),
    (MatMul(Transpose(x), Inverse(S), x), "xᵀS⁻¹x", "x^{\\top} S^{-1} x"),
    (MatMul(2, Transpose(x)), "2xᵀ", "2 x^{\\top}"),
    (Scalar(MatMul(Transpose(x), x)), "xᵀx", "x^{\\top} x"),
    (Norm(x) ** 2, "‖x‖²", "\\left\\|x\\right\\|^{2}"),
    (Trace(A), "tr(A)", "\\operatorname{tr}(A)"),
    (DiagMatrix(x), "diag(x)", "\\operatorname{diag}(x)"),
    (Identity(D), "I", "I"),
    (sympy.Rational(-1, 2) * sympy.Symbol("z"), "−½z", "-\\frac{1}{2} z"),
    (MatMul(MatrixSymbol("W1", D, D), x), "W1 x", "{W_{1}} x"),  # not W1x, one name
    (MatMul(A, MatrixSymbol("W2", D, D), x), "AW2 x", "A {W_{2}} x"),
])
def test_notation(expr: sympy.Basic, text: str, tex: str) -> None:
    """The constructs in plain italics (bold vectors are tested on their own below)."""
    from matcalc.render.printers import Notation

    assert unicode(expr) == text
    assert Notation(style="plain").latex(expr) == tex


def test_elementwise_function_prints_as_applied() -> None:
    z = MatrixSymbol("z", D, 1)
    assert unicode(z.applyfunc(sympy.cos)) == "cos(z)"
    t = sympy.Dummy("t")
    from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

    squared = ElementwiseApplyFunction(sympy.Lambda(t, 1 - sympy.tanh(t) ** 2), MatAdd(x, mu))
    assert unicode(squared) == "1 − tanh(x + μ)²"


def test_an_entrywise_power_of_a_marked_matrix_is_bracketed() -> None:
    """(S⁻¹)^(1/3) and ((S⁻¹)^(1/3))ᵀ: a second superscript never follows the first, which
    TeX refuses (x^{-1}^{…} is a double superscript) and a reader misreads."""
    from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

    t = sympy.Dummy("t")
    root = ElementwiseApplyFunction(sympy.Lambda(t, t ** sympy.Rational(1, 3)), Inverse(S))
    assert unicode(root) == "(S⁻¹)^(1/3)"
    assert unicode(Transpose(root)) == "((S⁻¹)^(1/3))ᵀ"
    assert latex(Transpose(root)) == \
        "\\left((\\boldsymbol{S}^{-1})^{\\frac{1}{3}}\\right)^{\\top}"


def test_shapes_print_as_real_spaces() -> None:
    assert unicode(Shape((1, D))) == "ℝ^{1×D}"
    assert latex(Shape((D, D))) == "\\mathbb{R}^{D \\times D}"


def test_latex_style_bold_or_plain_and_both_read_back() -> None:
    """MML sets vectors and matrices in bold; --latex-style plain sets them in italics.
    Either way an entry is a number (x_i, not bold) and the formula reads back as written."""
    import numpy as np

    from matcalc.language import read_expression
    from matcalc.numeric import evaluate
    from matcalc.render.printers import Notation, latex

    text = "x, b1, yhat in R^D\nW1 in R^{D x D}\nf = x^T x\nfind df/dx"
    problem = matcalc.solve(text, check=False).problem
    symbols = {d.name: d.symbol for d in problem.declarations}
    expr = symbols["W1"].T * symbols["x"] + symbols["b1"] - symbols["yhat"]
    bold = latex(expr)
    plain = Notation(style="plain").latex(expr)
    assert bold == ("{\\boldsymbol{W}_{1}}^{\\top} \\boldsymbol{x} + {\\boldsymbol{b}_{1}} "
                    "- \\boldsymbol{\\hat{y}}")
    assert plain == "{W_{1}}^{\\top} x + {b_{1}} - \\hat{y}"
    rng = np.random.default_rng(6)
    values = {symbols[n]: rng.normal(size=(3, 3) if n == "W1" else (3, 1)) for n in symbols}
    sizes = {d: 3 for declared in problem.declarations for d in declared.shape.dims
             if isinstance(d, sympy.Symbol)}
    want = evaluate(expr, values, sizes)
    for written in (bold, plain):
        read = read_expression(written, problem.declarations, None)
        assert np.allclose(evaluate(read, values, sizes), want), written

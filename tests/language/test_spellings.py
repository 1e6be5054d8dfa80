"""Two spellings, one meaning: a random expression written in ASCII and in the LaTeX of
lecture notes (with the LaTeX habits that once misled the reader: \\sin^2 x, \\sin(x)^2,
\\operatorname{tr} without a space, \\log\\det A, functions without brackets, \\frac, \\cdot)
reads to the same value."""

from __future__ import annotations

from collections.abc import Callable

import hypothesis.strategies as st
import numpy as np
import sympy
from hypothesis import given

from matcalc.language import read_expression
from matcalc.model import Declaration, Shape
from matcalc.numeric import evaluate
from tests.engine.test_properties import FAST

D = sympy.Symbol("D", integer=True, positive=True)
SYMBOLS = {
    "c": sympy.Symbol("c", real=True),
    "x": sympy.MatrixSymbol("x", D, 1),
    "a": sympy.MatrixSymbol("a", D, 1),
    "B": sympy.MatrixSymbol("B", D, D),
}
DECLARATIONS = [Declaration(name, symbol, Shape(symbol.shape if name != "c" else (1, 1)),
                            frozenset(), None)  # type: ignore[arg-type]
                for name, symbol in SYMBOLS.items()]

Pair = tuple[str, str]


def scalar_leaf() -> st.SearchStrategy[Pair]:
    return st.sampled_from([
        ("c", "c"),
        ("x^T a", r"x^\top a"),
        ("x^T B x", r"\mathbf{x}^{\top} B \mathbf{x}"),
        ("||x||^2", r"\|x\|_2^2"),
        ("||a - x||^2", r"\left\| a - x \right\|^{2}"),
        ("tr(B)", r"\operatorname{tr}(B)"),
        ("tr(B^T B)", r"\mathrm{tr}\left(B^\top B\right)"),
        ("tr(B x a^T)", r"\operatorname{tr} B x a^\top"),
        ("det(B)", r"\det B"),
        ("log(det(B^T B + I))", r"\log\det (B^\top B + I)"),
        ("sum(exp(x))", r"\mathbf{1}_D^\top \exp(x)"),
        ("1/2", r"\frac12"),
        ("2", "2"),
        # constructs this version added, in both spellings
        ("||x||_1", r"\|x\|_1"),
        ("||x||_3", r"\left\| x \right\|_{3}"),
        ("log(det(B))", r"\log|B|"),
        ("exp(x^T a)", r"e^{x^\top a}"),
        ("sum(sigmoid(x))", r"\mathbf{1}^\top \sigma(x)"),
        ("sum(log(1 + exp(x)))", r"\boldsymbol{1}_D^\top \operatorname{softplus}(x)"),
        ("sum(x .* x + c)", r"\mathbf{1}^\top (x \odot x + c)"),
        ("sum(1/(1 + exp(-B x)))", r"𝟏_Dᵀ \frac{1}{1 + \exp(-B x)}"),
        ("x^T a", r"x \cdot a"),
        ("D c", r"D \times c"),
    ])


FUNCTIONS = ["sin", "cos", "exp", "tanh", "sigmoid"]


def binary(ascii_form: str, latex_form: str) -> Callable[[tuple[Pair, Pair]], Pair]:
    """Two spellings of one operation on two operands, each already in both spellings."""
    def both(operands: tuple[Pair, Pair]) -> Pair:
        (a_ascii, a_latex), (b_ascii, b_latex) = operands
        return ascii_form.format(a_ascii, b_ascii), latex_form.format(a_latex, b_latex)

    return both


def scalar(depth: int) -> st.SearchStrategy[Pair]:
    if depth == 0:
        return scalar_leaf()
    inner = scalar(depth - 1)
    function = st.sampled_from(FUNCTIONS)
    return st.one_of(
        scalar_leaf(),
        st.tuples(inner, inner).map(binary("({0}) + ({1})",
                                           r"\left({0}\right) + \left({1}\right)")),
        st.tuples(inner, inner).map(binary("({0}) - ({1})", r"{{{0}}} - \left({1}\right)")),
        st.tuples(inner, inner).map(binary("({0}) * ({1})",
                                           r"\left({0}\right) \cdot \left({1}\right)")),
        st.tuples(inner, inner).map(binary("({0}) / (1 + ({1})^2)",
                                           r"\frac{{{0}}}{{1 + \left({1}\right)^2}}")),
        st.tuples(function, inner).map(lambda p: (f"{p[0]}({p[1][0]})",
                                                  rf"\{p[0]}\left({p[1][1]}\right)"
                                                  if p[0] != "sigmoid" else
                                                  rf"\operatorname{{sigmoid}}({p[1][1]})")),
        st.tuples(function, inner).map(lambda p: (f"{p[0]}({p[1][0]})^2",
                                                  rf"\{p[0]}({p[1][1]})^2"
                                                  if p[0] != "sigmoid" else
                                                  rf"\mathrm{{sigmoid}}({p[1][1]})^{{2}}")),
        st.tuples(function, inner).map(lambda p: (f"{p[0]}({p[1][0]})^2",
                                                  rf"\{p[0]}^2 \left({p[1][1]}\right)"
                                                  if p[0] != "sigmoid" else
                                                  rf"\operatorname{{sigmoid}}^2({p[1][1]})")),
        st.tuples(st.sampled_from(["sin", "cos", "exp", "tanh"]), scalar_leaf().filter(
            lambda p: not any(word in p[0] + p[1] for word in (
                "exp", "log", "sigma", "softplus", "cdot", "times", "𝟏", "|")))).map(
            lambda p: (f"{p[0]}(2 {p[1][0]})", rf"\{p[0]} 2 {p[1][1]}")
            if p[1][0] not in {"1/2", "2"} else (f"{p[0]}({p[1][0]})", rf"\{p[0]} {p[1][1]}")),
        inner.map(lambda p: (f"log(1 + ({p[0]})^2)", rf"\ln\left(1 + {{{p[1]}}}^2\right)")),
        inner.map(lambda p: (f"sqrt(1 + ({p[0]})^2)", rf"\sqrt{{1 + \left({p[1]}\right)^2}}")),
    )


def value(text: str) -> float:
    expr = read_expression(text, DECLARATIONS)
    rng = np.random.default_rng(11)
    values = {SYMBOLS["c"]: 0.7, SYMBOLS["x"]: rng.normal(0, 0.5, (3, 1)),
              SYMBOLS["a"]: rng.normal(0, 0.5, (3, 1)),
              SYMBOLS["B"]: rng.normal(0, 0.5, (3, 3)) + 3 * np.eye(3)}
    return float(np.asarray(evaluate(expr, values, {D: 3})).reshape(-1)[0])


@FAST
@given(scalar(3))
def test_ascii_and_latex_spellings_read_alike(pair: Pair) -> None:
    ascii_text, latex_text = pair
    np.testing.assert_allclose(value(latex_text), value(ascii_text), rtol=1e-9,
                               err_msg=f"{ascii_text!r} vs {latex_text!r}")

"""The function table (matcalc/functions.py): every function a problem may write is read,
differentiated, printed and evaluated from its one record. Each is checked here against a
numpy function written by hand, so a record whose sympy form, derivative or numpy form is
wrong fails, and a record added without a reference here fails too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import sympy

import matcalc
from matcalc import functions
from matcalc.numeric import evaluate
from tests.conftest import ROOT
from tests.independent import assert_derivative, sigmoid

# f(t) for each function name, written by hand
REFERENCE: dict[str, Callable[[Any], Any]] = {
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "exp": np.exp, "log": np.log,
    "tanh": np.tanh, "sinh": np.sinh, "cosh": np.cosh, "sigmoid": sigmoid,
    "sqrt": np.sqrt, "abs": np.abs, "sign": np.sign,
    "softplus": lambda t: np.log(1 + np.exp(t)),
    "softsign": lambda t: t / (1 + np.abs(t)),
    "relu": lambda t: np.maximum(t, 0), "step": lambda t: (np.asarray(t) > 0).astype(float),
}
POSITIVE = {"log", "sqrt"}  # defined for positive arguments only


def test_every_function_a_problem_may_write_has_a_reference_here() -> None:
    assert set(functions.ENTRYWISE_BY_NAME) == set(REFERENCE)


@pytest.mark.parametrize("word", sorted(w for w in functions.WORDS
                                        if functions.WORDS[w] in REFERENCE))
@pytest.mark.parametrize("size", (3, 5))
def test_each_spelling_differentiates_as_its_function(word: str, size: int) -> None:
    reference = REFERENCE[functions.WORDS[word]]
    rng = np.random.default_rng(size)
    shift = 2.0 if functions.WORDS[word] in POSITIVE else 0.0
    A = rng.normal(size=(size, size)) * 0.3
    x = rng.normal(size=size) * 0.5
    text = (f"x in R^D; A in R^{{D x D}}; f = 1_D^T {word}(A x + {shift:g} 1_D)\n"
            "find df/dx, df/dA")
    for target, values in ((0, {"x": x, "A": A}), (1, {"x": x, "A": A})):
        assert_derivative(text.replace("; ", "\n"),
                          lambda x, A: np.sum(reference(A @ x + shift)),
                          {"D": size}, values, target=target)


@pytest.mark.parametrize("record", [f for f in functions.ENTRYWISE if f.kind is not None],
                         ids=lambda f: f"{f.name}:{f.kind.__name__}")
def test_numpy_form_is_the_sympy_form(record: functions.Entrywise) -> None:
    """The check evaluates a function by its record: the numbers of the reference written
    here, or of sympy's own evaluation for the functions only derivatives contain."""
    t = sympy.Symbol("t", real=True)
    for point in (0.3, 1.7, 2.4):  # positive: log and sqrt are real there
        applied = record.kind(t)  # type: ignore[misc]
        expected = (REFERENCE[record.name](point) if record.words
                    else float(applied.subs(t, point).evalf()))
        got = evaluate(applied, {t: point}, {})
        assert np.isclose(float(np.squeeze(got)), expected), record.name


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_each_function_prints_by_its_name_and_reads_back(name: str) -> None:
    derivation = matcalc.solve(f"x in R^D\nf = 1_D^T {name}(x)", check=False).derivations[0]
    text, latex = derivation.to_text(), derivation.to_latex()
    assert "1_D" not in text
    spelled = {"abs": "|", "sqrt": "√", "sigmoid": "σ"}.get(name, name)  # σ, as MML
    assert spelled in text or name == "softplus"  # read as log(1 + exp(t))
    assert "\\operatorname{" + name + "}" in latex or name == "sigmoid" or name in {
        "sin", "cos", "tan", "exp", "log", "tanh", "sinh", "cosh", "sqrt", "softplus"}


def test_the_language_reference_lists_every_function() -> None:

    text = (ROOT / "docs" / "language.md").read_text("utf-8")
    line = next(line for line in text.splitlines() if line.startswith("- Functions `"))
    listed = set(line.split("`")[1].split())
    written = {w for w in functions.WORDS if functions.WORDS[w] in REFERENCE} - {"sigma_fn"}
    assert listed == written


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_each_function_printed_in_text_and_latex_reads_back_to_its_value(name: str) -> None:
    """\\operatorname{softsign}(x), |x|, √x …: what the printers write is read as the same
    function (the LaTeX spelling, not only the ASCII word)."""
    from matcalc.language import read_expression
    from matcalc.render.printers import latex, unicode

    problem = matcalc.solve(f"x in R^D\nf = 1_D^T {name}(x + 2 1_D)", check=False).problem
    expr = problem.definitions[0].expr
    x = problem.declarations[0].symbol
    D = next(iter(x.shape[0].free_symbols))
    values = {x: np.array([[0.3], [1.1], [0.7]])}
    expected = evaluate(expr, values, {D: 3})
    for printed in (unicode(expr), latex(expr)):
        again = read_expression(printed, problem.declarations, None)
        assert np.allclose(evaluate(again, values, {D: 3}), expected), printed


@pytest.mark.parametrize("record", [f for f in functions.ENTRYWISE if f.kind is not None],
                         ids=lambda f: f"{f.name}:{f.kind.__name__}")
def test_code_form_is_the_sympy_form(record: functions.Entrywise) -> None:
    """The code a module is written with computes each function as its reference does,
    and stays finite far out where the reference is (a stable sigmoid and softplus)."""
    t = sympy.Symbol("t", real=True)
    code = eval(f"lambda t: {record.code.replace('{}', 't')}", {"np": np})  # the table's own
    for point in (0.3, 1.7, 2.4):
        expected = (REFERENCE[record.name](point) if record.words
                    else float(record.kind(t).subs(t, point).evalf()))  # type: ignore[misc]
        assert np.isclose(code(np.float64(point)), expected), record.name
    with np.errstate(all="ignore"):
        far = code(np.array([-1e3, 1e3]))
    if record.name in ("sigmoid", "softplus", "tanh", "softsign"):
        assert np.all(np.isfinite(far)), (record.name, far)

"""No crash, no hang, whatever the input: every text either solves (derived and checked) or
raises a MatcalcError that points at a line and column. Inputs are the files in problems/
mutated at random (characters and tokens inserted, deleted, swapped; lines duplicated and
dropped) and random token soups from the language's own vocabulary."""

from __future__ import annotations

import json
import time
import zlib

import hypothesis.strategies as st
import sympy
from hypothesis import HealthCheck, given, settings

import matcalc
from matcalc.errors import MatcalcError
from tests.conftest import PROBLEMS
from tests.engine.test_properties import FAST

PROBLEMS = [p.read_text(encoding="utf-8")
            for p in PROBLEMS]
TOKENS = ["x", "A", "W", "b", "f", "z", "D", "E", "in", "R^D", "R^{D x D}", "R^{E x D}", "=",
          "+", "-", "*", "/", "^T", "^{-1}", "^2", "'", "(", ")", "{", "}", "[", "]", "|",
          "||", "_k", "_2", "_F", ",", ";", "\n", " ", "sin", "exp", "log", "tr", "det",
          "softmax", "sigmoid", "sum", "diag", "I", "1", "0", "2", ".5", "\\frac{1}{2}",
          "\\sin", "\\log", "\\det", "\\operatorname{tr}", "\\mathbf{x}", "\\top", "\\mu",
          "\\in", "\\mathbb{R}", "\\times", "\\cdot", "\\odot", "\\otimes", ".*", "⊙", "ᵀ",
          "⁻¹", "²", "−", "𝟏", "1_D", "e_k", "find", "df/dx", "dF/dX", "find df/dA",
          "symmetric", "positive definite", "is", "problem:", "## h", "#", "$", "\r",
          "\\left(", "\\right)", "h(x)", "g(u, v)", "p(x, z)", "differentiable", "\\sigma",
          "W^{(1)}", "\\hat{y}", "e^{x}", "σ", "∈", "ℝ", "×", "\\",
          # constructs read since (each once a misreading or a refusal)
          "\\sqrt[3]", "\\sqrt", "X_{12}", "_{ij}", "W_1", "\\mathbf{W}_1", "grad f",
          "\\nabla", "vec", "kron", "orthogonal", "\\mathrm{d}", "dvec(F)/dvec(X)",
          "X in R^{D x E}", "^\\mathsf{T}", "\\langle", "\\rangle", ".^2",
          # second derivatives and Taylor polynomials
          "find d2f/dx2", "d2f/dxdy", "d^2", "\\partial^2", "hessian", "wrt", "H_x",
          "\\nabla^2", "taylor", "at", "order", "T_2", "x0", "x_0", "x0 in R^D", "softsign",
          # what students write (issue 18)
          "sum_n", "\\sum_{n=1}^{N}", "x_n", "y_n", "X in R^{N x D}", "relu", "max(0,",
          "\\max(0,", "\\max\\{", "\\}", "{0,1}^K", "R^{D^2}", "one-hot", "sums to one",
          "softmax(A)", "softmax(A x)", "sqrt(D)", "**"]
LIMIT_SECONDS = 20.0


def outcome(text: str) -> None:
    """Solve and render in every format (JSON strict, text without control characters), or
    fail with a located MatcalcError; anything else fails the test."""
    start = time.perf_counter()
    if zlib.crc32(text.encode("utf-8", "surrogatepass")) % 8 == 0:
        command_line(text)  # a share of the inputs through the command line too
    try:
        rendered(matcalc.solve_all(text), text)
    except MatcalcError as error:
        assert error.span is not None, (
            f"an error without a location: {error}\n--- input ---\n{text}")
        assert str(error), text
    elapsed = time.perf_counter() - start
    assert elapsed < LIMIT_SECONDS, f"took {elapsed:.1f} s:\n{text}"


def command_line(text: str) -> None:
    """matcalc solve -e TEXT, as text and as JSON into a file: exit 0, 1 (a located error
    or a failed check) or 2, never an internal error or a traceback."""
    import contextlib
    import io
    import tempfile

    from matcalc.cli import main

    for arguments in (["--no-color"], ["--format", "json", "-o"]):
        errors, output = io.StringIO(), io.StringIO()
        with tempfile.TemporaryDirectory() as folder, contextlib.redirect_stderr(errors), \
                contextlib.redirect_stdout(output):
            extra = [*arguments, f"{folder}/out.json"] if "-o" in arguments else arguments
            code = main(["solve", "-e", text, *extra])
        said = errors.getvalue()
        assert code in (0, 1, 2) and "internal error" not in said and "Traceback" not in said, (
            f"{said}\n--- input ---\n{text}")


def rendered(solutions: list[matcalc.Solution], text: str) -> None:
    """Every format renders: JSON parses strictly, the text has no control character but
    line breaks, and HTML has its closing tag."""
    from matcalc.render import FORMATS, render_all

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    for fmt in FORMATS:
        output = render_all(solutions, fmt)
        if fmt == "json":
            json.loads(output, parse_constant=refuse)
        if fmt == "text":
            assert not [c for c in output if ord(c) < 32 and c not in "\n"], text
        if fmt == "html":
            assert output.rstrip().endswith("</html>"), text


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(PROBLEMS))
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "line", "swap"]))
        if action == "insert":
            text = text[:position] + draw(st.sampled_from(TOKENS)) + text[position:]
        elif action == "delete":
            text = text[:position] + text[position + draw(st.integers(1, 6)):]
        elif action == "replace":
            text = text[:position] + draw(st.sampled_from(TOKENS)) + text[position + 1:]
        elif action == "swap" and 0 < position < len(text):
            text = text[:position - 1] + text[position] + text[position - 1] + text[position + 1:]
        else:
            lines = text.splitlines()
            if lines:
                index = draw(st.integers(0, len(lines) - 1))
                lines.insert(index, lines[draw(st.integers(0, len(lines) - 1))]) if draw(
                    st.booleans()) else lines.pop(index)
            text = "\n".join(lines)
    return text


SOUP = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=25).map(" ".join).map(
    lambda body: "x in R^D\nA, W in R^{D x D}\nb in R^D\n" + body)

FUZZ = settings(FAST, max_examples=150,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.data_too_large])


@FUZZ
@given(mutated())
def test_mutated_problems_solve_or_fail_with_a_location(text: str) -> None:
    outcome(text)


@FUZZ
@given(SOUP)
def test_token_soup_solves_or_fails_with_a_location(text: str) -> None:
    outcome(text)


def test_large_inputs_are_refused_or_solved_in_time() -> None:
    outcome("x in R\nf = " + " + ".join(f"x^{i}" for i in range(1, 501)))
    outcome("x in R\nf = " + "sin(" * 100 + "x" + ")" * 100)
    outcome("x in R\nf = " + "(" * 300 + "x" + ")" * 300)
    outcome("x in R\n" + "\n".join(f"a{i} = sin(a{i - 1})" if i else "a0 = x"
                                   for i in range(150)) + "\nf = a149\nfind df/dx")
    # no find line: the variable is found through the definitions, each visited once (it
    # was found by substituting them, which doubles at every residual layer: a hang)
    outcome("\n".join(["x in R^D", "A in R^{D x D}", "h0 = x",
                       *(f"h{k} = tanh(A h{k - 1}) + h{k - 1}" for k in range(1, 41)),
                       "f = h40^T h40"]))


def test_limits_are_errors_with_a_location() -> None:
    import pytest

    with pytest.raises(MatcalcError, match="nests deeper than 60 levels") as deep:
        matcalc.solve_all("x in R\nf = " + "(" * 80 + "x" + ")" * 80)
    assert deep.value.span is not None and deep.value.span.line == 2
    with pytest.raises(MatcalcError, match="at most 100,000"):
        matcalc.solve_all("x in R\nf = x" + " " * 100_001)
    residual = "\n".join(["x in R^D", "A in R^{D x D}", "h0 = x",
                          *(f"h{k} = tanh(A h{k - 1}) + h{k - 1}" for k in range(1, 141)),
                          "f = h140^T h140"])
    with pytest.raises(MatcalcError, match="levels deep when its definitions are written "
                                           "out; matcalc reads at most 400") as written:
        matcalc.solve_all(residual)
    assert written.value.span is not None and written.value.span.line == 137  # h134


def test_the_deepest_accepted_network_solves_and_checks() -> None:
    """Just under the written-out depth limit, everything works: the check evaluates the
    130-layer residual network (about 390 levels) without running out of stack."""
    residual = "\n".join(["x in R^D", "A in R^{D x D}", "h0 = x",
                          *(f"h{k} = tanh(A h{k - 1}) + h{k - 1}" for k in range(1, 131)),
                          "f = h130^T h130", "find df/dx"])
    derivation = matcalc.solve(residual).derivations[0]
    assert derivation.checked is not None and derivation.checked.passed


def test_evaluate_at_a_singular_point_is_an_error() -> None:
    import numpy as np
    import pytest

    derivation = matcalc.solve("x, u in R^D; f = det(x u^T); find df/dx",
                               check=False).derivations[0]
    with pytest.raises(MatcalcError, match="singular"):
        derivation.evaluate({"D": 3}, {"x": np.ones(3), "u": np.ones(3)})


def test_a_lone_carriage_return_is_a_line_break() -> None:
    outcome("\r Chains whose links are tensors: a title\nx in R^D\nf = x^T x")
    outcome("x in R^D\rf = x^T x\r\nfind df/dx")


def test_a_sum_of_many_fractions_is_not_brought_together() -> None:
    """sympy's cancel takes exponential time in the number of denominators (over 100 s for
    these eight); past MAX_CANCEL_DENOMINATORS the coefficient is shown as derived."""
    from matcalc.engine.identities import MAX_CANCEL_DENOMINATORS

    terms = 2 * MAX_CANCEL_DENOMINATORS
    names = ", ".join(f"b{i}" for i in range(terms + 1))
    text = (f"x in R^D\n{names} in R\nf = "
            + " + ".join(f"1/(b{i} + b{i + 1}^2 + x^T x)" for i in range(terms))
            + "\nfind df/dx")
    derivation = matcalc.solve(text).derivations[0]
    assert derivation.checked is not None and derivation.checked.passed
    denominators = {p.base for p in sympy.preorder_traversal(derivation.result)
                    if isinstance(p, sympy.Pow) and p.exp.is_negative}
    assert len(denominators) == terms

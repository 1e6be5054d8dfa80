"""Sums over data points, Σ_n g(wᵀx_n, y_n): each derivative against numpy that loops over
the data points by hand (never against matcalc's own reading), the readings that would be
guesses refused at their place, and a property over random summands."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import matcalc
from matcalc.errors import MatcalcError
from tests.independent import assert_derivative, sigmoid

ROWS = "w in R^D\ny in R^N\nX in R^{N x D}\nc in R\n"
COLUMNS = "w in R^D\ny in R^N\nX in R^{D x N}\nc in R\n"


def by_rows(term: Callable[..., Any]) -> Callable[..., Any]:
    """Σ_n term(w, x_n, y_n, c) with x_n the n-th row of X, written as a loop."""
    return lambda w, y, X, c: sum(term(w, X[n], y[n], c) for n in range(len(y)))


CASES: dict[str, Callable[..., Any]] = {
    r"\sum_{n=1}^{N} (y_n - w^T x_n)^2": by_rows(lambda w, x, y, c: (y - w @ x) ** 2),
    "sum_n (y_n - x_n^T w)^2 + c ||w||^2":
        lambda w, y, X, c: by_rows(lambda w, x, y, c: (y - x @ w) ** 2)(w, y, X, c)
        + c * w @ w,
    r"\sum_n \log(1 + \exp(-y_n \mathbf{w}^\top \mathbf{x}_n))":
        by_rows(lambda w, x, y, c: np.log1p(np.exp(-y * (w @ x)))),
    "sum_{n} max(0, 1 - y_n w^T x_n)": by_rows(lambda w, x, y, c: max(0.0, 1 - y * (w @ x))),
    r"-\sum_{n=1}^{N} [y_n \log(\sigma(w^T x_n)) + (1 - y_n) \log(1 - \sigma(w^T x_n))]":
        by_rows(lambda w, x, y, c: -(y * np.log(sigmoid(w @ x))
                                     + (1 - y) * np.log(1 - sigmoid(w @ x)))),
    r"1/N \sum_n (y_n - w^T x_n)^2":
        lambda w, y, X, c: by_rows(lambda w, x, y, c: (y - w @ x) ** 2)(w, y, X, c) / len(y),
    r"\sum_{n=1}^{N} c ||w||^2": lambda w, y, X, c: len(y) * c * (w @ w),
    r"\sum_n (w^T w) y_n (x_n^T w)": by_rows(lambda w, x, y, c: (w @ w) * y * (x @ w)),
    r"\sum_n \frac{y_n}{1 + (w^T x_n)^2}": by_rows(lambda w, x, y, c: y / (1 + (w @ x) ** 2)),
}


@pytest.mark.parametrize("written", CASES)
@pytest.mark.parametrize("seed", [1, 2])
def test_a_sum_over_data_by_hand(written: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    N, D = 5, 3
    values = {"w": rng.normal(size=D), "y": rng.uniform(0.1, 0.9, N),
              "X": rng.normal(size=(N, D)), "c": float(rng.uniform(0.5, 1.5))}
    assert_derivative(f"{ROWS}L = {written}\nfind dL/dw", CASES[written], {"N": N, "D": D},
                      values)


def test_data_points_as_columns() -> None:
    """X ∈ ℝ^{D×N}: x_n is the n-th column, and wᵀx_n is (Xᵀw)_n."""
    rng = np.random.default_rng(3)
    N, D = 5, 3
    values = {"w": rng.normal(size=D), "y": rng.normal(size=N), "X": rng.normal(size=(D, N)),
              "c": 1.0}
    assert_derivative(f"{COLUMNS}L = sum_n (y_n - w^T x_n)^2\nfind dL/dw",
                      lambda w, y, X, c: sum((y[n] - w @ X[:, n]) ** 2 for n in range(N)),
                      {"N": N, "D": D}, values)


def test_a_sum_over_the_entries_of_a_vector() -> None:
    rng = np.random.default_rng(4)
    assert_derivative("x in R^D\nf = \\sum_i x_i^2 + \\sum_{i=1}^{D} sin(x_i)\nfind df/dx",
                      lambda x: np.sum(x**2) + np.sum(np.sin(x)), {"D": 4},
                      {"x": rng.normal(size=4)})


def test_the_echo_shows_the_reading() -> None:
    solution = matcalc.solve(f"{ROWS}L = sum_n (y_n - w^T x_n)^2\nfind dL/dw")
    assert "L = 𝟏_Nᵀ (y − Xw)²" in solution.to_text()


@pytest.mark.parametrize("text, message, culprit", [
    (ROWS + "L = sum_n (y_n - w^T x_n)^2 + y_n", "y_n uses the index n of the sum sum_n, "
     "but stands outside it", "y_n\n"),
    (ROWS + r"L = \sum_n y_n + (w^T x_n)^2", "x_n uses the index n", "x_n)"),
    (ROWS + "L = sum_n (c x_n)^T w", "x_n is a data point, met here outside an inner product",
     "x_n)"),
    (ROWS + "L = sum_n ||x_n||^2", "varies with n in a way matcalc does not read", "||x_n||"),
    (ROWS + "L = sum_n (y_n + w)^2", "w is not a number", "w)"),
    ("w in R^D\ny in R^N\nL = sum_n (y_n - w^T x_n)^2", "no data matrix X is declared", "x_n"),
    ("w in R^D\nX in R^{D x D}\nL = sum_n (w^T x_n)^2", "is a row or a column of X", "x_n"),
    ("w in R^D\ny in R^M\nX in R^{N x D}\nL = sum_n (y_n - w^T x_n)^2",
     "the sum has M terms, but the data X is N×D", "x_n"),
    (ROWS + r"L = \sum_{n=1}^{K} (y_n - w^T x_n)^2", "the sum's bound K is not a declared size",
     r"\sum"),
    (ROWS + "L = sum_n", "sum_n needs a summand", "sum_n"),
    (ROWS + "L = sum_n sum_m y_n", "a sum inside a sum is not read", "sum_m"),
    ("w in R^D\nL = sum_n (w^T w)", "the number of terms of sum_n is not clear", "sum_n"),
])
def test_what_would_be_a_guess_is_refused(text: str, message: str, culprit: str) -> None:
    with pytest.raises(MatcalcError) as caught:
        matcalc.solve(text + "\nfind dL/dw")
    lines = str(caught.value).splitlines()
    assert message in lines[0], lines[0]
    echoed, caret = lines[1:3]
    last = culprit.endswith("\n")  # the last one on the line
    where = echoed.rindex(culprit.rstrip()) if last else echoed.index(culprit)
    assert caret.index("^") == where, str(caught.value)


# ---- a property: random summands, as a loop by hand ------------------------------------

Term = tuple[str, Callable[[Any, Any, Any, float], Any]]
LEAVES: list[Term] = [
    ("w^T x_n", lambda w, x, y, c: w @ x),
    ("x_n^T w", lambda w, x, y, c: x @ w),
    ("y_n", lambda w, x, y, c: y),
    ("c", lambda w, x, y, c: c),
    ("w^T w", lambda w, x, y, c: w @ w),
]
FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "sin": np.sin, "tanh": np.tanh, "sigmoid": sigmoid, "exp": lambda t: np.exp(t / 4),
}


def terms(depth: int) -> st.SearchStrategy[Term]:
    leaves = st.sampled_from(LEAVES)
    if depth == 0:
        return leaves
    inner = terms(depth - 1)

    def function(pair: tuple[str, Term]) -> Term:
        name, (text, f) = pair
        written = f"exp(({text})/4)" if name == "exp" else f"{name}({text})"
        return written, lambda w, x, y, c: FUNCTIONS[name](f(w, x, y, c))

    return st.one_of(
        leaves,
        st.tuples(inner, inner).map(lambda p: (f"({p[0][0]}) + ({p[1][0]})",
                                               lambda w, x, y, c: p[0][1](w, x, y, c)
                                               + p[1][1](w, x, y, c))),
        st.tuples(inner, inner).map(lambda p: (f"({p[0][0]}) - ({p[1][0]})",
                                               lambda w, x, y, c: p[0][1](w, x, y, c)
                                               - p[1][1](w, x, y, c))),
        st.tuples(inner, inner).map(lambda p: (f"({p[0][0]}) ({p[1][0]})",
                                               lambda w, x, y, c: p[0][1](w, x, y, c)
                                               * p[1][1](w, x, y, c))),
        inner.map(lambda t: (f"({t[0]})^2", lambda w, x, y, c: t[1](w, x, y, c) ** 2)),
        st.tuples(st.sampled_from(sorted(FUNCTIONS)), inner).map(function),
        inner.map(lambda t: (f"log(1 + ({t[0]})^2)",
                             lambda w, x, y, c: np.log1p(t[1](w, x, y, c) ** 2))),
    )


@settings(max_examples=150, deadline=None, derandomize=bool(os.environ.get("CI")),
          suppress_health_check=[HealthCheck.too_slow])
@given(terms(3))
def test_random_summands_against_a_loop(term: Term) -> None:
    text, function = term
    rng = np.random.default_rng(5)
    N, D = 4, 3
    values = {"w": rng.normal(size=D) * 0.5, "y": rng.normal(size=N),
              "X": rng.normal(size=(N, D)) * 0.5, "c": 0.7}
    assert_derivative(f"{ROWS}L = \\sum_{{n=1}}^{{N}} ({text})\nfind dL/dw", by_rows(function),
                      {"N": N, "D": D}, values, rtol=1e-5, atol=1e-6)


def test_a_name_that_looks_like_a_sum_stays_a_name_when_declared() -> None:
    """sum_a in R is a number named sum_a (declared names come first), not a sum over a."""
    rng = np.random.default_rng(6)
    assert_derivative("sum_a in R\nx in R^D\nf = sum_a x^T x\nfind df/dx",
                      lambda sum_a, x: sum_a * (x @ x), {"D": 3},
                      {"sum_a": 1.5, "x": rng.normal(size=3)})

"""Declared spaces beyond ℝ^D and ℝ^{m×n} (issue 18): ℝ^{D²}, a size that is a power of a
named size, and {0,1}^K, vectors of zeros and ones (labels), which nothing is
differentiated by. Each derivative against numpy written by hand."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import matcalc
from matcalc.errors import MatcalcError
from tests.independent import assert_derivative, sigmoid


def test_a_size_that_is_a_power_of_a_named_size() -> None:
    text = "x in R^{D^2}\nB in R^{D^2 x D}\nu in R^D\nf = x^T B u\nfind df/dB"
    rng = np.random.default_rng(1)
    values = {"x": rng.normal(size=9), "B": rng.normal(size=(9, 3)), "u": rng.normal(size=3)}
    assert_derivative(text, lambda x, B, u: x @ B @ u, {"D": 3}, values)
    solution = matcalc.solve(text)
    assert "x ∈ ℝ^D²" in solution.to_text() and "\\mathbb{R}^{D^{2}}" in solution.to_latex()
    # the sizes are read from the arrays too: x has D² entries when B is D² × D
    got = solution.derivations[0].evaluate(values)
    np.testing.assert_allclose(got, np.outer(values["x"], values["u"]))


@pytest.mark.parametrize("text, message", [
    ("x in R^{D^7}\nf = x^T x", "a size D\\^k with k from 1 to 4"),
    ("x in R^{D^0}\nf = x^T x", "a size D\\^k with k from 1 to 4"),
    ("t in R, one-hot\nf = t^2", "t is a number, so it cannot be one-hot"),
    ("t in R, sums to one\nf = t^2", "t is a number, so it cannot sum to one"),
])
def test_a_declaration_that_cannot_hold_is_refused_at_its_line(text: str, message: str
                                                                ) -> None:
    with pytest.raises(MatcalcError, match=message) as caught:
        matcalc.solve(text)
    assert caught.value.span is not None and caught.value.span.line == 1


LOGISTIC = """X in R^{N x D}
y in {0,1}^N
w in R^D
L = -y^T log(sigmoid(X w)) - (1 - y)^T log(1 - sigmoid(X w))
find dL/dw"""


def test_labels_in_zero_one_are_data_and_the_loss_is_derived_by_w() -> None:
    def loss(X: Any, y: Any, w: Any) -> Any:
        p = sigmoid(X @ w)
        return -(y @ np.log(p)) - (1 - y) @ np.log(1 - p)

    rng = np.random.default_rng(2)
    values = {"X": rng.normal(size=(5, 3)), "y": rng.integers(0, 2, 5).astype(float),
              "w": rng.normal(size=3)}
    assert_derivative(LOGISTIC, loss, {"N": 5, "D": 3}, values)
    solution = matcalc.solve(LOGISTIC)
    assert "y ∈ {0, 1}^N" in solution.to_text()
    assert "\\{0, 1\\}^{N}" in solution.to_latex()
    assert "binary" not in solution.to_text()  # said by the space, not as a word


def test_the_check_and_the_exported_check_draw_zeros_and_ones() -> None:
    from matcalc.check import respecting
    from matcalc.model import Property

    drawn = respecting(np.random.default_rng(0).normal(size=(50, 1)),
                       frozenset({Property.BINARY}), np.random.default_rng(0))
    assert set(np.unique(drawn)) == {0.0, 1.0}
    source = matcalc.solve(LOGISTIC).to_numpy()
    assert "_binary(" in source
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    namespace["check_problem_1"](0)
    y = namespace["_binary"](np.random.default_rng(0).normal(size=8))
    assert set(np.unique(y)) == {0.0, 1.0}


@pytest.mark.parametrize("text, message, column", [
    ("y in {0,1}^K\nz in R^K\nf = -y^T log(softmax(z))\nfind df/dy",
     "y is declared in \\{0,1\\}\\^K, so its entries are 0 or 1", 6),
    ("y in \\{0, 1\\}^K\nz in R^K\nf = -y^T z\nfind d2f/dy2",
     "y is declared in \\{0,1\\}\\^K", 6),
    ("z in R^K\nf = exp(z) in {0,1}^K", "f is defined, so it cannot be declared in", 1),
])
def test_no_derivative_by_a_vector_of_zeros_and_ones(text: str, message: str,
                                                      column: int) -> None:
    with pytest.raises(MatcalcError, match=message) as caught:
        matcalc.solve(text)
    assert caught.value.span is not None and caught.value.span.column == column


def test_with_no_find_line_the_labels_are_not_the_variable() -> None:
    derivation = matcalc.solve("y in {0,1}^K\nz in R^K\nf = -y^T log(softmax(z))"
                               ).derivations[0]
    assert derivation.target.wrt == "z"


def softmax(z: Any) -> Any:
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


@pytest.mark.parametrize("declared", ["y in {0,1}^K, one-hot", "y in R^K\ny is one-hot",
                                      "y in R^K, sums to one"])
def test_cross_entropy_by_the_logits_is_softmax_minus_y(declared: str) -> None:
    """With 𝟏ᵀy = 1 declared, −yᵀ log softmax(z) by z is softmax(z)ᵀ − yᵀ (without it the
    derivative is softmax(z)ᵀ 𝟏ᵀy − yᵀ, so the property is what makes the textbook form)."""
    text = f"{declared}\nz in R^K\nf = -y^T log(softmax(z))\nfind df/dz"
    rng = np.random.default_rng(4)
    y = np.eye(5)[2] if "one-hot" in declared else rng.dirichlet(np.ones(5))
    values = {"y": y, "z": rng.normal(size=5)}
    assert_derivative(text, lambda y, z: -(y @ np.log(softmax(z))), {"K": 5}, values)
    solution = matcalc.solve(text)
    said = solution.to_text(width=200)
    assert "df/dz = softmax(z)ᵀ − yᵀ ∈ ℝ^{1×K}" in said
    assert "since y sums to one, 𝟏_Kᵀ y = yᵀ 𝟏_K = 1" in said
    assert ("one-hot" if "one-hot" in declared else "sums to one") in said.split("Define")[0]
    assert solution.derivations[0].checked.passed  # type: ignore[union-attr]


def test_cross_entropy_by_the_weights_is_the_outer_product_of_the_error() -> None:
    text = ("y in R^K, one-hot\nx in R^D\nW in R^{K x D}\nL = -y^T log(softmax(W x))\n"
            "find dL/dW")
    rng = np.random.default_rng(5)
    values = {"y": np.eye(3)[0], "x": rng.normal(size=4), "W": rng.normal(size=(3, 4))}
    assert_derivative(text, lambda y, x, W: -(y @ np.log(softmax(W @ x))), {"K": 3, "D": 4},
                      values)
    said = matcalc.solve(text).to_text(width=200)
    assert "dL/dW = (softmax(Wx) − y) xᵀ ∈ ℝ^{K×D}" in said
    assert "∂L/∂W_kl = (softmax(Wx)_k − y_k) x_l" in said
    assert "∂L/∂vec(W) = xᵀ ⊗ (softmax(Wx) − y)ᵀ" in said


def test_one_hot_and_summing_vectors_are_drawn_so_by_both_checks() -> None:
    from matcalc.check import respecting
    from matcalc.model import Property, with_implied

    rng = np.random.default_rng(0)
    one_hot = respecting(rng.normal(size=(6, 1)), with_implied(frozenset({Property.ONE_HOT})),
                         rng)
    assert sorted(one_hot.ravel()) == [0, 0, 0, 0, 0, 1]
    summing = respecting(rng.normal(size=(6, 1)), frozenset({Property.SUMS_TO_ONE}), rng)
    assert np.all(summing > 0) and np.sum(summing) == pytest.approx(1)
    for declared in ("one-hot", "sums to one"):
        source = matcalc.solve(f"y in R^K, {declared}\nz in R^K\nf = -y^T log(softmax(z))\n"
                               "find df/dz").to_numpy()
        namespace: dict[str, Any] = {}
        exec(source, namespace)
        namespace["check_problem_1"](0)
    assert namespace["_one_hot"](np.array([0.1, 3.0, -1.0])).tolist() == [0, 1, 0]


def test_a_matrix_of_zeros_and_ones_is_echoed_with_both_sizes() -> None:
    solution = matcalc.solve("Y in {0,1}^{N x K}\nW in R^{N x K}\nf = tr(Y^T W)\nfind df/dW")
    assert "Y ∈ {0, 1}^{N×K}" in solution.to_text()
    assert "\\{0, 1\\}^{N \\times K}" in solution.to_latex()


@pytest.mark.parametrize("declared", ["Y in R^{N x K}, one-hot", "Y in R^{N x K}, sums to one"])
def test_softmax_regression_with_labels_as_rows_is_x_transposed_times_the_error(
        declared: str) -> None:
    """Each row of Y one-hot (or summing to one): Y𝟏 = 𝟏, so −tr(Yᵀ log softmax(XW)) by W,
    the softmax taken row by row, is −Xᵀ(Y − softmax(XW)); against numpy by hand."""
    text = (f"X in R^{{N x D}}\nW in R^{{D x K}}\n{declared}\n"
            "L = -tr(Y^T log(softmax(X W)))\nfind dL/dW")
    rng = np.random.default_rng(8)
    Y = np.eye(4)[[0, 2, 3, 1, 2]] if "one-hot" in declared else rng.dirichlet(
        np.ones(4), size=5)
    values = {"X": rng.normal(size=(5, 3)), "W": rng.normal(size=(3, 4)), "Y": Y}

    def loss(X: Any, W: Any, Y: Any) -> Any:
        S = X @ W
        P = np.exp(S - S.max(axis=1, keepdims=True))
        return -np.sum(Y * np.log(P / P.sum(axis=1, keepdims=True)))

    assert_derivative(text, loss, {"N": 5, "D": 3, "K": 4}, values)
    solution = matcalc.solve(text)
    said = solution.to_text(width=200)
    assert "dL/dW = −Xᵀ (Y − softmax(XW)) ∈ ℝ^{D×K}" in said
    assert "since each row of Y sums to one, Y 𝟏_K = 𝟏_N" in said
    namespace: dict[str, Any] = {}
    exec(solution.to_numpy(), namespace)
    namespace["check_problem_1"](0)
    rows = namespace["_one_hot" if "one-hot" in declared else "_sums_to_one"](
        rng.normal(size=(6, 3)))
    np.testing.assert_allclose(rows.sum(axis=1), np.ones(6))


def test_sizes_written_only_as_powers_are_drawn_read_and_exported() -> None:
    """x ∈ ℝ^{D²×D³} with no plain D: the check drew no D (an internal TypeError); D is now
    drawn, read from the arrays as the k-th root of an axis, and computed so by the code."""
    text = "x in R^{D^2 x D^3}\nf = tr(x^T x)\nfind df/dx"
    solution = matcalc.solve(text)
    derivation = solution.derivations[0]
    assert derivation.checked is not None and derivation.checked.passed
    x = np.random.default_rng(9).normal(size=(4, 8))
    assert_derivative(text, lambda x: np.sum(x * x), {"D": 2}, {"x": x})
    np.testing.assert_allclose(derivation.evaluate({"x": x}), 2 * x)  # D from the arrays
    np.testing.assert_allclose(derivation.lambdify()(x=x), 2 * x)
    namespace: dict[str, Any] = {}
    exec(solution.to_numpy(), namespace)
    namespace["check_problem_1"](0)


def test_a_function_of_labels_alone_has_nothing_to_differentiate() -> None:
    with pytest.raises(MatcalcError, match="f depends only on y, which is declared constant "
                                           "or in \\{0,1\\}") as caught:
        matcalc.solve("y in {0,1}^K\nf = y^T y")
    assert caught.value.span is not None and caught.value.span.line == 2

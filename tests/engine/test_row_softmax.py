"""softmax of a matrix, taken row by row (attention; issue 18): every derivative against
central differences of numpy written here by hand, refusals with their reasons."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import matcalc
from tests.independent import numeric_gradient


def row_softmax(S: Any) -> Any:
    e = np.exp(S - np.max(S, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


def close(text: str, function: Any, values: dict[str, Any], target: int = 0) -> matcalc.Derivation:
    derivation = matcalc.solve(text).derivations[target]
    assert derivation.checked is not None and derivation.checked.passed
    got = derivation.evaluate(values)
    expected = numeric_gradient(function, values, derivation.target.wrt)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
    return derivation


RNG = np.random.default_rng(11)
QKV = {"Q": RNG.normal(size=(4, 3)), "K": RNG.normal(size=(5, 3)), "V": RNG.normal(size=(5, 2))}
ATTENTION = "Q in R^{N x d}\nK in R^{M x d}\nV in R^{M x e}\nA = softmax(Q K^T / sqrt(d)) V\n"


@pytest.mark.parametrize("wrt", ["Q", "K", "V"])
def test_attention_by_each_of_its_inputs_is_a_checked_tensor(wrt: str) -> None:
    derivation = close(ATTENTION + f"find dA/d{wrt}",
                       lambda Q, K, V: row_softmax(Q @ K.T / np.sqrt(3)) @ V, QKV)
    said = derivation.to_text(width=200)
    assert "The softmax of a matrix is taken row by row" in said


def test_cross_entropy_of_a_softmax_by_rows() -> None:
    rng = np.random.default_rng(2)
    values = {"X": rng.normal(size=(6, 3)), "W": rng.normal(size=(3, 4)),
              "Y": rng.dirichlet(np.ones(4), size=6)}
    derivation = close("X in R^{N x D}\nW in R^{D x K}\nY in R^{N x K}\n"
                       "L = -tr(Y^T log(softmax(X W)))\nfind dL/dW",
                       lambda X, W, Y: -np.sum(Y * np.log(row_softmax(X @ W))), values)
    # P ⊙ (Y ⊙ (1/P)) is Y: the reciprocal cancels, leaving −Xᵀ(Y − P ⊙ (Y𝟏𝟏ᵀ))
    assert "1/softmax" not in derivation.to_text(width=200)
    assert "softmax(XW) ⊙ (Y 𝟏_K 𝟏_Kᵀ)" in derivation.to_text(width=200)


def test_a_transposed_softmax_by_rows() -> None:
    rng = np.random.default_rng(3)
    values = {"S": rng.normal(size=(3, 4)), "B": rng.normal(size=(3, 2))}
    close("S in R^{N x M}\nB in R^{N x e}\nF = softmax(S)^T B\nfind dF/dS",
          lambda S, B: row_softmax(S).T @ B, values)
    close("S in R^{N x M}\nB in R^{N x M}\nf = tr(softmax(S)^T B softmax(S)^T B)\nfind df/dS",
          lambda S, B: np.trace(row_softmax(S).T @ B @ row_softmax(S).T @ B), values | {
              "B": rng.normal(size=(3, 4))})


def test_the_index_formula_of_the_softmax_itself() -> None:
    derivation = close("S in R^{N x M}\nP = softmax(S)\nfind dP/dS", row_softmax,
                       {"S": RNG.normal(size=(2, 3))})
    assert derivation.views is not None and derivation.views.index is not None
    said = derivation.to_text(width=200)
    assert "∂P_ij/∂S_kl = (δ_lj − softmax(S)_il) δ_ik softmax(S)_ij" in said


def test_a_softmax_of_a_column_is_still_over_the_whole_vector() -> None:
    derivation = close("z in R^K\nf = softmax(z)\nfind df/dz",
                       lambda z: np.exp(z) / np.sum(np.exp(z)), {"z": RNG.normal(size=4)})
    assert "row by row" not in derivation.to_text()


@pytest.mark.parametrize("text, message", [
    ("S in R^{N x M}\nF = softmax(S) ⊙ S\nfind dF/dS",
     "an entrywise product with the differential of a row-wise softmax"),
    ("S in R^{N x M}\nF = softmax(softmax(S))\nfind dF/dS",
     "a row-wise softmax of an entrywise product or of another softmax"),
    ("S, G in R^{N x M}\nf = tr(G^T softmax(S))\nfind d2f/dS2", "no rule yet"),
])
def test_what_is_not_derived_through_a_softmax_by_rows_says_so(text: str,
                                                                message: str) -> None:
    with pytest.raises(matcalc.MatcalcError, match=message):
        matcalc.solve(text)


def test_the_exported_code_takes_the_softmax_by_rows() -> None:
    solution = matcalc.solve(ATTENTION.replace("A = ", "Y in R^{N x e}\nA = ")
                             + "L = ||A - Y||_F^2\nfind dL/dQ")
    source = solution.to_numpy()
    assert "def _row_softmax(S):" in source
    namespace: dict[str, Any] = {}
    exec(source, namespace)
    namespace["check_problem_1"](0)


@pytest.mark.parametrize("text", [
    "Q in R^{N x d}\nK in R^{M x d}\nF = softmax(Q K^T)\nfind dF/dQ",
    "Q in R^{N x d}\nK in R^{M x d}\nF = softmax(K Q^T)\nfind dF/dQ",
    "Q in R^{N x d}\nK in R^{M x d}\nB in R^{d x d}\nF = softmax(Q B K^T)\nfind dF/dB",
    "S in R^{N x M}\nF = softmax(S)^T\nfind dF/dS",
])
def test_the_index_formula_through_a_product_agrees_with_the_vec_form(text: str) -> None:
    """S_ij L_ik (R_lj − (R Sᵀ)_li), with dXᵀ and with the whole term transposed: the tensor
    from the index formula equals the vec Jacobian and the finite differences."""
    from matcalc.check import draw_point, index_tensor, random_sizes

    derivation = matcalc.solve(text).derivations[0]
    assert derivation.views is not None and derivation.views.index is not None
    rng = np.random.default_rng(3)
    sizes = random_sizes(derivation.problem, rng)
    values, from_vec, finite = draw_point(derivation, sizes, rng)
    np.testing.assert_allclose(index_tensor(derivation, values, sizes), from_vec, atol=1e-12)
    np.testing.assert_allclose(from_vec, finite.reshape(from_vec.shape), atol=1e-6)

"""Derivatives by and of matrices: gradients, index formulas with Kronecker deltas, and
vectorized Jacobians; the two views of a tensor agree with each other and with finite
differences."""

from __future__ import annotations

import numpy as np
import pytest

import matcalc
from matcalc.check import draw_point, forward, index_tensor, random_sizes
from matcalc.numeric import evaluate
from matcalc.render.printers import unicode
from tests.conftest import ROOT


def derive(text: str) -> matcalc.Derivation:
    return matcalc.solve(text).derivations[0]


@pytest.mark.parametrize("text, gradient, index", [
    ("a in R^m, b in R^n\nX in R^{m x n}\nf = a^T X b\nfind df/dX", "abᵀ", "a_k b_l"),
    ("A in R^{n x m}, X in R^{m x n}\nf = tr(A X)\nfind df/dX", "Aᵀ", "A_lk"),
    ("X in R^{n x n}\nf = log det X\nfind df/dX", "X⁻ᵀ", "(X⁻¹)_lk"),
    ("X in R^{n x n}\nf = det(X)\nfind df/dX", "det(X) X⁻ᵀ", "det(X) (X⁻¹)_lk"),
    ("X in R^{m x n}\nf = ||X||_F^2\nfind df/dX", "2X", "2 X_kl"),
    ("x in R^n, A in R^{n x n}\nf = x^T A x\nfind df/dA", "xxᵀ", "x_k x_l"),
    ("X in R^{n x n}\nf = tr(X)\nfind df/dX", "I", "δ_kl"),
])
def test_scalar_by_matrix_gradient_and_index_formula(text: str, gradient: str,
                                                     index: str) -> None:
    derivation = derive(text)
    assert unicode(derivation.result) == gradient
    assert derivation.views is not None and unicode(derivation.views.index) == index
    assert derivation.checked is not None and derivation.checked.passed


def test_RTR_index_formula_and_vectorized_jacobian() -> None:
    derivation = derive("R in R^{M x N}\nK = R^T R\nfind dK/dR")
    views = derivation.views
    assert views is not None
    assert unicode(views.index) == "δ_il R_kj + δ_lj R_ki"  # MML: δ_qj R_ip + δ_pj R_iq
    assert unicode(views.vec) == "(Rᵀ ⊗ I_N) K_{M,N} + I_N ⊗ Rᵀ"
    assert str(views.tensor) == "N×N×M×N" and str(views.vec_shape) == "N**2×M*N"


@pytest.mark.parametrize("text, vec", [
    ("A in R^{p x m}, X in R^{m x n}, B in R^{n x q}\nF = A X B\nfind dF/dX", "Bᵀ ⊗ A"),
    ("X in R^{n x n}\nF = X^{-1}\nfind dF/dX", "−(X⁻ᵀ ⊗ X⁻¹)"),
    ("X in R^{m x n}\nF = X^T\nfind dF/dX", "K_{m,n}"),
    ("X, Y in R^{m x n}\nF = X .* Y\nfind dF/dX", "diag(vec(Y))"),
    ("x in R^N\nA in R^{M x N}\nf = A x\nfind df/dA", "xᵀ ⊗ I_M"),
])
def test_vectorized_jacobians_in_closed_form(text: str, vec: str) -> None:
    derivation = derive(text)
    assert unicode(derivation.result) == vec
    assert derivation.checked is not None and derivation.checked.passed


def test_vector_by_matrix_follows_MML_example() -> None:
    derivation = derive("x in R^N\nA in R^{M x N}\nf = A x\nfind df/dA")
    assert derivation.views is not None
    assert unicode(derivation.views.index) == "δ_ik x_l"
    value = derivation.evaluate({"M": 2, "N": 3}, {"x": [1.0, 2.0, 3.0], "A": np.ones((2, 3))})
    assert value.shape == (2, 2, 3)
    np.testing.assert_allclose(value[0, 0], [1, 2, 3])
    np.testing.assert_allclose(value[0, 1], 0)


def test_evaluate_returns_the_canonical_tensor_shape() -> None:
    derivation = derive("R in R^{M x N}\nK = R^T R\nfind dK/dR")
    value = derivation.evaluate({"M": 3, "N": 2}, {"R": np.arange(6.0).reshape(3, 2)})
    assert value.shape == (2, 2, 3, 2)
    gradient = derive("X in R^{m x n}\nf = ||X||_F^2\nfind df/dX")
    assert gradient.evaluate({"m": 2, "n": 3}, {"X": np.ones((2, 3))}).shape == (2, 3)


def tensor_problems() -> list[tuple[str, matcalc.Derivation]]:
    found = []
    for path in sorted((ROOT / "problems").glob("*.mc")):
        for solution in matcalc.solve_file(path, check=False):
            for derivation in solution.derivations:
                if derivation.views is not None:
                    found.append((f"{path.stem}:{solution.problem.title}", derivation))
    return found


@pytest.mark.parametrize("name, derivation", tensor_problems(), ids=lambda v: str(v)[:40])
def test_index_view_and_vec_view_agree(name: str, derivation: matcalc.Derivation) -> None:
    rng = np.random.default_rng(3)
    sizes = random_sizes(derivation.problem, rng)
    values, from_vec, finite = draw_point(derivation, sizes, rng)
    from_index = index_tensor(derivation, values, sizes)
    assert from_index.shape == from_vec.shape
    np.testing.assert_allclose(from_index, from_vec, rtol=1e-8, atol=1e-8)
    expected = finite.reshape(from_vec.shape)
    np.testing.assert_allclose(from_vec, expected, rtol=1e-5, atol=1e-5)
    # the vec view, as printed, is the same tensor with columns stacked (order F)
    assert derivation.views is not None
    vec = derivation.views.vec
    shown = np.asarray(evaluate(vec, forward(derivation, vec, values, sizes), sizes),
                       dtype=float)
    np.testing.assert_allclose(shown, from_vec.reshape(shown.shape, order="F"),
                               rtol=1e-8, atol=1e-8)


def test_chain_through_a_tensor_contracts_to_the_gradient() -> None:
    derivation = derive("y in R^N, x in R^D\nW in R^{N x D}\nL = ||e||^2\ne = y - W x\n"
                        "find dL/dW")
    links = derivation.chains[0].links
    assert links[1].step.views is not None
    assert unicode(links[1].step.views.index) == "−δ_ik x_l"
    assert unicode(derivation.result) == "−2(y − Wx) xᵀ"
    assert str(derivation.shape) == "N×D"


def test_dims_writes_out_the_tensor_slice_by_slice() -> None:
    import sympy

    (solution,) = matcalc.solve_all("x in R^N\nA in R^{M x N}\nf = A x\nfind df/dA",
                                    dims={"M": 2, "N": 3})
    explicit = solution.derivations[0].explicit
    assert explicit is not None and dict(explicit.sizes) == {"M": 2, "N": 3}
    x1, x2, x3 = sympy.symbols("x_1 x_2 x_3")
    slices = dict(explicit.slices)
    assert slices[(1, 2)] == sympy.Matrix([[x2], [0]])
    assert slices[(2, 3)] == sympy.Matrix([[0], [x3]])
    assert explicit.vec == sympy.Matrix([[x1, 0, x2, 0, x3, 0], [0, x1, 0, x2, 0, x3]])


def test_dims_for_RTR_matches_the_products_of_entries() -> None:
    import sympy

    (solution,) = matcalc.solve_all("R in R^{M x N}\nK = R^T R\nfind dK/dR",
                                    dims={"M": 2, "N": 2})
    explicit = solution.derivations[0].explicit
    r11, r12 = sympy.symbols("R_11 R_12")
    assert dict(explicit.slices)[(1, 1)] == sympy.Matrix([[2 * r11, r12], [r12, 0]])


def test_dims_missing_a_size_is_an_error() -> None:
    with pytest.raises(matcalc.MatcalcError, match="does not give the size N"):
        matcalc.solve_all("x in R^N\nA in R^{M x N}\nf = A x\nfind df/dA", dims={"M": 2})


def test_dims_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    from matcalc.cli import main

    path = ROOT / "problems" / "vector-by-matrix.mc"
    assert main(["solve", str(path), "--dims", "M=2,N=3", "--width", "100"]) == 0
    out = capsys.readouterr().out
    assert "Written out for M = 2, N = 3" in out and "∂f/∂A_23" in out
    with pytest.raises(SystemExit) as info:
        main(["solve", str(path), "--dims", "M=two"])
    assert info.value.code == 2


def test_index_letters_are_not_the_problems_own() -> None:
    """With the class k of softmax(Wx)_k, the index formulas take other letters than k, in
    the result and in each step (∂L/∂W_kl with e_k inside was unreadable)."""
    derivation = derive("x in R^D\nW in R^{K x D}\nL = -log softmax(W x)_k\nfind dL/dW")
    assert derivation.views is not None
    assert "k" not in {str(letter) for letter in derivation.views.letters}
    for step in derivation.steps:
        if step.views is not None:
            assert "k" not in {str(letter) for letter in step.views.letters}, step.views
    assert derivation.checked is not None and derivation.checked.passed


def test_by_a_symmetric_matrix_the_convention_is_said_and_the_symmetric_gradient_given() -> None:
    """tr(AS) by a symmetric S is Aᵀ with its entries independent (not symmetric); the output
    says so and gives G + Gᵀ − G ⊙ I, which is the derivative along symmetric directions
    E_kl + E_lk (and E_kk), against numpy by hand."""
    import sympy

    from matcalc.numeric import evaluate
    from tests.independent import assert_derivative

    text = "S in R^{D x D}, symmetric\nA in R^{D x D}\nf = tr(A S)\nfind df/dS"
    rng = np.random.default_rng(6)
    A = rng.normal(size=(3, 3))
    S = rng.normal(size=(3, 3))
    S = S + S.T
    assert_derivative(text, lambda S, A: np.trace(A @ S), {"D": 3}, {"S": S, "A": A})
    derivation = matcalc.solve(text).derivations[0]
    (remark,) = [r for r in derivation.remarks if "taken as independent" in "".join(
        p for p in r if isinstance(p, str))]
    symmetric_gradient = remark[-2].expr
    problem = derivation.problem
    assert problem is not None
    symbols = {d.name: d.symbol for d in problem.declarations}
    got = np.asarray(evaluate(symmetric_gradient, {symbols["A"]: A, symbols["S"]: S},
                              {sympy.Symbol("D", integer=True, positive=True): 3}))
    h = 1e-6
    for k in range(3):
        for l in range(3):  # noqa: E741
            direction = np.zeros((3, 3))
            direction[k, l] = direction[l, k] = 1.0
            slope = (np.trace(A @ (S + h * direction)) - np.trace(A @ (S - h * direction))) / (
                2 * h)
            assert got[k, l] == pytest.approx(slope, rel=1e-6)
    assert not [r for r in matcalc.solve(
        "S in R^{D x D}, symmetric\nf = tr(S S)\nfind df/dS").derivations[0].remarks
        if "taken as independent" in "".join(p for p in r if isinstance(p, str))]

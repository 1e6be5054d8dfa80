"""The two seed statements, pasted verbatim, give the textbook's partials and results."""

from __future__ import annotations

import numpy as np
import sympy

import matcalc
from matcalc.render.printers import unicode

SIN_AFFINE = (r"$f(z)=sin(z), \quad z=Ax+b , \quad A \in \mathbb{R}^{E \times D }, "
              r"x \in \mathbb{R}^D, b \in \mathbb{R}^E$")
GAUSSIAN = "\n".join([
    r"$f(z)=exp(\frac{-1}{2}z)$",
    r"$z=g(y)=y^TS^{-1}y$",
    r"$y=h(x)=x-\mu$",
    r"where $x,\mu \in \mathbb{R}^D$, $S \in \mathbb{R}^{D \times D}$",
])


def partials(derivation: matcalc.Derivation) -> list[tuple[str, str, str]]:
    return [(f"∂{link.of}/∂{link.wrt}", unicode(link.step.value), str(link.step.shape))
            for chain in derivation.chains for link in chain.links]


def test_sin_of_affine_map_is_diag_cos_times_A() -> None:
    derivation = matcalc.solve(SIN_AFFINE).derivations[0]
    assert (derivation.target.of, derivation.target.wrt) == ("f", "x")
    assert partials(derivation) == [("∂f/∂z", "diag(cos(z))", "E×E"), ("∂z/∂x", "A", "E×D")]
    assert unicode(derivation.result) == "diag(cos(Ax + b)) A"
    assert str(derivation.shape) == "E×D"
    assert derivation.checked is not None and derivation.checked.passed


def test_gaussian_seed_without_symmetry_keeps_both_inverses() -> None:
    derivation = matcalc.solve(GAUSSIAN).derivations[0]
    assert partials(derivation) == [
        ("∂f/∂z", "−½exp(−½z)", "1×1"),
        ("∂z/∂y", "yᵀ (S⁻¹ + S⁻ᵀ)", "1×D"),
        ("∂y/∂x", "I", "D×D"),
    ]
    assert unicode(derivation.result) == "−½ exp(−½(x − μ)ᵀ S⁻¹ (x − μ)) (x − μ)ᵀ (S⁻¹ + S⁻ᵀ)"


def test_gaussian_seed_with_symmetric_S_is_minus_exp_times_residual_S_inverse() -> None:
    derivation = matcalc.solve(GAUSSIAN + "\nS is symmetric").derivations[0]
    assert partials(derivation)[1] == ("∂z/∂y", "2yᵀS⁻¹", "1×D")
    assert unicode(derivation.result) == "−exp(−½(x − μ)ᵀ S⁻¹ (x − μ)) (x − μ)ᵀ S⁻¹"
    quadratic = derivation.steps[1]
    assert quadratic.because, "the step must state that it used the symmetry of S"
    assert derivation.checked is not None and derivation.checked.passed


def test_evaluate_follows_the_numeric_contract() -> None:
    derivation = matcalc.solve(SIN_AFFINE).derivations[0]
    rng = np.random.default_rng(1)
    A, x, b = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=4)
    value = derivation.evaluate({"E": 4, "D": 3}, {"A": A, "x": x, "b": b})
    assert value.shape == (4, 3)
    np.testing.assert_allclose(value, np.diag(np.cos(A @ x + b)) @ A)


def test_scalar_by_vector_evaluates_to_a_vector_in_both_layouts() -> None:
    text = "x in R^D\nf = x^T x\nfind df/dx"
    x = np.array([1.0, -2.0, 0.5])
    for layout in ("numerator", "denominator"):
        derivation = matcalc.solve(text, layout=layout).derivations[0]
        np.testing.assert_allclose(derivation.evaluate({"D": 3}, {"x": x}), 2 * x)
    column = matcalc.solve(text, layout="denominator").derivations[0]
    assert str(column.shape) == "D×1"
    assert column.result == 2 * sympy.MatrixSymbol("x", sympy.Symbol(
        "D", integer=True, positive=True), 1)

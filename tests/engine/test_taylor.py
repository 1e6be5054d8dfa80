"""Taylor polynomials (engine/taylor.py): their spellings, their check, their refusals.
Their values against numpy are in tests/engine/test_independent.py (problems/taylor.mc)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy

import matcalc
from matcalc.check import check_taylor

BASE = "x, x0 in R^D\nf = log(1 + x^T x)\n"


@pytest.mark.parametrize("written, order", [
    ("taylor f at x0", 2), ("taylor f at x0 order 1", 1), ("taylor f at x0 order 2", 2),
    ("T_2 f at x0", 2), ("T_1 f at x0", 1), ("T₂ f at x0", 2),
    (r"T_{2} f \;\mathrm{at}\; \boldsymbol{x}_{0}", 2), (r"T_2 f \text{at} x_0", 2)])
def test_spellings_of_a_taylor_polynomial_read_alike(written: str, order: int) -> None:
    target = matcalc.solve(BASE + f"find {written}", check=False).derivations[0].target
    assert (target.of, target.wrt, target.at, target.order) == ("f", "x", "x0", order)


def test_the_value_at_the_point_is_the_function_s_and_nearby_it_is_close() -> None:
    derivation = matcalc.solve(BASE + "find T_2 f at x0").derivations[0]
    rng = np.random.default_rng(0)
    x0 = rng.normal(size=4)
    at_point = derivation.evaluate({"D": 4}, {"x": x0, "x0": x0})
    assert np.isclose(at_point, np.log(1 + x0 @ x0))
    step = rng.normal(size=4) * 1e-2
    near = derivation.evaluate({"D": 4}, {"x": x0 + step, "x0": x0})
    assert abs(near - np.log(1 + (x0 + step) @ (x0 + step))) < 1e-5


def test_a_wrong_polynomial_fails_its_check() -> None:
    """Half the Hessian term missing: the error shrinks as the square of the distance only."""
    derivation = matcalc.solve(BASE + "find T_2 f at x0").derivations[0]
    assert derivation.checked is not None and derivation.checked.passed
    assert derivation.taylor is not None
    value, linear, quadratic = derivation.taylor.terms
    wrong = dataclasses.replace(derivation, result=sympy.Add(value, linear, quadratic / 2))
    checked = check_taylor(wrong)
    assert not checked.passed and "not 3" in checked.message


@pytest.mark.parametrize("text, message", [
    ("x, x0 in R^D; f = x; find taylor f at x0", "not a number"),
    ("x in R^D; x0 in R^E; f = x^T x; find taylor f at x0", "must lie in the space"),
    ("x, x0 in R^D; f = x^T x; find taylor f at x0 order 3", "of order 1 and 2"),
    ("x in R^D; f = x^T x; find taylor f at x1", "the point 'x1' is not declared"),
    ("x in R^D; f = x^T x; find taylor f at x", "another name than the variable"),
    ("X, X0 in R^{D x D}; f = tr(X^T X); find taylor f at X0", "not in a matrix yet"),
])
def test_taylor_polynomials_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(matcalc.MatcalcError, match=message):
        matcalc.solve(text.replace("; ", "\n"))

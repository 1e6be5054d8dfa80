"""Code export over random expressions (the engine's property-test strategies): the emitted
derivative equals matcalc's evaluation of the same result, and the module's own check
(central differences of the value it computes) passes; and, for random scalars built with a
numpy function beside their text, the module's value, gradient and Hessian equal that
function and its central differences."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, given, settings

import matcalc
from tests.engine.test_properties import DECLARATIONS, linear_matrix, scalar, vector_e
from tests.engine.test_second import Pair, scalars
from tests.export.test_export import assert_code_computes_evaluate
from tests.independent import numeric_gradient, numeric_hessian

SOME = settings(max_examples=40, deadline=None, derandomize=bool(os.environ.get("CI")),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def exported(text: str) -> None:
    solution = matcalc.solve(DECLARATIONS + text, check=False)
    (derivation,) = solution.derivations
    assert_code_computes_evaluate(solution, derivation, rtol=1e-7, atol=1e-9)
    namespace: dict[str, Any] = {}
    exec(solution.to_numpy(), namespace)  # the module matcalc wrote, run as a user runs it
    (check,) = [f for name, f in namespace.items() if name.startswith("check_")]
    check(seed=3)


@SOME
@given(scalar(2))
def test_scalar_by_vector(expression: str) -> None:
    exported(f"f = {expression}\nfind df/dx")


@SOME
@given(vector_e(2))
def test_vector_by_vector(expression: str) -> None:
    exported(f"f = {expression}\nfind df/dx")


@SOME
@given(scalar(1))
def test_scalar_by_matrix(expression: str) -> None:
    exported(f"f = {expression}\nfind df/dB")


@SOME
@given(linear_matrix(1))
def test_matrix_by_matrix(expression: str) -> None:
    exported(f"F = {expression}\nfind dF/dB")


@SOME
@given(scalar(1))
def test_hessian_by_vector(expression: str) -> None:
    exported(f"f = {expression}\nfind d2f/dx2")


# ---- against numpy written beside each random text (not matcalc's own reading) ----------


@SOME
@given(scalars(2))
def test_emitted_gradient_and_hessian_match_numpy_written_beside_them(pair: Pair) -> None:
    """The exported module's value, gradient and Hessian, run as a user runs them, against
    the numpy function the strategy builds beside the text and its central differences."""
    import numpy as np

    text, function = pair
    solution = matcalc.solve(f"x, a in R^D\nB in R^{{D x D}}\nf = {text}\n"
                             "find df/dx, d2f/dx2", check=False)
    namespace: dict[str, Any] = {}
    exec(solution.to_numpy(), namespace)
    (computed,) = [f for name, f in namespace.items() if name.endswith("_and_grad")]
    rng = np.random.default_rng(len(text))
    values = {"x": rng.normal(size=3) * 0.5, "a": rng.normal(size=3) * 0.5,
              "B": rng.normal(size=(3, 3)) * 0.5}
    import inspect

    taken = inspect.signature(computed).parameters  # the variables f uses, and x
    value, gradient, hessian = computed(**{k: v for k, v in values.items() if k in taken})
    np.testing.assert_allclose(value, function(values), rtol=1e-9, atol=1e-12, err_msg=text)
    np.testing.assert_allclose(np.ravel(gradient),
                               numeric_gradient(lambda **v: function(v), values, "x"),
                               rtol=1e-5, atol=1e-7, err_msg=text)
    np.testing.assert_allclose(hessian, numeric_hessian(lambda **v: function(v), values, "x"),
                               rtol=1e-4, atol=1e-4, err_msg=text)

"""Code export over random expressions (the engine's property-test strategies): the emitted
derivative equals matcalc's evaluation of the same result, and the module's own check
(central differences of the value it computes) passes."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, given, settings

import matcalc
from tests.engine.test_properties import DECLARATIONS, linear_matrix, scalar, vector_e
from tests.export.test_export import assert_code_computes_evaluate

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

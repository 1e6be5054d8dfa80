"""An independent check: a derivative from matcalc against central finite differences of a
numpy function written by hand in the test, not produced by matcalc's parser.

The check built into matcalc differentiates matcalc's own reading of a problem; this one
differentiates what the test's author wrote, so a misreading cannot pass it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

import matcalc

Function = Callable[..., Any]


def numeric_gradient(function: Function, values: Mapping[str, Any], wrt: str,
                     step: float = 1e-6) -> np.ndarray:
    """∂function/∂values[wrt] by central differences, shaped out_shape + in_shape."""
    point = {name: np.array(value, dtype=float) for name, value in values.items()}
    base = np.asarray(function(**point), dtype=float)
    variable = point[wrt]
    result = np.zeros(base.shape + variable.shape)
    for index in np.ndindex(*variable.shape):
        plus = {**point, wrt: variable.copy()}
        minus = {**point, wrt: variable.copy()}
        plus[wrt][index] += step
        minus[wrt][index] -= step
        difference = (np.asarray(function(**plus), dtype=float)
                      - np.asarray(function(**minus), dtype=float)) / (2 * step)
        result[(..., *index)] = difference
    return result


def assert_derivative(text: str, function: Function, dims: Mapping[str, int],
                      values: Mapping[str, Any], *, target: int = 0,
                      rtol: float = 1e-5, atol: float = 1e-7) -> None:
    """matcalc's derivative (the problem's ``target``-th) equals that of ``function``,
    whose keyword arguments are the problem's variables."""
    solution = matcalc.solve(text, check=False)
    derivation = solution.derivations[target]
    got = derivation.evaluate(dict(dims), dict(values))
    expected = numeric_gradient(function, values, derivation.target.wrt)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


def draw(rng: np.random.Generator, **shapes: tuple[int, ...]) -> dict[str, Any]:
    """Random values of the given shapes (() for a scalar)."""
    return {name: (float(rng.normal()) if shape == () else rng.normal(size=shape))
            for name, shape in shapes.items()}


def sigmoid(t: Any) -> Any:
    return 1 / (1 + np.exp(-t))


def numeric_hessian(function: Function, values: Mapping[str, Any], wrt: str,
                    wrt2: str | None = None, step: float = 1e-4) -> np.ndarray:
    """∂²function/∂values[wrt]∂values[wrt2] by central differences of the function itself,
    shaped f's shape + wrt's shape + wrt2's shape (entry (i, j) is ∂²f/∂wrt_i∂wrt2_j)."""
    wrt2 = wrt if wrt2 is None else wrt2
    point = {name: np.array(value, dtype=float) for name, value in values.items()}
    first, second = point[wrt], point[wrt2]
    out_shape = np.shape(function(**point))  # () for a number; (E,) for a vector-valued f
    result = np.zeros(out_shape + first.shape + second.shape)

    def at(i: tuple[int, ...], di: float, j: tuple[int, ...], dj: float) -> Any:
        moved = {name: value.copy() for name, value in point.items()}
        moved[wrt][i] += di
        moved[wrt2][j] += dj
        return np.asarray(function(**moved), dtype=float)

    for i in np.ndindex(*first.shape):
        for j in np.ndindex(*second.shape):
            result[(..., *i, *j)] = (at(i, step, j, step) - at(i, step, j, -step)
                                     - at(i, -step, j, step) + at(i, -step, j, -step)
                                     ) / (4 * step**2)
    return result

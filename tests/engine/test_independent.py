"""Every derivative in problems/, against finite differences of a numpy function written
here by hand from the problem's text (not produced by matcalc's parser), at distinct random
sizes. A problem read as a different problem fails here even when matcalc's own check,
which differentiates matcalc's reading, passes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest

import matcalc
from matcalc.model import Property
from tests.conftest import PROBLEMS
from tests.independent import numeric_gradient, numeric_hessian, sigmoid

V = dict[str, Any]


def softmax(z: Any) -> Any:
    e = np.exp(z - np.max(z))
    return e / np.sum(e)


def row_softmax(S: Any) -> Any:
    e = np.exp(S - np.max(S, axis=1, keepdims=True))
    return e / np.sum(e, axis=1, keepdims=True)


def attention_loss(v: V) -> Any:
    P = row_softmax(v["Q"] @ v["K"].T / np.sqrt(v["Q"].shape[1]))
    return sq(P @ v["V"] - v["Y"])


def lse(z: Any) -> Any:
    return np.max(z) + np.log(np.sum(np.exp(z - np.max(z))))


def logdet(X: Any) -> Any:
    return np.linalg.slogdet(X)[1]


def sq(u: Any) -> Any:
    return np.sum(u * u)


inv = np.linalg.inv


def deep_network(v: Mapping[str, Any], layers: int) -> Any:
    """h_k = tanh(W_k h_{k−1}), h_0 = x; f = h_Lᵀh_L."""
    h = v["x"]
    for k in range(1, layers + 1):
        h = np.tanh(v[f"W{k}"] @ h)
    return h @ h


FUNCTIONS: dict[str, Callable[[V], Any]] = {
    "attention#0:A/V": lambda v: row_softmax(v["Q"] @ v["K"].T / np.sqrt(v["Q"].shape[1]))
        @ v["V"],
    "attention#1:P/S": lambda v: row_softmax(v["S"]),
    "attention#2:L/Q": lambda v: attention_loss(v),
    "attention#2:L/K": lambda v: attention_loss(v),
    "attention#2:L/V": lambda v: attention_loss(v),
    "chains-through-matrices#0:L/W": lambda v: sq(v["y"] - v["W"] @ v["x"]),
    "chains-through-matrices#1:L/W":
        lambda v: sq(np.tanh(v["W"] @ v["x"] + v["b"]) - v["t"]),
    "chains-through-matrices#2:F/t": lambda v: np.exp(v["t"]) * v["A"] + v["t"] ** 2 * v["B"],
    "chains-through-matrices#2:G/t": lambda v: np.linalg.matrix_power(
        np.exp(v["t"]) * v["A"] + v["t"] ** 2 * v["B"], 2),
    "distance#0:f/x": lambda v: np.sqrt(sq(v["x"] - v["a"])),
    "gaussian-log-likelihood#0:L/mu": lambda v: -0.5 * logdet(v["Sigma"])
        - 0.5 * (v["x"] - v["mu"]) @ inv(v["Sigma"]) @ (v["x"] - v["mu"]),
    "gaussian-log-likelihood#1:L/Sigma": lambda v: -0.5 * logdet(v["Sigma"])
        - 0.5 * (v["x"] - v["mu"]) @ inv(v["Sigma"]) @ (v["x"] - v["mu"]),
    "least-squares#0:L/theta": lambda v: sq(v["y"] - v["Phi"] @ v["theta"]),
    "logistic-loss#0:L/w": lambda v: -(v["t"] * np.log(sigmoid(v["w"] @ v["x"]))
                                       + (1 - v["t"]) * np.log(1 - sigmoid(v["w"] @ v["x"]))),
    "logistic-regression#0:L/w": lambda v: -v["t"] * np.log(sigmoid(v["w"] @ v["x"]))
        - (1 - v["t"]) * np.log(1 - sigmoid(v["w"] @ v["x"])),
    "matrix-by-matrix#0:K/R": lambda v: v["R"].T @ v["R"],
    "matrix-by-matrix#1:F/X": lambda v: v["A"] @ v["X"] @ v["B"],
    "matrix-by-matrix#2:F/X": lambda v: inv(v["X"]),
    "matrix-by-matrix#3:F/X": lambda v: v["X"].T,
    "matrix-by-matrix#4:F/X": lambda v: v["X"] * v["Y"],
    "matrix-by-matrix#5:F/X": lambda v: v["X"].T @ v["X"],
    "matrix-by-matrix#6:F/X": lambda v: v["X"] @ v["X"].T,
    "matrix-determinants#0:f/X": lambda v: np.linalg.det(v["X"]),
    "matrix-determinants#1:f/X": lambda v: logdet(v["X"]),
    "matrix-determinants#2:f/X": lambda v: np.linalg.det(v["A"] @ v["X"]),
    "matrix-linear-forms#0:f/X": lambda v: v["a"] @ v["X"] @ v["b"],
    "matrix-linear-forms#1:f/X": lambda v: v["a"] @ inv(v["X"]) @ v["b"],
    "matrix-linear-forms#2:f/A": lambda v: v["x"] @ v["A"] @ v["x"],
    "matrix-norms#0:f/X": lambda v: sq(v["X"]),
    "matrix-norms#1:f/X": lambda v: sq(v["A"] @ v["X"] - v["B"]),
    "matrix-traces#0:f/X": lambda v: np.trace(v["X"]),
    "matrix-traces#1:f/X": lambda v: np.trace(v["A"] @ v["X"]),
    "matrix-traces#2:f/X": lambda v: np.trace(v["A"] @ v["X"] @ v["B"]),
    "matrix-traces#3:f/X": lambda v: np.trace(v["X"].T @ v["A"] @ v["X"]),
    "matrix-traces#4:f/X": lambda v: np.trace(inv(v["X"])),
    "mml-5.5-identities#0:f/X": lambda v: np.trace(v["X"].T @ v["X"]),
    "mml-5.5-identities#1:F/X": lambda v: inv(v["A"] @ v["X"]),
    "mml-5.5-identities#2:f/x": lambda v: v["x"] @ v["B"] @ v["x"],
    "mml-5.5-identities#3:f/s": lambda v: (v["x"] - v["A"] @ v["s"]) @ v["W"]
        @ (v["x"] - v["A"] @ v["s"]),
    "mml-5.7a#0:f/x": lambda v: np.log(1 + v["x"] @ v["x"]),
    "mml-5.7b#0:f/x": lambda v: np.sin(v["A"] @ v["x"] + v["b"]),
    "mml-5.8a#0:f/x": lambda v: np.exp(-0.5 * (v["x"] - v["mu"]) @ inv(v["S"])
                                       @ (v["x"] - v["mu"])),
    "mml-5.8b#0:f/x": lambda v: np.trace(np.outer(v["x"], v["x"])
                                         + v["sigma"] ** 2 * np.eye(len(v["x"]))),
    "mml-5.8c#0:f/x": lambda v: np.tanh(v["A"] @ v["x"] + v["b"]),
    "quadratic-form#0:f/x": lambda v: v["x"] @ v["A"] @ v["x"] + v["b"] @ v["x"],
    "quotient-and-kronecker#0:f/x": lambda v: (v["a"] @ v["x"]) / (1 + v["x"] @ v["x"]),
    "quotient-and-kronecker#1:f/x": lambda v: np.kron(v["A"] @ v["x"], v["B"] @ v["x"]),
    "ridge-regression#0:L/theta": lambda v: sq(v["y"] - v["Phi"] @ v["theta"])
        + v["lambda"] * sq(v["theta"]),
    "seed-gaussian#0:f/x": lambda v: np.exp(-0.5 * (v["x"] - v["mu"]) @ inv(v["S"])
                                            @ (v["x"] - v["mu"])),
    "seed-sin-affine#0:f/x": lambda v: np.sin(v["A"] @ v["x"] + v["b"]),
    "softmax#0:s/z": lambda v: softmax(v["z"]),
    "softmax#1:f/z": lambda v: lse(v["z"]),
    "softmax#2:L/W": lambda v: lse(v["W"] @ v["x"]) - v["y"] @ v["W"] @ v["x"],
    "softmax#3:L/x": lambda v: -v["y"] @ np.log(softmax(v["W"] @ v["x"])),
    "softmax#4:L/x": lambda v: -np.log(softmax(v["W"] @ v["x"])[int(v["k"]) - 1]),
    "softplus-layer#0:L/x": lambda v: np.log(1 + np.exp(v["v"] @ np.tanh(v["W"] @ v["x"]
                                                                           + v["c"]))),
    "two-layer-network#0:L/W2": lambda v: sq(v["W2"] @ np.tanh(v["W1"] @ v["x"] + v["b1"])
                                             + v["b2"] - v["y"]),
    "two-layer-network#0:L/W1": lambda v: sq(v["W2"] @ np.tanh(v["W1"] @ v["x"] + v["b1"])
                                             + v["b2"] - v["y"]),
    "vector-by-matrix#0:f/A": lambda v: v["A"] @ v["x"],
    "relu-and-hinge#0:f/x": lambda v: v["v"] @ np.maximum(v["W"] @ v["x"], 0),
    "relu-and-hinge#0:f/W": lambda v: v["v"] @ np.maximum(v["W"] @ v["x"], 0),
    "relu-and-hinge#1:L/w": lambda v: max(0.0, 1 - v["y"] * (v["w"] @ v["x"]))
        + v["lambda"] / 2 * (v["w"] @ v["w"]),
    "sums-over-data#0:L/w": lambda v: sum((v["y"][n] - v["w"] @ v["X"][n]) ** 2
                                          for n in range(len(v["y"]))),
    "sums-over-data#1:L/w": lambda v: sum(np.log1p(np.exp(-v["y"][n] * (v["w"] @ v["X"][n])))
                                          for n in range(len(v["y"])))
        + v["lambda"] / 2 * (v["w"] @ v["w"]),
    "deep-network#0:f/x": lambda v: deep_network(v, 8),
    "deep-network#0:f/W1": lambda v: deep_network(v, 8),
    # second derivatives (key of/wrt,wrt2), against central second differences
    "second-order#0:f/x,x": lambda v: v["x"] ** 2 + 2 * v["x"] * v["y"] + v["y"] ** 3,
    "second-order#0:f/x,y": lambda v: v["x"] ** 2 + 2 * v["x"] * v["y"] + v["y"] ** 3,
    "second-order#0:f/y,y": lambda v: v["x"] ** 2 + 2 * v["x"] * v["y"] + v["y"] ** 3,
    "second-order#1:f/x,x": lambda v: v["x"] @ v["A"] @ v["x"],
    "second-order#2:f/x,x": lambda v: v["x"] @ v["A"] @ v["x"],
    "second-order#3:f/x,x": lambda v: sq(v["A"] @ v["x"] - v["b"]),
    "second-order#4:L/w,w": lambda v: sq(v["y"] - v["X"] @ v["w"]) + v["lambda"] * sq(v["w"]),
    "second-order#5:L/w,w": lambda v: np.sum(np.log1p(np.exp(v["X"] @ v["w"])))
        - v["y"] @ v["X"] @ v["w"],
    "second-order#6:f/z,z": lambda v: lse(v["z"]),
    "second-order#7:L/z,z": lambda v: lse(v["z"]) - v["y"] @ v["z"],
    "second-order#8:L/mu,mu": lambda v: -0.5 * logdet(v["Sigma"])
        - 0.5 * (v["x"] - v["mu"]) @ inv(v["Sigma"]) @ (v["x"] - v["mu"]),
    "second-order#9:f/X,X": lambda v: np.trace(v["X"].T @ v["A"] @ v["X"]),
    "second-order#10:f/X,X": lambda v: logdet(v["X"]),
    "second-order#11:f/x,y": lambda v: v["x"] @ v["A"] @ v["y"] + sq(v["x"]) * sq(v["y"]),
    "second-order#12:f/x,x": lambda v: sq(np.tanh(v["W2"] @ np.tanh(v["W1"] @ v["x"]))),
    "second-order#13:f/x,x": lambda v: np.tanh(v["A"] @ v["x"]),
    "second-order#14:f/x": lambda v: v["x"][0] ** 2 + 2 * v["x"][0] * v["x"][1] + v["x"][1] ** 3,
    "second-order#14:f/x,x": lambda v: v["x"][0] ** 2 + 2 * v["x"][0] * v["x"][1]
        + v["x"][1] ** 3,
    # Taylor polynomials (key of/wrt@point, degree): against one built here from
    # finite differences of the function at the point
    "taylor#0:f/x@x0,2": lambda v: np.log(1 + v["x"] @ v["x"]),
    "taylor#1:f/x@x0,1": lambda v: np.exp(v["a"] @ v["x"]),
    "taylor#1:f/x@x0,2": lambda v: np.exp(v["a"] @ v["x"]),
    "taylor#2:f/x@x0,2": lambda v: np.sin(v["x"]) + v["x"] ** 3,
}
ABSTRACT = {"mml-5.9#0:g/nu"}  # abstract p, q, t: tests/engine/test_abstract.py puts in real ones


def derivations() -> list[Any]:
    found = []
    for path in PROBLEMS:
        for index, solution in enumerate(matcalc.solve_file(path, check=False)):
            for derivation in solution.derivations:
                target = derivation.target
                key = f"{path.stem}#{index}:{target.of}/{target.wrt}" + (
                    f",{target.wrt2}" if target.wrt2 else "") + (
                    f"@{target.at},{target.order}" if target.at else "")
                found.append(pytest.param(key, derivation, id=key))
    return found


def draw(derivation: Any, seed: int) -> tuple[dict[str, int], V]:
    """Distinct sizes from 2 up; values that respect the declared properties."""
    rng = np.random.default_rng(seed)
    problem = derivation.problem
    names = sorted({str(s) for d in problem.declarations for size in d.shape.dims
                    for s in getattr(size, "free_symbols", ())})
    sizes = dict(zip(names, (int(n) for n in rng.permutation(np.arange(2, 9))), strict=False))
    values: V = {}
    for declaration in problem.declarations:
        rows, cols = (int(size.subs({s: sizes[str(s)] for s in size.free_symbols}))
                      for size in map(_expr, declaration.shape.dims))
        value = rng.normal(size=(rows, cols))
        if rows == cols and rows > 1:
            if Property.POSITIVE_DEFINITE in declaration.properties:
                value = value @ value.T + rows * np.eye(rows)
            elif Property.SYMMETRIC in declaration.properties:
                value = (value + value.T) / 2 + rows * np.eye(rows)
            else:
                value = value + rows * np.eye(rows)
        values[declaration.name] = (float(rng.uniform(0.2, 0.8)) if (rows, cols) == (1, 1)
                                    else value[:, 0] if cols == 1 else value)
    if derivation.function.atoms(_unit_vector()):
        values["k"] = 2  # the class in -log softmax(Wx)_k
    return sizes, values


def _expr(size: Any) -> Any:
    import sympy

    return sympy.Integer(size) if isinstance(size, int) else size


def _unit_vector() -> type:
    from matcalc.objects import UnitVector

    return UnitVector


def test_every_problem_has_an_independent_function() -> None:
    keys = {p.values[0] for p in derivations()}
    assert keys - ABSTRACT == set(FUNCTIONS), (keys - ABSTRACT) ^ set(FUNCTIONS)


@pytest.mark.parametrize("key, derivation", derivations())
@pytest.mark.parametrize("seed", [1, 2])
def test_problem_against_independent_numpy(key: str, derivation: Any, seed: int) -> None:
    if key in ABSTRACT:
        pytest.skip("abstract functions have no values")
    sizes, values = draw(derivation, seed)
    got = derivation.evaluate(sizes, values)
    target = derivation.target
    if target.at is not None:  # T_k f at a: f(a) + ∇f(a)·(x − a) + ½(x − a)ᵀH(a)(x − a)
        np.testing.assert_allclose(got, taylor_by_hand(FUNCTIONS[key], values, target),
                                   rtol=1e-4, atol=1e-5)
        return
    if target.order == 2:  # entry (i, j) is ∂²f/∂wrt_i∂wrt2_j
        expected = numeric_hessian(lambda **v: FUNCTIONS[key](v), values, target.wrt,
                                   target.wrt2)
        tolerance = 1e-4
    else:
        expected = numeric_gradient(lambda **v: FUNCTIONS[key](v), values, target.wrt)
        tolerance = 1e-6
    assert got.shape == expected.shape
    scale = max(1.0, float(np.max(np.abs(expected))))
    np.testing.assert_allclose(got, expected, rtol=10 * tolerance,
                               atol=tolerance * scale)


def taylor_by_hand(function: Callable[[V], Any], values: V, target: Any) -> float:
    """The Taylor polynomial of function in target.wrt at target.at, evaluated at the value
    of target.wrt, with its derivatives by central differences at the point."""
    x, a = target.wrt, target.at
    at_point = {**values, x: values[a]}
    step = np.asarray(values[x], dtype=float) - np.asarray(values[a], dtype=float)
    total = float(function(at_point))
    slope = numeric_gradient(lambda **v: function(v), at_point, x)
    total += float(np.sum(slope * step))
    if target.order == 2:
        hessian = numeric_hessian(lambda **v: function(v), at_point, x)
        total += 0.5 * float(np.sum(step * (np.reshape(hessian, (step.size, step.size))
                                           @ step.reshape(-1)).reshape(step.shape)))
    return total


def test_evaluate_takes_the_entry_index() -> None:
    from matcalc.errors import MatcalcError

    text = "x in R^D; W in R^{K x D}; L = -log softmax(W x)_k; find dL/dx"
    derivation = matcalc.solve(text, check=False).derivations[0]
    rng = np.random.default_rng(0)
    values = {"x": rng.normal(size=2), "W": rng.normal(size=(3, 2))}
    for k in (1, 3):
        got = derivation.evaluate({"D": 2, "K": 3}, {**values, "k": k})
        expected = numeric_gradient(
            lambda x, W, k=k: -np.log(softmax(W @ x)[k - 1]), values, "x")
        np.testing.assert_allclose(got, expected, rtol=1e-6)
    with pytest.raises(MatcalcError, match="does not exist"):
        derivation.evaluate({"D": 2, "K": 3}, {**values, "k": 4})

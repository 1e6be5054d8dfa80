"""Abstract functions (MML exercise 5.9): partials stay symbolic with their dimensions, and
with concrete functions put in their place the result matches finite differences."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import sympy

import matcalc
from matcalc.check import evaluate
from matcalc.objects import AbstractPartial, Applied, AppliedVector
from matcalc.render.printers import unicode

ROOT = Path(__file__).resolve().parents[2]
RNG = np.random.default_rng(5)
D, E, F, G = 2, 3, 4, 5
A, B = RNG.normal(size=(D, E)), RNG.normal(size=(F, F))
C, K = RNG.normal(size=(E, G)), RNG.normal(size=(E, F))

CONCRETE = {  # column vectors in, a number or a column out
    "p": lambda x, z: float(np.exp(-0.5 * np.sum((x - A @ z) ** 2))),
    "q": lambda z, nu: float(1 + np.sum(z**2) + np.sum((B @ nu) ** 2)),
    "t": lambda eps, nu: np.tanh(C @ eps + K @ nu),
}


def jacobian(function, arguments, index, step=1e-6):  # type: ignore[no-untyped-def]
    point = arguments[index]
    columns = []
    for k in range(point.shape[0]):
        moved = [a.copy() for a in arguments]
        moved[index][k] += step
        up = np.atleast_1d(np.asarray(function(*moved), dtype=float)).reshape(-1)
        moved[index][k] -= 2 * step
        down = np.atleast_1d(np.asarray(function(*moved), dtype=float)).reshape(-1)
        columns.append((up - down) / (2 * step))
    return np.stack(columns, axis=1)


def with_concrete_functions(expr, values, sizes):  # type: ignore[no-untyped-def]
    """Values for every abstract node of expr: the functions and their partials."""
    values = dict(values)
    for node in sympy.postorder_traversal(expr):
        if isinstance(node, Applied | AppliedVector) and node not in values:
            arguments = [np.asarray(evaluate(a, values, sizes), dtype=float)
                         for a in node.arguments]
            value = CONCRETE[node.name](*arguments)
            values[node] = value if isinstance(node, Applied) else value.reshape(-1, 1)
        if isinstance(node, AbstractPartial) and node not in values:
            applied = node.applied
            arguments = [np.asarray(evaluate(a, values, sizes), dtype=float)
                         for a in applied.arguments]
            values[node] = jacobian(CONCRETE[applied.name], arguments, int(node.args[1]))
    return values


def test_mml_5_9_keeps_partials_symbolic_with_dimensions() -> None:
    (solution,) = matcalc.solve_file(ROOT / "problems" / "mml-5.9.mc")
    derivation = solution.derivations[0]
    assert [chain.names for chain in derivation.chains] == [("g", "z", "nu"), ("g", "nu")]
    shapes = {(link.of, link.wrt): str(link.step.shape)
              for chain in derivation.chains for link in chain.links}
    assert shapes == {("g", "z"): "1×E", ("z", "nu"): "E×F", ("g", "nu"): "1×F"}
    assert unicode(derivation.chains[0].links[1].step.value) == "∂t/∂ν"
    assert derivation.checked is not None and derivation.checked.trials == 0


def test_mml_5_9_with_concrete_functions_matches_finite_differences() -> None:
    (solution,) = matcalc.solve_file(ROOT / "problems" / "mml-5.9.mc", check=False)
    derivation = solution.derivations[0]
    problem = derivation.problem
    sizes = {sympy.Symbol(n, integer=True, positive=True): v
             for n, v in {"D": D, "E": E, "F": F, "G": G}.items()}
    x, nu, eps = (RNG.normal(size=(n, 1)) for n in (D, F, G))
    values = {problem.declaration("x").symbol: x, problem.declaration("nu").symbol: nu,
              problem.declaration("eps").symbol: eps}
    values = with_concrete_functions(derivation.result, values, sizes)
    symbolic = np.asarray(evaluate(derivation.result, values, sizes)).reshape(-1)

    def g(nu_value):  # type: ignore[no-untyped-def]
        z = CONCRETE["t"](eps, nu_value)
        return np.log(CONCRETE["p"](x, z)) - np.log(CONCRETE["q"](z, nu_value))

    expected = jacobian(g, [nu], 0).reshape(-1)
    np.testing.assert_allclose(symbolic, expected, rtol=1e-6, atol=1e-8)

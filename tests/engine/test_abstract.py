"""Abstract functions (MML exercise 5.9): partials stay symbolic with their dimensions, and
with concrete functions put in their place the result matches finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import matcalc
from matcalc.numeric import evaluate
from matcalc.objects import AbstractPartial, Applied, AppliedVector
from matcalc.render.printers import unicode
from tests.conftest import ROOT

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


def _concrete(expr: sympy.Basic) -> sympy.Basic:
    """p(U, v, …) ↦ Σᵢ (i+1)·(sum of sin of the entries of argument i); ∂p/∂(argument i)
    ↦ (i+1) cos(U) shaped like a matrix U, (i+1) cos(v)ᵀ for a column v."""
    from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

    from matcalc.objects import ENTRY, Scalar, shape_of

    def entrywise(function: type, argument: sympy.Basic) -> sympy.Basic:
        if not argument.is_Matrix:
            return function(argument)
        return ElementwiseApplyFunction(sympy.Lambda(ENTRY, function(ENTRY)), argument)

    def total(argument: sympy.Basic) -> sympy.Basic:
        if not argument.is_Matrix:
            return sympy.sin(argument)
        rows, cols = shape_of(argument)
        return Scalar(sympy.MatMul(sympy.OneMatrix(1, rows), entrywise(sympy.sin, argument),
                                   sympy.OneMatrix(cols, 1)))

    replacements: dict[sympy.Basic, sympy.Basic] = {}
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, AbstractPartial):
            index, argument = int(node.args[1]), node.argument
            slope = entrywise(sympy.cos, argument)
            if argument.is_Matrix and shape_of(argument)[1] == 1:
                slope = slope.T
            replacements[node] = (index + 1) * slope
        elif isinstance(node, Applied):
            replacements[node] = sympy.Add(*((i + 1) * total(a)
                                             for i, a in enumerate(node.arguments)))
    return expr.xreplace(replacements)


@pytest.mark.parametrize("text", [
    "X in R^{m x n}; f = g(X); find df/dX",
    "X in R^{m x n}; A in R^{n x k}; f = p(X A); find df/dX",
    "x in R^D; f = p(x x^T); find df/dx",
    "X in R^{m x n}; x in R^n; f = p(X, X x); find df/dX",
    "X in R^{n x n}; f = p(X^T X, tr(X)); find df/dX",
    "x in R^D; A in R^{D x D}; f = p(A x, x^T x); find df/dx",
])
def test_abstract_functions_of_matrices_with_concrete_functions_put_in(text: str) -> None:
    """A scalar abstract function of a matrix has ∂p/∂U shaped like U (m×n), and dp =
    tr((∂p/∂U)ᵀ dU): with a concrete function put in its place, the result passes the
    finite-difference check at distinct sizes."""
    import dataclasses

    from matcalc.check import check_derivation
    from matcalc.objects import shape_of

    derivation = matcalc.solve(text).derivations[0]
    assert derivation.shape.dims == shape_of(derivation.wrt_symbol) or \
        derivation.shape.dims == (1, shape_of(derivation.wrt_symbol)[0])
    concrete = dataclasses.replace(derivation, function=_concrete(derivation.function),
                                   result=_concrete(derivation.result), named_result=None)
    for seed in range(2):
        checked = check_derivation(concrete, seed=seed)
        assert checked.trials and checked.passed, checked


def test_a_vector_valued_abstract_function_of_a_matrix_is_refused_with_its_place() -> None:
    with pytest.raises(matcalc.MatcalcError) as caught:
        matcalc.solve("X in R^{m x n}; z in R^E; z = t(X); f = z^T z; find df/dX")
    assert caught.value.span is not None and caught.value.span.column == 31
    assert "tensor" in caught.value.message

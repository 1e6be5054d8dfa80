"""The numeric check: finite differences agree with right results and catch wrong ones."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy

import matcalc
from matcalc.check import check_derivation, finite_differences
from matcalc.numeric import evaluate


def test_a_planted_wrong_result_fails_the_check() -> None:
    derivation = matcalc.solve("x in R^D\nA in R^{D x D}\nf = x^T A x\nfind df/dx",
                               check=False).derivations[0]
    x = derivation.wrt_symbol
    wrong = dataclasses.replace(derivation, result=2 * x.T * derivation.problem.declaration(
        "A").symbol)  # right only for a symmetric A
    assert check_derivation(derivation).passed
    result = check_derivation(wrong)
    assert not result.passed and result.max_error > 1e-3


def test_a_transposed_result_fails_at_distinct_sizes() -> None:
    derivation = matcalc.solve("x in R^D, b in R^E\nA in R^{E x D}\nz = A x + b\nfind dz/dx",
                               check=False).derivations[0]
    A = derivation.problem.declaration("A").symbol
    wrong = dataclasses.replace(derivation, result=A.T)
    result = check_derivation(wrong)
    assert not result.passed


def test_finite_differences_of_a_quadratic() -> None:
    D = sympy.Symbol("D", integer=True, positive=True)
    x = sympy.MatrixSymbol("x", D, 1)
    point = np.array([[1.0], [2.0], [-1.0]])
    jacobian = finite_differences(sympy.MatMul(x.T, x), x, {x: point}, {D: 3})
    np.testing.assert_allclose(jacobian.reshape(-1), 2 * point.reshape(-1), atol=1e-6)


def test_evaluate_respects_transpose_and_inverse() -> None:
    D = sympy.Symbol("D", integer=True, positive=True)
    S = sympy.MatrixSymbol("S", D, D)
    value = np.array([[2.0, 1.0], [0.0, 1.0]])
    result = evaluate(sympy.Transpose(sympy.Inverse(S)), {S: value}, {D: 2})
    np.testing.assert_allclose(result, np.linalg.inv(value).T)


def test_random_values_respect_symmetry() -> None:
    solution = matcalc.solve("x in R^D\nS in R^{D x D}, symmetric\nf = x^T S x")
    assert "2xᵀS" in solution.to_text()
    assert solution.derivations[0].checked.passed


@pytest.mark.parametrize("text", [
    "X in R^{m x n}; f = log det(X^T X); find df/dX",
    "X in R^{m x n}; a in R^n; f = a^T (X^T X)^{-1} a; find df/dX",
    "X in R^{m x n}; f = tr((X X^T)^{-1}); find df/dX",
])
def test_the_check_draws_sizes_at_which_the_function_is_defined(text: str) -> None:
    """XᵀX is singular when X has fewer rows than columns: the check draws other sizes
    rather than report a false failure."""
    import matcalc

    for seed in range(4):
        derivation = matcalc.solve(text, check=False).derivations[0]
        result = derivation.check(seed=seed)
        assert result.passed, (seed, result)


@pytest.mark.parametrize("shapes", [
    [(1, 3), (3, 3), (3, 4)],           # a row in front: from the left
    [(3, 3), (3, 4), (4, 1)],           # ends in a column: from the right
    [(3, 3), (3, 2), (2, 1), (1, 4)],   # through a column: cut there (… h xᵀ)
    [(2, 1), (1, 3)],                   # an outer product
    [(3, 3), (3, 3)],                   # no column anywhere
    [(4, 1)],
])
def test_chain_product_in_any_order_is_the_product(shapes: list[tuple[int, int]]) -> None:
    from functools import reduce

    from matcalc.numeric import chain_product

    rng = np.random.default_rng(5)
    matrices = [rng.normal(size=shape) for shape in shapes]
    assert np.allclose(chain_product(matrices), reduce(np.matmul, matrices))


def test_the_result_in_the_problems_own_names_is_checked_too() -> None:
    """Two-layer network: dL/dW2 = 2(ŷ − y)hᵀ in the problem's names, and the check
    evaluates that form as well: a wrong one fails."""
    from matcalc.render.printers import unicode

    text = ("x in R^D; b1 in R^H; b2, y in R^K; W1 in R^{H x D}; W2 in R^{K x H}\n"
            "L = ||yhat - y||^2; yhat = W2 h + b2; h = tanh(z); z = W1 x + b1\n"
            "find dL/dW2")
    derivation = matcalc.solve(text).derivations[0]
    assert derivation.named_result is not None
    assert unicode(derivation.named_result) == "2(yhat − y) hᵀ"
    assert derivation.checked is not None and derivation.checked.passed
    wrong = dataclasses.replace(derivation, named_result=3 * derivation.named_result)
    assert not check_derivation(wrong).passed


STACKED = [  # constructs the problems may not cover, each evaluated on a stack
    "x in R^D; y in R^E; F = x \\otimes y; find dF/dx",
    "X in R^{n x n}; f = det(X) + tr(X^2); find df/dX",
    "x in R^D; W in R^{K x D}; y in R^K; f = -y^T log(softmax(W x)); find df/dW",
    "x in R^D; f = logsumexp(x) + ||x|| + softmax(x)_k; find df/dx",
    "a in R; x in R^D; f = sin(a) x^T x + a^2; find df/da",
    "x in R^D; A in R^{D x D}; F = diag(x) A x; G = x x^T A; find dF/dx, dG/dx",
]


def _stack_cases() -> list[tuple[str, str]]:
    from tests.conftest import PROBLEMS

    return ([(p.stem, p.read_text(encoding="utf-8")) for p in PROBLEMS]
            + [(f"extra-{i}", text) for i, text in enumerate(STACKED)])


@pytest.mark.parametrize("name, text", _stack_cases(), ids=[n for n, _ in _stack_cases()])
def test_a_stack_of_points_evaluates_as_each_point_alone(name: str, text: str) -> None:
    """Finite differences evaluate all their points as one stack (B×r×c): for the function
    and for the result of every derivation, each layer of the stack is the value at that
    point alone, and the stacked differences are the one-at-a-time differences."""
    from matcalc.check import draw_point, random_sizes, result_value

    rng = np.random.default_rng(3)
    for solution in matcalc.solve_all(text, check=False):
        for derivation in solution.derivations:
            if derivation.taylor is not None:
                continue  # a polynomial, not a derivative: its own check (check_taylor)
            if check_derivation(derivation).message.endswith("to check with"):
                continue  # abstract functions have no values
            sizes = random_sizes(derivation.problem, rng)
            values, _, numeric = draw_point(derivation, sizes, rng)
            wrt = derivation.wrt_symbol
            point = np.asarray(values[wrt], dtype=float)
            points = [point + rng.normal(0, 0.01, point.shape) for _ in range(3)]
            stack = np.stack([np.reshape(p, np.shape(p) if p.ndim else (1, 1))
                              for p in points])
            for expr in (derivation.function, derivation.result):
                with np.errstate(all="ignore"):
                    together = result_value(derivation, {**values, wrt: stack}, sizes, expr)
                    alone = [result_value(derivation, {**values, wrt: p if p.ndim else float(p)},
                                          sizes, expr) for p in points]
                for layer, value in enumerate(alone):
                    layered = np.asarray(together)[layer] if np.ndim(together) == 3 else together
                    np.testing.assert_allclose(np.reshape(layered, -1), np.reshape(value, -1),
                                               rtol=1e-9, atol=1e-12)
            one_at_a_time = []
            for index in np.ndindex(point.shape):
                moved = [point.copy(), point.copy()]
                moved[0][index] += 1e-6
                moved[1][index] -= 1e-6
                plus, minus = (np.asarray(evaluate(derivation.function, {
                    **values, wrt: m if m.ndim else float(m)}, sizes)) for m in moved)
                one_at_a_time.append((plus - minus) / 2e-6)
            expected = np.stack(one_at_a_time, axis=-1)
            np.testing.assert_allclose(numeric.reshape(-1), expected.reshape(-1),
                                       rtol=1e-6, atol=1e-8)


def test_a_second_derivative_is_checked_three_ways() -> None:
    """The gradient against f, the Hessian against the gradient, and its symmetry: a wrong
    gradient fails, and so does a Hessian made unsymmetric (which finite differences of a
    gradient that is no gradient would agree with)."""
    import dataclasses

    import sympy

    from matcalc.check import check_second, symmetry_residual

    derivation = matcalc.solve("x in R^D\nA in R^{D x D}\nf = x^T A x + (x^T x)^2\n"
                               "find d2f/dx2").derivations[0]
    assert derivation.checked is not None and derivation.checked.passed
    assert "symmetric" in derivation.checked.compared
    first = derivation.gradient
    assert first is not None
    wrong_gradient = dataclasses.replace(
        derivation, gradient=dataclasses.replace(first, result=2 * first.result))
    assert not check_second(wrong_gradient).passed
    A = next(d.symbol for d in derivation.problem.declarations if d.name == "A")
    skewed = dataclasses.replace(derivation, result=sympy.MatAdd(derivation.result, A - A.T))
    checked = check_second(skewed)
    assert not checked.passed
    assert symmetry_residual(derivation, 0) < 1e-12 < 1e-3 < symmetry_residual(skewed, 0)


def test_a_large_variable_is_checked_along_random_directions() -> None:
    """x ∈ ℝ^2000: the differences along a few directions (not 2,000 columns); a wrong
    result still fails."""
    import dataclasses

    derivation = matcalc.solve("x, a in R^{2000}\nf = log(1 + x^T x) + a^T tanh(x)"
                               ).derivations[0]
    assert derivation.checked is not None and derivation.checked.passed
    assert "random directions" in derivation.checked.compared
    wrong = dataclasses.replace(derivation, result=2 * derivation.result)
    assert not check_derivation(wrong).passed


def test_a_point_where_the_derivative_is_zero_is_drawn_again() -> None:
    """relu(wᵀx) where wᵀx < 0 has derivative 0 there: a check made only at such points would
    pass a result that is wrong where wᵀx > 0 (twice the right one, here), for every seed."""
    import dataclasses

    import matcalc
    from matcalc.check import check_derivation

    derivation = matcalc.solve("w, x in R^D\nf = relu(w^T x)\nfind df/dw",
                               check=False).derivations[0]
    wrong = dataclasses.replace(derivation, result=2 * derivation.result)
    for seed in range(12):
        assert check_derivation(derivation, seed=seed).passed
        assert not check_derivation(wrong, seed=seed).passed, seed

"""The public surface is small and pinned (httpx's test_exported_members)."""

from __future__ import annotations

import types

import pytest
import sympy

import matcalc


def test_all_public_names_are_exported() -> None:
    for name in matcalc.__all__:  # the API's names load on first use
        getattr(matcalc, name)
    public = sorted(
        (name for name, value in vars(matcalc).items()
         if (not name.startswith("_") or name == "__version__")
         and not isinstance(value, types.ModuleType) and name != "annotations"),
        key=str.casefold)
    assert sorted(matcalc.__all__, key=str.casefold) == public


def test_solve_returns_one_solution_with_a_result() -> None:
    solution = matcalc.solve("x in R^D\nf = x^T x\nfind df/dx")
    assert isinstance(solution, matcalc.Solution)
    assert str(solution.result) == "2*x.T"
    assert solution.derivations[0].check().passed


def test_solve_all_reads_several_problems() -> None:
    text = "## one\nx in R^D\nf = x^T x\n## two\nx in R^D\ng = sin(x^T x)\n"
    assert [s.problem.title for s in matcalc.solve_all(text)] == ["one", "two"]


def test_derive_explains_a_sympy_expression() -> None:
    D = sympy.Symbol("D", integer=True, positive=True)
    x = sympy.MatrixSymbol("x", D, 1)
    A = sympy.MatrixSymbol("A", D, D)
    derivation = matcalc.derive(x.T * A * x, x, check=True)
    assert str(derivation.shape) == "1×D"
    assert derivation.checked is not None and derivation.checked.passed
    assert "quadratic form" in derivation.to_text()
    assert "\\top" in derivation.to_latex()
    assert '"rule": "quadratic form"' in derivation.to_json()


def test_api_ergonomics() -> None:
    import numpy as np
    import pytest
    import sympy

    solution = matcalc.solve("problem: demo\nx in R^D\nA in R^{D x D}\nf = x^T A x")
    derivation = solution.derivations[0]
    D = sympy.Symbol("D", integer=True, positive=True)
    assert derivation.shape == (1, D) and len(derivation.shape) == 2
    assert derivation.shape[1] == D and list(derivation.shape) == [1, D]
    assert repr(derivation) == "<Derivation df/dx: 1×D, checked>"
    assert repr(solution) == "<Solution 'demo': <Derivation df/dx: 1×D, checked>>"
    assert "Result" in str(derivation) and "Result" in str(solution)
    x = sympy.MatrixSymbol("x", D, 1)
    assert matcalc.derive(x.T * x, x).checked is not None  # checked by default, like solve
    for dims, values, message in [
            ({"D": 3}, {"x": np.ones(3)}, "no value for A"),
            ({}, {"x": np.ones(3), "A": np.ones((3, 4))}, r"needs shape \(3, 3\)"),
            ({"D": 3}, {"x": np.ones(4), "A": np.eye(3)}, r"needs shape \(3,\), not \(4,\)")]:
        with pytest.raises(matcalc.MatcalcError, match=message):
            derivation.evaluate(dims, values)


def test_step_rule_is_the_name_shown() -> None:
    derivation = matcalc.solve("x, b in R^D; A in R^{D x D}; f = A x + b; find df/dx",
                               check=False).derivations[0]
    assert [step.rule for step in derivation.steps] == ["linear map plus constant"]


def test_matrix_products_take_the_precedence_sympy_gives_them() -> None:
    """matcalc's printers decide the precedence of a matrix product cheaply (sympy's negates
    and simplifies the whole product, which takes seconds on a deep network), as sympy
    decides it, and without changing sympy's own table for anyone else."""
    from sympy.printing.precedence import PRECEDENCE_FUNCTIONS, precedence_Mul

    import matcalc.engine
    import matcalc.language
    from matcalc.render.printers import precedence_of

    assert matcalc.engine and matcalc.language
    assert "MatMul" not in PRECEDENCE_FUNCTIONS
    D = sympy.Symbol("D", integer=True, positive=True)
    A, B = sympy.MatrixSymbol("A", D, D), sympy.MatrixSymbol("B", D, D)
    x = sympy.MatrixSymbol("x", D, 1)
    t = sympy.Symbol("t")
    for product in (A * B, -A * B, 2 * A * x, -3 * A.T * B, t * A * B, -t * A * B,
                    sympy.Rational(-1, 2) * x.T * A, A * sympy.DiagMatrix(x) * B):
        assert precedence_of(product) == precedence_Mul(product), product


def test_derive_a_hessian_and_a_mixed_derivative_of_a_sympy_expression() -> None:
    import numpy as np

    D = sympy.Symbol("D", integer=True, positive=True)
    E = sympy.Symbol("E", integer=True, positive=True)
    x, A = sympy.MatrixSymbol("x", D, 1), sympy.MatrixSymbol("A", D, D)
    y, B = sympy.MatrixSymbol("y", E, 1), sympy.MatrixSymbol("B", D, E)
    hessian = matcalc.derive(x.T * A * x, x, order=2)
    assert hessian.target.order == 2 and hessian.target.wrt2 == "x"
    assert hessian.checked is not None and hessian.checked.passed
    a = np.arange(9.0).reshape(3, 3)
    got = hessian.evaluate({"D": 3}, {"x": np.ones(3), "A": a})
    np.testing.assert_allclose(got, a + a.T)
    mixed = matcalc.derive(x.T * B * y, (x, y))
    assert (mixed.target.wrt, mixed.target.wrt2) == ("x", "y")
    b = np.arange(6.0).reshape(3, 2)
    np.testing.assert_allclose(mixed.evaluate({"D": 3, "E": 2},
                                              {"x": np.ones(3), "y": np.ones(2), "B": b}), b)
    with pytest.raises(matcalc.MatcalcError, match="order 1 or 2"):
        matcalc.derive(x.T * x, x, order=3)


def test_evaluate_reads_the_sizes_from_the_arrays() -> None:
    """evaluate(values) alone: D and E come from the arrays (a vector as a 1-D array); an
    array that disagrees is an error that names it."""
    import numpy as np
    import pytest

    derivation = matcalc.solve("x in R^D\nA in R^{E x D}\nf = ||A x||^2\nfind df/dx"
                               ).derivations[0]
    rng = np.random.default_rng(0)
    x, A = rng.normal(size=3), rng.normal(size=(2, 3))
    np.testing.assert_allclose(derivation.evaluate({"x": x, "A": A}), 2 * A.T @ A @ x)
    np.testing.assert_allclose(derivation.evaluate({"D": 3, "E": 2}, {"x": x, "A": A}),
                               2 * A.T @ A @ x)
    with pytest.raises(matcalc.MatcalcError, match="A is declared E × D"):
        derivation.evaluate({"x": np.ones(4), "A": A})

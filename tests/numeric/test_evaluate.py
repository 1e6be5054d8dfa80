"""The numeric evaluator (matcalc/numeric.py): rules found by class, a walk without
recursion, against numpy written by hand."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import sympy
from sympy import Lambda, MatMul, MatrixSymbol
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from matcalc.numeric import RULES, evaluate, rule
from matcalc.objects import ENTRY

n = sympy.Symbol("n", integer=True, positive=True)
W = MatrixSymbol("W", n, n)
x = MatrixSymbol("x", n, 1)


TANH = Lambda(ENTRY, sympy.tanh(ENTRY))


def tanh_of(argument: sympy.Basic) -> sympy.Basic:
    return ElementwiseApplyFunction(TANH, argument)


def test_a_deep_network_evaluates_without_touching_the_recursion_limit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """3,000 layers tanh(W h): far deeper than Python's default recursion limit allows a
    recursive walk; the evaluator never changes the limit. (The products are made without
    sympy's shape validation, which walks the tree by recursion and in quadratic time.)"""
    layers = 3000
    h: sympy.Basic = x
    for _ in range(layers):
        h = sympy.Basic.__new__(ElementwiseApplyFunction, TANH,
                                sympy.Basic.__new__(MatMul, W, h))

    def refused(limit: int) -> None:
        raise AssertionError("the recursion limit was changed")

    monkeypatch.setattr(sys, "setrecursionlimit", refused)
    rng = np.random.default_rng(0)
    w, v = rng.normal(size=(4, 4)) * 0.5, rng.normal(size=(4, 1))
    expected = v
    for _ in range(layers):
        expected = np.tanh(w @ expected)
    got = evaluate(h, {W: w, x: v}, {n: 4})
    np.testing.assert_allclose(got, expected)


def test_a_rule_is_found_by_the_most_specific_class() -> None:
    """sympy's MatMul is a Mul: the matrix product's rule is taken, whatever the order in
    which the rules were registered."""
    assert RULES[sympy.MatMul] is not RULES[sympy.Mul]
    rng = np.random.default_rng(1)
    w, v = rng.normal(size=(3, 3)), rng.normal(size=(3, 1))
    np.testing.assert_allclose(evaluate(MatMul(W, x), {W: w, x: v}, {n: 3}), w @ v)


def test_a_kind_without_a_rule_is_an_error_that_names_it() -> None:
    from matcalc.errors import MatcalcError

    class Unknown(sympy.Expr):
        pass

    with pytest.raises(MatcalcError, match="cannot evaluate Unknown"):
        evaluate(Unknown() + 1, {}, {})


def test_a_new_kind_is_one_rule() -> None:
    class Twice(sympy.Expr):
        pass

    @rule(Twice)
    def _twice(walk, node):  # type: ignore[no-untyped-def]
        return 2 * walk[node.args[0]]

    try:
        t = sympy.Symbol("t")
        assert evaluate(Twice(t) + 1, {t: 3.0}, {}) == 7.0
    finally:
        del RULES[Twice]


def test_shared_parts_are_computed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    original = RULES[sympy.MatMul]

    def counted(walk, node):  # type: ignore[no-untyped-def]
        calls.append(node)
        return original.compute(walk, node)

    monkeypatch.setitem(RULES, sympy.MatMul, type(original)(original.children, counted))
    shared = MatMul(W, x)
    expr = sympy.MatAdd(tanh_of(shared), shared, MatMul(W, shared))
    rng = np.random.default_rng(2)
    w, v = rng.normal(size=(3, 3)), rng.normal(size=(3, 1))
    got = evaluate(expr, {W: w, x: v}, {n: 3})
    np.testing.assert_allclose(got, np.tanh(w @ v) + w @ v + w @ (w @ v))
    assert len(calls) == 2  # Wx once, W(Wx) once


def test_a_diagonal_in_a_product_is_never_made_dense_and_gives_the_same_numbers() -> None:
    """diag(v) between matrices scales rows or columns; a stack of points too."""
    from sympy.matrices.expressions.diagonal import DiagMatrix

    v = MatrixSymbol("v", n, 1)
    rng = np.random.default_rng(4)
    w, u = rng.normal(size=(3, 3)), rng.normal(size=(3, 1))
    expr = MatMul(W.T, DiagMatrix(v), W, DiagMatrix(v), x)
    expected = w.T @ np.diag(u[:, 0]) @ w @ np.diag(u[:, 0]) @ u
    np.testing.assert_allclose(evaluate(expr, {W: w, v: u, x: u}, {n: 3}), expected)
    stack = np.stack([u, 2 * u])
    got = evaluate(expr, {W: w, v: stack, x: u}, {n: 3})
    np.testing.assert_allclose(got[1], w.T @ np.diag(2 * u[:, 0]) @ w
                               @ np.diag(2 * u[:, 0]) @ u)
    only = evaluate(MatMul(2, DiagMatrix(v)), {v: u}, {n: 3})
    np.testing.assert_allclose(only, 2 * np.diag(u[:, 0]))

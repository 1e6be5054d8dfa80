"""Chains: every path, the product with a shape check per factor, substitution."""

from __future__ import annotations

import pytest

import matcalc
from matcalc.engine.chain import paths
from matcalc.errors import MatcalcError
from matcalc.language import parse
from matcalc.model import Shape


def test_every_path_is_found_and_summed() -> None:
    text = "x in R^D, a in R^D\nf = u^T v\nu = a + x\nv = 2x\nfind df/dx"
    (problem,) = parse(text)
    assert paths(problem, "f", "x") == [["f", "u", "x"], ["f", "v", "x"]]
    derivation = matcalc.solve(text).derivations[0]
    assert len(derivation.chains) == 2
    assert derivation.checked is not None and derivation.checked.passed


def test_chain_shapes_line_up() -> None:
    derivation = matcalc.solve(
        "x, mu in R^D\nS in R^{D x D}\nf = exp(-1/2 z)\nz = y^T S^{-1} y\ny = x - mu"
    ).derivations[0]
    (chain,) = derivation.chains
    assert [str(link.step.shape) for link in chain.links] == ["1×1", "1×D", "D×D"]
    assert str(chain.shape) == "1×D"


def test_shape_then_names_both_shapes_when_they_do_not_meet() -> None:
    import sympy

    D, E = sympy.symbols("D E", integer=True, positive=True)
    with pytest.raises(MatcalcError, match="1×E times D×D"):
        Shape((1, E)).then(Shape((D, D)))


def test_derivative_of_an_unrelated_variable_is_zero() -> None:
    derivation = matcalc.solve("x, y in R^D\nf = x^T x\nfind df/dy").derivations[0]
    assert derivation.chains == ()
    assert str(derivation.result) == "0"
    assert derivation.checked is not None and derivation.checked.passed

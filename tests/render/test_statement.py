"""The problem as stated back: properties as a textbook states them."""

from __future__ import annotations

import pytest

import matcalc
from matcalc.render import render_all


@pytest.mark.parametrize("written, shown", [
    ("positive definite", "positive definite"),  # implies symmetric and invertible: not listed
    ("symmetric, positive definite", "positive definite"),
    ("invertible, symmetric", "symmetric, invertible"),  # one order, whatever was written
    ("constant, diagonal", "diagonal, constant"),
])
def test_properties_are_stated_once_in_one_order(written: str, shown: str) -> None:
    solutions = matcalc.solve_all(f"S in R^{{n x n}}, {written}; f = log det S; find df/dS",
                                  check=False)
    assert f"Given   S ∈ ℝ^{{n×n}}, {shown}\n" in render_all(solutions, "text", width=100)

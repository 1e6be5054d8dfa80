"""Numerator layout (MML's, the default) and denominator layout (gradients as columns).

The engine derives in numerator layout; the denominator layout is its transpose,
applied to the result before simplification so that properties (Sᵀ = S) still apply.
"""

from __future__ import annotations

import sympy

from matcalc.engine import algebra
from matcalc.errors import MatcalcError
from matcalc.model import Sentence, Shape

LAYOUTS = ("numerator", "denominator")

NOTES: dict[str, Sentence] = {
    "numerator": ("Numerator layout (as in Mathematics for Machine Learning): ∂f/∂x has "
                  "the rows of f and the columns of x's entries, so a scalar by a vector is "
                  "a row vector.",),
    "denominator": ("Denominator layout (gradients as columns, as in the Matrix Cookbook): "
                    "each result is the transpose of the numerator-layout Jacobian, so a "
                    "scalar by a vector is a column vector.",),
}


def check_layout(layout: str) -> None:
    if layout not in LAYOUTS:
        raise MatcalcError(f"unknown layout {layout!r}",
                           hint="choose 'numerator' or 'denominator'")


def in_layout(value: sympy.Basic, shape: Shape, layout: str) -> tuple[sympy.Basic, Shape]:
    if layout == "numerator":
        return value, shape
    return algebra.transpose(value), Shape(shape.dims[::-1])

"""Numerator layout (MML's, the default) and denominator layout (gradients as columns).

The engine derives in numerator layout; the denominator layout is its transpose,
applied to the result before simplification so that properties (Sᵀ = S) still apply.
"""

from __future__ import annotations

import sympy

from matcalc.engine import algebra
from matcalc.errors import MatcalcError
from matcalc.model import Shape, transposes

LAYOUTS = ("numerator", "denominator")


def check_layout(layout: str) -> None:
    if layout not in LAYOUTS:
        raise MatcalcError(f"unknown layout {layout!r}",
                           hint="choose 'numerator' or 'denominator'")


def in_layout(value: sympy.Basic, shape: Shape, of: sympy.Basic, wrt: sympy.Basic,
              layout: str) -> tuple[sympy.Basic, Shape]:
    if not transposes(of, wrt, layout):
        return value, shape
    return algebra.transpose(value), Shape(shape.dims[::-1])

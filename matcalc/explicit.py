"""The entries of a small case (--dims M=2,N=3): a derivative by or of a matrix written out
with named entries (R_11, x_2), the tensor slice by slice and the vectorized Jacobian, as
the seed's figure draws them. Computed from the index formula with numpy object arrays.
Imports numpy, sympy, matcalc.model, matcalc.objects and matcalc.check's helpers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import sympy

from matcalc.check import named, vector_shape
from matcalc.errors import MatcalcError
from matcalc.model import Derivation, Explicit, Solution
from matcalc.numeric import Number
from matcalc.objects import Delta, Entry, as_dimension

MAX_ENTRIES = 4096  # entries of one written-out tensor (README, Limits)


def explicit_entries(derivation: Derivation, dims: Mapping[str, int]) -> Explicit:
    """The tensor of a small case with named entries (R_11, x_2), from the index formula.

    Only formulas made of entries of the variables, deltas, sums and products can be
    written out this way; anything else (an inverse, tanh) is reported as an error.
    """
    views = derivation.views
    problem = derivation.problem
    assert views is not None and problem is not None
    sizes: dict[sympy.Basic, int] = {}
    for declaration in problem.declarations:
        for dim in (s for d in declaration.shape.dims for s in as_dimension(d).free_symbols):
            if isinstance(dim, sympy.Symbol):  # D, also of R^{D^2}
                if dim.name not in dims:
                    raise MatcalcError(f"--dims does not give the size {dim.name}",
                                       hint=f"add it, e.g. --dims {dim.name}=2")
                sizes[dim] = int(dims[dim.name])
    out_shape = vector_shape(derivation.of_symbol, sizes)
    in_shape = vector_shape(derivation.wrt_symbol, sizes)
    count = int(np.prod(out_shape + in_shape, dtype=object))
    if count > MAX_ENTRIES:  # before a symbol is made for an entry (D=3000 took 46 s)
        raise MatcalcError(f"--dims would write out {count:,} entries; at most {MAX_ENTRIES:,}",
                           hint="--dims is for small cases, such as M=2,N=3")
    values: dict[sympy.Basic, Number] = {}
    for declaration in problem.declarations:
        rows, cols = (int(as_dimension(d).xreplace(sizes)) for d in declaration.shape.dims)
        name = declaration.name
        entries = np.empty((rows, cols), dtype=object)
        for r in range(rows):
            for c in range(cols):
                label = f"{name}_{r + 1}" if cols == 1 else (
                    f"{name}_{c + 1}" if rows == 1 else f"{name}_{r + 1}{c + 1}")
                entries[r, c] = sympy.Symbol(label)
        values[declaration.symbol] = entries[0, 0] if declaration.shape.is_scalar else entries
    try:
        tensor = np.empty(out_shape + in_shape, dtype=object)
        grids_value = index_tensor_exact(derivation, values, sizes)
        tensor[...] = grids_value
    except (TypeError, AttributeError, np.linalg.LinAlgError, MatcalcError):
        raise MatcalcError(
            "--dims writes out index formulas made only of entries of the variables, "
            "deltas, sums and products") from None
    slices = []
    for index in np.ndindex(in_shape):
        part = tensor[(Ellipsis, *index)]
        matrix = sympy.Matrix(np.atleast_2d(part).T if np.ndim(part) == 1 else np.atleast_2d(part))
        slices.append((tuple(i + 1 for i in index), matrix))
    rows = int(np.prod(out_shape)) if out_shape else 1
    vec = sympy.Matrix(np.reshape(tensor, (rows, -1), order="F"))
    return Explicit(named(sizes), tuple(slices), vec)


def index_tensor_exact(derivation: Derivation, values: Mapping[sympy.Basic, Number],
                       sizes: Mapping[sympy.Basic, int]) -> Any:
    """index_tensor for exact (object) entries: deltas as integers, not floats."""
    views = derivation.views
    assert views is not None
    if views.index is None:
        raise MatcalcError("no index formula to write the entries from")
    formula = views.index.replace(
        lambda e: isinstance(e, Delta), lambda e: sympy.Piecewise((1, sympy.Eq(*e.args)),
                                                                  (0, True)))
    out_shape = vector_shape(derivation.of_symbol, sizes)
    in_shape = vector_shape(derivation.wrt_symbol, sizes)
    shape = out_shape + in_shape
    result = np.empty(shape, dtype=object)
    for position in np.ndindex(shape):
        binding = dict(zip(views.letters, position, strict=True))
        exact = formula.xreplace({s: sympy.Integer(v) for s, v in binding.items()})
        result[position] = exact_value(exact, values, binding)
    return result


def exact_value(expr: sympy.Basic, values: Mapping[sympy.Basic, Number],
                binding: Mapping[sympy.Basic, int]) -> sympy.Expr:
    """An index formula at fixed indices, with the variables' named entries."""
    if isinstance(expr, Entry):
        matrix, row, col = expr.args
        if matrix not in values:
            raise MatcalcError("not an entry of a variable")
        return values[matrix][int(row), int(col)]
    if isinstance(expr, sympy.Piecewise):
        return sympy.Integer(1) if bool(expr.args[0][1]) else sympy.Integer(0)
    if not expr.args or expr.is_Number:
        if expr in values:
            return values[expr]
        return expr
    return expr.func(*(exact_value(a, values, binding) for a in expr.args))


def write_out(solution: Solution, dims: Mapping[str, int]) -> Solution:
    """The same solution with the entries of every tensor derivative for these sizes."""
    written = []
    for derivation in solution.derivations:
        if derivation.views is not None:
            try:
                derivation = dataclasses.replace(
                    derivation, explicit=explicit_entries(derivation, dims))
            except MatcalcError as error:
                if "--dims does not give" in error.message:
                    raise
                remark = (f"The entries are not written out: {error.message}.",)
                derivation = dataclasses.replace(
                    derivation, remarks=(*derivation.remarks, remark))
        written.append(derivation)
    return dataclasses.replace(solution, derivations=tuple(written))

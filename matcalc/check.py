"""Numbers: evaluate expressions with numpy, and check derivations by finite differences.

``evaluate(expr, values, sizes)`` walks a sympy expression and computes it with numpy,
one small function per kind of node; ``check_derivation`` compares a derivation's
symbolic result with central finite differences of the function it differentiates, at
random *distinct* sizes (so that a transposed or mis-shaped result cannot pass) and random
values that respect the declared properties.

numpy is imported here and nowhere else; this module is loaded only when a check runs.
Imports numpy, sympy, matcalc.model, matcalc.objects, matcalc.errors.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import numpy as np
import sympy
from sympy import (
    Determinant,
    HadamardProduct,
    Identity,
    Inverse,
    KroneckerProduct,
    MatAdd,
    MatMul,
    MatPow,
    MatrixSymbol,
    OneMatrix,
    Trace,
    Transpose,
    ZeroMatrix,
)
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix

from matcalc import functions, model, objects
from matcalc.errors import MatcalcError
from matcalc.model import Check, Derivation, Problem, Property, Solution
from matcalc.objects import (
    Applied,
    AppliedVector,
    Commutation,
    Delta,
    Entry,
    LogSumExp,
    Norm,
    Scalar,
    Softmax,
    UnitVector,
    Vec,
    as_dimension,
    is_abstract,
)

Number = Any  # float or numpy array

# the numpy form of every function in the table, by its sympy class
_FUNCTIONS: dict[type, Callable[[Number], Number]] = {
    kind: partial(record.numpy, np) for kind, record in functions.BY_KIND.items()}


DEEPEST = 30_000  # Python frames an evaluation may use: three a level of the tree


def evaluate(expr: sympy.Basic, values: Mapping[sympy.Basic, Number],
             sizes: Mapping[sympy.Basic, int]) -> Number:
    """The value of ``expr`` with numpy: matrices as 2-D arrays, scalars as floats.

    A value may also be a stack of B values (a leading axis: B×r×c for a matrix, B×1×1 for
    a scalar), and every value computed from it is then a stack too: that is how finite
    differences evaluate all their perturbed points in one walk of the expression."""

    def size(dim: sympy.Basic) -> int:
        return int(dim.xreplace(dict(sizes)))

    def index(symbol: sympy.Basic) -> Any:
        return values[symbol] if symbol in values else int(symbol)

    cache: dict[sympy.Basic, Number] = {}

    def ev(node: sympy.Basic) -> Number:
        if node in values:
            return values[node]
        if node in cache:  # a part that appears many times is computed once
            return cache[node]
        value = compute(node)
        cache[node] = value
        return value

    def compute(node: sympy.Basic) -> Number:
        match node:
            case sympy.Number() | sympy.NumberSymbol():
                return float(node)
            case Scalar():
                matrix = ev(node.matrix)
                return matrix if np.ndim(matrix) == 3 else float(np.reshape(matrix, -1)[0])
            case sympy.Symbol() if node in sizes:  # a size used as a number (1/N)
                return float(sizes[node])
            case MatrixSymbol() | sympy.Symbol():
                raise MatcalcError(f"no value for {node}")
            case MatMul():  # before Mul: sympy's MatMul subclasses Mul
                matrices = [ev(arg) for arg in node.args if objects.is_matrix(arg)]
                scalars = [ev(arg) for arg in node.args if not objects.is_matrix(arg)]
                return product_of([*scalars, chain_product(matrices)] if matrices else scalars)
            case sympy.Add() | MatAdd():
                return sum_of([ev(a) for a in node.args])
            case sympy.Mul():
                return product_of([ev(a) for a in node.args])
            case sympy.Pow():
                return np.power(ev(node.base), ev(node.exp))
            case Transpose():
                return transposed(ev(node.arg))
            case Inverse():
                matrix = ev(node.arg)
                if np.any(np.linalg.cond(matrix) > 1e12):  # singular: XᵀX with m < n
                    raise np.linalg.LinAlgError("the matrix to invert is singular")
                return np.linalg.inv(matrix)
            case MatPow():
                return np.linalg.matrix_power(ev(node.base), int(node.exp))
            case Identity():
                return np.eye(size(node.rows))
            case ZeroMatrix():
                return np.zeros((size(node.rows), size(node.cols)))
            case OneMatrix():
                return np.ones((size(node.rows), size(node.cols)))
            case Trace():
                return number(np.trace(ev(node.arg), axis1=-2, axis2=-1))
            case Determinant():
                return number(np.linalg.det(ev(node.arg)))
            case Norm():  # Frobenius: the 2-norm of a column
                return number(np.linalg.norm(ev(node.arg), axis=(-2, -1)))
            case HadamardProduct():
                return product_of([ev(a) for a in node.args])
            case KroneckerProduct():
                result = ev(node.args[0])
                for arg in node.args[1:]:
                    result = kronecker(result, ev(arg))
                return result
            case UnitVector():
                unit = np.zeros((size(node.args[1]), 1))
                position = int(ev(node.index))
                if not 1 <= position <= unit.shape[0]:
                    raise MatcalcError(f"entry {node.index} = {position} does not exist in a "
                                       f"vector of length {unit.shape[0]}",
                                       hint="entries are counted from 1")
                unit[position - 1, 0] = 1.0
                return unit
            case Softmax():
                inner = ev(node.arg)
                shifted = np.exp(inner - np.max(inner, axis=(-2, -1), keepdims=True))
                return shifted / np.sum(shifted, axis=(-2, -1), keepdims=True)
            case LogSumExp():
                inner = ev(node.arg)
                top = np.max(inner, axis=(-2, -1))
                return number(top + np.log(np.sum(np.exp(inner - top[..., None, None]),
                                                  axis=(-2, -1))))
            case Vec():  # columns stacked: vec(A)[k + l·m] = A[k, l]
                matrix = ev(node.arg)
                return np.reshape(transposed(matrix), (*np.shape(matrix)[:-2], -1, 1))
            case Commutation():
                return commutation(size(node.args[0]), size(node.args[1]))
            case Entry():
                matrix = np.asarray(ev(node.matrix))
                if matrix.ndim == 3:
                    return matrix[:, index(node.args[1]), index(node.args[2])][:, None, None]
                return matrix[index(node.args[1]), index(node.args[2])]
            case Delta():
                return (index(node.args[0]) == index(node.args[1])).astype(float)
            case DiagMatrix():
                vector = np.asarray(ev(node.args[0]))
                entries = np.reshape(vector, (*vector.shape[:-2], -1, 1))
                return entries * np.eye(entries.shape[-2])
            case ElementwiseApplyFunction():
                (variable,) = node.function.variables
                inner = ev(node.expr)
                body = node.function.expr
                if type(body) in _FUNCTIONS and body.args == (variable,):  # tanh, exp, …
                    return _FUNCTIONS[type(body)](inner)
                return evaluate(body, {**values, variable: inner}, sizes) * np.ones_like(inner)
            case sympy.Function() if type(node) in _FUNCTIONS:
                return _FUNCTIONS[type(node)](ev(node.args[0]))
        raise MatcalcError(f"cannot evaluate {type(node).__name__} numerically")

    depth = sys.getrecursionlimit()  # a deep network substituted is a deep tree; its
    sys.setrecursionlimit(max(depth, DEEPEST))  # walk is Python calls only (no C stack)
    try:
        return ev(expr)
    except RecursionError:
        raise MatcalcError(f"the expression is nested too deeply to evaluate (more than "
                           f"about {DEEPEST // 3:,} levels)") from None
    finally:
        sys.setrecursionlimit(depth)


def number(value: Any) -> Number:
    """A number reduced from a matrix: a float, or B×1×1 for a stack of B matrices."""
    return float(value) if np.ndim(value) == 0 else np.reshape(value, (-1, 1, 1))


def transposed(value: Number) -> Number:
    """Aᵀ of a matrix or of each matrix in a stack (a number is its own transpose)."""
    return np.swapaxes(value, -1, -2) if np.ndim(value) >= 2 else np.transpose(value)


def kronecker(left: Any, right: Any) -> Any:
    """A ⊗ B of two matrices, or of each pair in stacks of them."""
    (m, n), (p, q) = np.shape(left)[-2:], np.shape(right)[-2:]
    blocks = np.einsum("...ij,...kl->...ikjl", left, right)
    return np.reshape(blocks, (*blocks.shape[:-4], m * p, n * q))


def chain_product(matrices: list[Any]) -> Any:
    """A₁A₂⋯Aₖ in the cheaper order: matrix times vector, never matrix times matrix, where
    the chain passes through a column. A product that ends in a column is taken from the
    right; one through a column inside (… h xᵀ) is cut there, the column part from the right
    and the row part from the left; otherwise from the left, which is reverse mode's order
    for a row in front (2hᵀ diag(…) W …). Any factor may be a stack of matrices."""
    if np.shape(matrices[0])[-2] != 1:
        inner = [np.shape(m)[-1] for m in matrices]
        if 1 in inner:
            cut = inner.index(1) + 1
            column = matrices[cut - 1]
            for matrix in reversed(matrices[:cut - 1]):
                column = matrix @ column
            return column if cut == len(matrices) else column @ chain_product(matrices[cut:])
    result = matrices[0]
    for matrix in matrices[1:]:
        result = result @ matrix
    return result


def result_value(derivation: Derivation, values: Mapping[sympy.Basic, Number],
                 sizes: Mapping[sympy.Basic, int], result: sympy.Basic | None = None
                 ) -> Number:
    """The result's value (or that of ``result``, the same in other names), its named
    intermediates computed forward first, each once (the result may be kept in them:
    h_k = tanh(W_k h_{k−1}))."""
    problem = derivation.problem
    assert problem is not None
    expr = derivation.result if result is None else result
    known = dict(values)
    for definition in problem.needed(expr):
        if definition.symbol not in known:
            known[definition.symbol] = evaluate(definition.expr, known, sizes)
    return evaluate(expr, known, sizes)


def commutation(rows: int, cols: int) -> Any:
    """K with K vec(A) = vec(Aᵀ) for an m×n A: vec(Aᵀ)[l + k·n] = vec(A)[k + l·m]."""
    matrix = np.zeros((rows * cols, rows * cols))
    for k in range(rows):
        for l in range(cols):  # noqa: E741  (the textbook's index names)
            matrix[l + k * cols, k + l * rows] = 1.0
    return matrix


def sum_of(items: list[Number]) -> Number:
    total = items[0]
    for item in items[1:]:
        total = total + item
    return total


def product_of(items: list[Number]) -> Number:
    total = items[0]
    for item in items[1:]:
        total = total * item
    return total


# ---- the numeric contract ----------------------------------------------------------


def canonical(value: Number, derivation: Derivation, sizes: Mapping[sympy.Basic, int]) -> Any:
    """The result as an array of shape out_shape + in_shape (language.md's contract)."""
    array = np.asarray(value, dtype=float)
    if model.transposes(derivation.of_symbol, derivation.wrt_symbol, derivation.layout):
        array = array.T
    out_shape = vector_shape(derivation.of_symbol, sizes)
    in_shape = vector_shape(derivation.wrt_symbol, sizes)
    # ∂vec F/∂vec X has row i + j·p and column k + l·m: unstack columns first (order F)
    return array.reshape(out_shape + in_shape, order="F")


def vector_shape(symbol: sympy.Basic, sizes: Mapping[sympy.Basic, int]) -> tuple[int, ...]:
    if not getattr(symbol, "is_Matrix", False):
        return ()
    rows, cols = (int(as_dimension(d).xreplace(dict(sizes))) for d in symbol.shape)
    return (rows,) if cols == 1 else (rows, cols)


def evaluate_derivation(derivation: Derivation, dims: Mapping[str, int],
                        values: Mapping[str, Any]) -> Any:
    """Derivation.evaluate: sizes by dimension name, values by variable name."""
    problem = derivation.problem
    assert problem is not None
    sizes = {sympy.Symbol(name, integer=True, positive=True): int(n)
             for name, n in dims.items()}
    validate(derivation, sizes, values)
    bound = bind(problem, values)
    try:
        with np.errstate(all="ignore"):
            return canonical(result_value(derivation, bound, sizes), derivation, sizes)
    except np.linalg.LinAlgError:
        raise MatcalcError("the derivative is not defined at these values: a matrix it "
                           "inverts is singular") from None


def validate(derivation: Derivation, sizes: Mapping[sympy.Basic, int],
             values: Mapping[str, Any]) -> None:
    """Every variable the result uses has a value of its declared size; an error says which
    does not."""
    problem = derivation.problem
    assert problem is not None
    used = objects.parts_of(problem.substituted(derivation.result),
                            (sympy.Symbol, MatrixSymbol))
    for declaration in problem.declarations:
        if declaration.symbol not in used:
            continue
        missing = sorted(str(d) for size in declaration.shape.dims
                         for d in as_dimension(size).free_symbols if d not in sizes)
        if missing:
            raise MatcalcError(f"the size {missing[0]} is not given",
                               hint=f"pass it in dims, e.g. {{{missing[0]!r}: 3}}")
        if declaration.name not in values:
            raise MatcalcError(f"no value for {declaration.name}",
                               hint=f"pass it in values, e.g. {{{declaration.name!r}: ...}}")
        expected = vector_shape(declaration.symbol, sizes)
        given = np.shape(values[declaration.name])
        if given != expected and not (expected == () and given in {(1,), (1, 1)}):
            declared = " × ".join(str(d) for d in declaration.shape.dims)
            raise MatcalcError(
                f"{declaration.name} is declared {declared}, so it needs shape {expected}, "
                f"not {given}", hint="sizes: " + ", ".join(
                    f"{d} = {n}" for d, n in sorted(sizes.items(), key=lambda i: str(i[0]))))


def bind(problem: Problem, values: Mapping[str, Any]) -> dict[sympy.Basic, Number]:
    bound: dict[sympy.Basic, Number] = {}
    for definition in problem.definitions:  # k in softmax(z)_k, counted from 1
        for unit in definition.expr.atoms(UnitVector):
            name = str(unit.index)
            if not unit.index.is_Integer and name in values:
                position = values[name]
                if int(position) != position or position < 1:
                    raise MatcalcError(f"the entry {name} is counted from 1, so it must be a "
                                       f"positive whole number, not {position}")
                bound[unit.index] = int(position)
    for declaration in problem.declarations:
        if declaration.name not in values:
            continue
        value = values[declaration.name]
        if declaration.shape.is_scalar:
            bound[declaration.symbol] = float(value)
        else:
            array = np.asarray(value, dtype=float)
            bound[declaration.symbol] = array.reshape(-1, 1) if array.ndim == 1 else array
    return bound


# ---- random values and finite differences -------------------------------------------


def random_sizes(problem: Problem, rng: np.random.Generator) -> dict[sympy.Basic, int]:
    """Distinct sizes from 2 upwards, one per dimension name."""
    dims = sorted({d for decl in problem.declarations for d in decl.shape.dims
                   if isinstance(d, sympy.Symbol)}, key=str)
    choices = rng.permutation(np.arange(2, 2 + max(5, len(dims) + 3)))
    return {dim: int(n) for dim, n in zip(dims, choices, strict=False)}


def random_values(problem: Problem, sizes: Mapping[sympy.Basic, int],
                  rng: np.random.Generator, positive: bool) -> dict[sympy.Basic, Number]:
    values: dict[sympy.Basic, Number] = {}
    for definition in problem.definitions:  # positions such as k in softmax(z)_k
        for unit in definition.expr.atoms(UnitVector):
            if not unit.index.is_Integer:
                length = int(as_dimension(unit.args[1]).xreplace(dict(sizes)))
                values[unit.index] = int(rng.integers(1, length + 1))
    for declaration in problem.declarations:
        rows, cols = (int(as_dimension(d).xreplace(dict(sizes))) for d in declaration.shape.dims)
        draw = rng.uniform(0.5, 1.5, (rows, cols)) if positive else rng.normal(0, 0.7, (rows, cols))
        values[declaration.symbol] = (
            float(draw[0, 0]) if declaration.shape.is_scalar
            else respecting(draw, declaration.properties, rng))
    return values


def respecting(matrix: Any, properties: frozenset[Property], rng: np.random.Generator) -> Any:
    n = matrix.shape[0]
    if Property.ORTHOGONAL in properties:
        q, _ = np.linalg.qr(rng.normal(size=(n, n)))
        return q
    if Property.DIAGONAL in properties:
        matrix = np.diag(np.diag(matrix) + (np.sign(np.diag(matrix)) + (np.diag(matrix) == 0)))
    if Property.POSITIVE_DEFINITE in properties:
        return matrix @ matrix.T + n * np.eye(n)
    if Property.SYMMETRIC in properties:
        matrix = (matrix + matrix.T) / 2
    if Property.INVERTIBLE in properties or Property.SYMMETRIC in properties:
        matrix = matrix + n * np.eye(n)
    return matrix


def finite_differences(function: sympy.Basic, wrt: sympy.Basic,
                       values: dict[sympy.Basic, Number], sizes: Mapping[sympy.Basic, int],
                       step: float = 1e-6) -> Any:
    """Central differences of ``function`` in every entry of ``wrt``: out_shape + in_shape.

    The 2n points x ± h·eₖ are one stack, evaluated in one walk of the function."""
    point = np.asarray(values[wrt], dtype=float)
    count = point.size
    basis = step * np.eye(count).reshape(count, *point.shape)  # eₖ in row-major order
    moved = np.concatenate([point + basis, point - basis])
    if point.ndim < 2:
        moved = moved.reshape(2 * count, 1, 1)  # a scalar variable: a stack of 1×1
    value = np.asarray(evaluate(function, {**values, wrt: moved}, sizes), dtype=float)
    if value.ndim != 3:  # the function does not vary with wrt
        return np.zeros((*np.shape(value), count))
    columns = (value[:count] - value[count:]) / (2 * step)  # n × out rows × out columns
    return np.moveaxis(columns, 0, -1)  # out rows × out columns × in entries


SIZE_DRAWS = 8  # size choices tried before the check gives up on finding a finite point


def check_derivation(derivation: Derivation, *, seed: int = 0, trials: int = 2,
                     tolerance: float = 1e-5) -> Check:
    """The result against finite differences, at ``trials`` random size choices."""
    problem = derivation.problem
    assert problem is not None
    if is_abstract(derivation.function):
        names = sorted({a.name for a in objects.parts_of(derivation.function,
                                                          (Applied, AppliedVector))})
        return Check(True, 0.0, (), 0, f"{', '.join(names)} are abstract functions, which "
                     "have no values to check with" if len(names) > 1 else
                     f"{names[0]} is an abstract function, which has no values to check with")
    rng = np.random.default_rng(seed)
    worst = 0.0
    sizes: dict[sympy.Basic, int] = {}
    for _ in range(trials):
        failure: MatcalcError | None = None
        for _ in range(SIZE_DRAWS):  # XᵀX is singular when X has fewer rows than columns:
            sizes = random_sizes(problem, rng)  # other sizes are drawn until it is not
            try:
                point, symbolic, numeric = draw_point(derivation, sizes, rng)
                failure = None
                break
            except MatcalcError as error:
                failure = error
        if failure is not None:
            return Check(False, float("inf"), named(sizes), trials, failure.message)
        out_shape = vector_shape(derivation.of_symbol, sizes)
        in_shape = vector_shape(derivation.wrt_symbol, sizes)
        expected = numeric.reshape(out_shape + in_shape)
        if symbolic.shape != expected.shape:
            return Check(False, float("inf"), named(sizes), trials,
                         f"shape {symbolic.shape} where finite differences give "
                         f"{expected.shape}")
        scale = max(1.0, float(np.max(np.abs(expected))) if expected.size else 1.0)
        shown = [symbolic]
        if derivation.named_result is not None:  # the result in the problem's own names
            with np.errstate(all="ignore"):
                shown.append(canonical(result_value(derivation, point, sizes,
                                                    derivation.named_result),
                                       derivation, sizes))
        for value in shown:
            if np.shape(value) != expected.shape:
                return Check(False, float("inf"), named(sizes), trials,
                             f"shape {np.shape(value)} where finite differences give "
                             f"{expected.shape}")
            relative = float(np.max(np.abs(value - expected))) / scale if expected.size \
                else 0.0
            worst = max(worst, relative)
    passed = worst <= tolerance
    return Check(passed, worst, named(sizes), trials,
                 "" if passed else f"largest relative error {worst:.2e} exceeds {tolerance:g}")


def draw_point(derivation: Derivation, sizes: dict[sympy.Basic, int],
               rng: np.random.Generator) -> tuple[dict[sympy.Basic, Number], Any, Any]:
    """Random values at which the function and its derivative are finite."""
    problem = derivation.problem
    assert problem is not None
    with np.errstate(all="ignore"):
        for attempt in range(12):
            values = random_values(problem, sizes, rng, positive=attempt % 2 == 1)
            wrt = derivation.wrt_symbol
            if wrt not in values:  # by an intermediate: it takes its defined value
                values[wrt] = evaluate(problem.substituted(wrt), values, sizes)
            try:
                symbolic = canonical(result_value(derivation, values, sizes), derivation,
                                     sizes)
                numeric = finite_differences(derivation.function, derivation.wrt_symbol,
                                             values, sizes)
            except np.linalg.LinAlgError:
                continue
            except ValueError as error:  # a result of the wrong size cannot be reshaped
                raise MatcalcError(f"the result has the wrong size: {error}") from None
            if np.all(np.isfinite(symbolic)) and np.all(np.isfinite(numeric)):
                return values, symbolic, numeric
    raise MatcalcError("no random point was found where the function is finite",
                       hint="the function may be undefined almost everywhere")


def named(sizes: Mapping[sympy.Basic, int]) -> tuple[tuple[str, int], ...]:
    return tuple((str(dim), n) for dim, n in sorted(sizes.items(), key=lambda i: str(i[0])))


def verify(solution: Solution, *, seed: int = 0) -> Solution:
    """The same solution with a Check on every derivation."""
    checked = tuple(dataclasses.replace(d, checked=check_derivation(d, seed=seed))
                    for d in solution.derivations)
    return dataclasses.replace(solution, derivations=checked)


def index_tensor(derivation: Derivation, values: Mapping[sympy.Basic, Number],
                 sizes: Mapping[sympy.Basic, int]) -> Any:
    """The tensor ∂F_ij/∂X_kl computed from the index formula alone (not from vec)."""
    assert derivation.views is not None
    out_shape = vector_shape(derivation.of_symbol, sizes)
    in_shape = vector_shape(derivation.wrt_symbol, sizes)
    axes = derivation.views.letters
    shape = out_shape + in_shape
    grids = {}
    for position, symbol in enumerate(axes):
        view = [1] * len(shape)
        view[position] = shape[position]
        grids[symbol] = np.arange(shape[position]).reshape(view)
    value = evaluate(derivation.views.index, {**values, **grids}, sizes)
    return np.broadcast_to(np.asarray(value, dtype=float), shape)

"""Checks: a derivation's symbolic result against central finite differences.

``check_derivation`` compares a derivation's result with central finite differences of the
function it differentiates, at random *distinct* sizes (so that a transposed or mis-shaped
result cannot pass) and random values that respect the declared properties: the draws, the
differences and the verdict live here; the values come from the evaluator, numeric.py.

numpy is imported here and in numeric.py only; this module is loaded only when a check runs.
Imports numpy, sympy, matcalc.model, matcalc.objects, matcalc.errors, matcalc.numeric.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import sympy
from sympy import MatrixSymbol

from matcalc import model, objects
from matcalc.errors import MatcalcError
from matcalc.model import Check, Derivation, Problem, Property, Solution
from matcalc.numeric import Number, evaluate
from matcalc.objects import Applied, AppliedVector, UnitVector, as_dimension, is_abstract


def result_value(derivation: Derivation, values: Mapping[sympy.Basic, Number],
                 sizes: Mapping[sympy.Basic, int], result: sympy.Basic | None = None
                 ) -> Number:
    """The result's value (or that of ``result``, the same in other names), its named
    intermediates computed forward first, each once (the result may be kept in them:
    h_k = tanh(W_k h_{k−1}))."""
    expr = derivation.result if result is None else result
    return evaluate(expr, forward(derivation, expr, values, sizes), sizes)


def forward(derivation: Derivation, expr: sympy.Basic, values: Mapping[sympy.Basic, Number],
            sizes: Mapping[sympy.Basic, int]) -> dict[sympy.Basic, Number]:
    """The values with those of the named intermediates ``expr`` uses, each computed once."""
    problem = derivation.problem
    assert problem is not None
    known = dict(values)
    for definition in problem.needed(expr):
        if definition.symbol not in known:
            known[definition.symbol] = evaluate(definition.expr, known, sizes)
    return known


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
    named = {**sizes_from(problem, values), **{name: int(n) for name, n in dims.items()}}
    sizes = {sympy.Symbol(name, integer=True, positive=True): n for name, n in named.items()}
    validate(derivation, sizes, values)
    bound = bind(problem, values)
    try:
        with np.errstate(all="ignore"):
            if derivation.taylor is not None:  # T_k f at a, a number at the values of x, a
                return np.asarray(float(np.squeeze(result_value(derivation, bound, sizes))))
            return canonical(result_value(derivation, bound, sizes), derivation, sizes)
    except np.linalg.LinAlgError:
        raise MatcalcError("the derivative is not defined at these values: a matrix it "
                           "inverts is singular") from None


def sizes_from(problem: Problem, values: Mapping[str, Any]) -> dict[str, int]:
    """Each size read from the first value with an axis of that size (x ∈ ℝ^D given as an
    array of shape (3,) makes D = 3); validate() then finds any value that disagrees."""
    found: dict[str, int] = {}
    for declaration in problem.declarations:
        if declaration.name not in values:
            continue
        shape = np.shape(values[declaration.name])
        for axis, size, power in declaration.sized_axes():
            if axis < len(shape):  # validate() says what is wrong with the others
                found.setdefault(size.name, round(shape[axis] ** (1 / power)))
    return found


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
    dims = sorted({s for decl in problem.declarations for d in decl.shape.dims
                   for s in as_dimension(d).free_symbols}, key=str)  # D of R^{D^2} too
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
    rows, cols = matrix.shape
    if Property.ONE_HOT in properties:  # a unit vector e_k (a matrix: each row one)
        if cols == 1:
            return np.eye(rows)[:, [int(rng.integers(0, rows))]]
        return np.eye(cols)[rng.integers(0, cols, rows)]
    if Property.SUMS_TO_ONE in properties:  # a probability vector (a matrix: each row one)
        if cols == 1:
            return rng.dirichlet(np.ones(rows)).reshape(rows, 1)
        return rng.dirichlet(np.ones(cols), size=rows)
    if Property.BINARY in properties:  # y ∈ {0,1}^K
        return rng.integers(0, 2, matrix.shape).astype(float)
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


# A variable with more entries than this is checked along DIRECTIONS random directions, not
# entry by entry: the differences cost O(directions), not O(entries) evaluations and memory
# (x ∈ ℝ^10000 took 5.4 GB). The directions depend on the size only, so that the symbolic
# result is contracted with the same ones.
ENTRIES_CHECKED_ONE_BY_ONE = 400
DIRECTIONS = 4


def directions(count: int) -> Any | None:
    """The random directions (DIRECTIONS × count) a large variable is checked along, or None
    for one small enough to check entry by entry."""
    if count <= ENTRIES_CHECKED_ONE_BY_ONE:
        return None
    return np.random.default_rng(count).normal(size=(DIRECTIONS, count))


def along(jacobian: Any, out_shape: tuple[int, ...], count: int) -> Any:
    """A derivative (out_shape + in_shape) applied to the directions: out_shape × DIRECTIONS,
    in the order the differences are taken (the variable's entries in row-major order)."""
    chosen = directions(count)
    if chosen is None:
        return jacobian
    flat = np.reshape(jacobian, (*out_shape, count))
    return flat @ chosen.T


def finite_differences(function: sympy.Basic, wrt: sympy.Basic,
                       values: dict[sympy.Basic, Number], sizes: Mapping[sympy.Basic, int],
                       step: float = 1e-6) -> Any:
    """Central differences of ``function`` in every entry of ``wrt``: out_shape + in_shape
    (for a large variable, along its random directions: out_shape × DIRECTIONS).

    The 2n points x ± h·eₖ are one stack, evaluated in one walk of the function."""
    point = np.asarray(values[wrt], dtype=float)
    chosen = directions(point.size)
    count = point.size if chosen is None else DIRECTIONS
    unit = np.eye(count) if chosen is None else chosen
    basis = step * unit.reshape(count, *point.shape)  # eₖ in row-major order
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
    entries = derivative_entries(derivation, random_sizes(problem, np.random.default_rng(seed)))
    if entries > MAX_CHECKED_ENTRIES:  # the sizes are written as numbers: no smaller draw
        return Check(True, 0.0, (), 0, f"the derivative has {entries:,} entries, and matcalc "
                     f"checks derivatives of at most {MAX_CHECKED_ENTRIES:,}")
    for _ in range(trials):
        failure: MatcalcError | None = None
        for _ in range(SIZE_DRAWS):  # XᵀX is singular when X has fewer rows than columns:
            sizes = random_sizes(problem, rng)  # other sizes are drawn until it is not
            try:
                point, symbolic, numeric = informative_point(derivation, sizes, rng)
                failure = None
                break
            except MatcalcError as error:
                failure = error
        if failure is not None:
            return Check(False, float("inf"), named(sizes), trials, failure.message)
        out_shape = vector_shape(derivation.of_symbol, sizes)
        in_shape = vector_shape(derivation.wrt_symbol, sizes)
        count = int(np.prod(in_shape)) if in_shape else 1
        if directions(count) is not None:
            in_shape = (DIRECTIONS,)
        expected = numeric.reshape(out_shape + in_shape)
        if symbolic.shape != expected.shape:
            return Check(False, float("inf"), named(sizes), trials,
                         f"shape {symbolic.shape} where finite differences give "
                         f"{expected.shape}")
        scale = max(1.0, float(np.max(np.abs(expected))) if expected.size else 1.0)
        shown = [symbolic]
        if derivation.named_result is not None:  # the result in the problem's own names
            with np.errstate(all="ignore"):
                shown.append(along(canonical(result_value(derivation, point, sizes,
                                                          derivation.named_result),
                                             derivation, sizes), out_shape, count))
        for value in shown:
            if np.shape(value) != expected.shape:
                return Check(False, float("inf"), named(sizes), trials,
                             f"shape {np.shape(value)} where finite differences give "
                             f"{expected.shape}")
            relative = float(np.max(np.abs(value - expected))) / scale if expected.size \
                else 0.0
            worst = max(worst, relative)
    passed = worst <= tolerance
    entries = int(np.prod(vector_shape(derivation.wrt_symbol, sizes) or (1,)))
    compared = Check.compared if directions(entries) is None else (
        f"agrees with central finite differences along {DIRECTIONS} random directions "
        f"(the {entries:,} entries of {derivation.wrt_symbol} are too many to take one by one)")
    return Check(passed, worst, named(sizes), trials,
                 "" if passed else f"largest relative error {worst:.2e} exceeds {tolerance:g}",
                 compared=compared)


MAX_CHECKED_ENTRIES = 1 << 24  # entries of a derivative the check computes (128 MB)


def derivative_entries(derivation: Derivation, sizes: Mapping[sympy.Basic, int]) -> int:
    """How many numbers the derivative has at these sizes (out entries × in entries)."""
    shape = vector_shape(derivation.of_symbol, sizes) + vector_shape(derivation.wrt_symbol,
                                                                      sizes)
    return int(np.prod(shape, dtype=object)) if shape else 1


def check_any(derivation: Derivation, *, seed: int = 0) -> Check:
    """A first derivative by check_derivation; a second one by check_second; a Taylor
    polynomial by check_taylor."""
    if derivation.taylor is not None:
        return check_taylor(derivation, seed=seed)
    if derivation.gradient is not None:
        return check_second(derivation, seed=seed)
    return check_derivation(derivation, seed=seed)


def check_second(derivation: Derivation, *, seed: int = 0, tolerance: float = 1e-5) -> Check:
    """A second derivative three ways: the gradient it differentiates against central
    differences of f; the second derivative against central differences of the gradient;
    and a Hessian's symmetry (a gradient that is not one of f would not give a symmetric
    Jacobian)."""
    assert derivation.gradient is not None
    first = check_derivation(derivation.gradient, seed=seed)
    if not first.passed:
        return dataclasses.replace(first, message="the gradient it differentiates: "
                                   + first.message)
    second = check_derivation(derivation, seed=seed)
    if not second.passed or second.trials == 0:
        return second
    worst = max(first.max_error, second.max_error)
    first_name = "gradient" if objects.shape_of(derivation.gradient.of_symbol) == (1, 1) \
        else "Jacobian"  # of a vector-valued f
    symmetric = ""
    if derivation.target.wrt2 == derivation.target.wrt:
        residual = symmetry_residual(derivation, seed)
        if residual > tolerance:
            return Check(False, residual, second.sizes, second.trials,
                         f"the Hessian is not symmetric: relative residual {residual:.2e}")
        worst = max(worst, residual)
        symmetric = (" (symmetric, as a Hessian is)" if first_name == "gradient" else
                     " (each component's slice symmetric, as a Hessian is)")
    compared = (f"the {first_name} agrees with central finite differences of the function, "
                f"and its derivative{symmetric} with those of the {first_name},")
    return dataclasses.replace(second, max_error=worst, compared=compared)


def check_taylor(derivation: Derivation, *, seed: int = 0) -> Check:
    """T_k f at a against f near a: along random directions v, the error
    f(a + t v) − T_k(a + t v) must shrink as t^(k+1) (the fitted slope of log error
    against log t at least k + 1 − ½), or be zero to rounding (f a polynomial of degree k)."""
    problem = derivation.problem
    taylor = derivation.taylor
    assert problem is not None and taylor is not None
    order = derivation.target.order
    rng = np.random.default_rng(seed)
    sizes = random_sizes(problem, rng)
    x, a = derivation.wrt_symbol, taylor.point
    steps = (0.1, 0.05, 0.025)
    slopes = []
    for _ in range(3):  # directions
        values = random_values(problem, sizes, rng, positive=False)
        direction = rng.normal(size=np.shape(values[a])) if np.ndim(values[a]) else float(
            rng.normal())
        errors = []
        with np.errstate(all="ignore"):
            for t in steps:
                point = {**values, x: values[a] + t * direction}
                exact = float(np.squeeze(evaluate(derivation.function, point, sizes)))
                polynomial = float(np.squeeze(evaluate(derivation.result, point, sizes)))
                errors.append(abs(exact - polynomial))
        if not np.all(np.isfinite(errors)):
            return Check(False, float("inf"), named(sizes), 3, "the function or the "
                         "polynomial is not finite near the point")
        scale = max(1.0, abs(exact))
        if max(errors) <= 1e-9 * scale:
            continue  # exact: f is a polynomial of degree ≤ k
        slopes.append(float(np.polyfit(np.log(steps), np.log(errors), 1)[0]))
    if not slopes:
        return Check(True, 0.0, named(sizes), 3, compared=(
            f"the polynomial equals the function near the point, to rounding, as it does for "
            f"a polynomial of degree {order} or less (along three directions),"),
            shows_error=False)
    worst = min(slopes)
    passed = worst >= order + 0.5
    compared = (f"along three directions the error of the polynomial shrinks as the distance "
                f"to the point to the power {worst:.2f} (about {order + 1} expected),")
    return Check(passed, float(order + 1 - worst), named(sizes), 3,
                 "" if passed else f"the error shrinks only as the distance to the power "
                 f"{worst:.2f}, not {order + 1}", compared=compared, shows_error=False)


def symmetry_residual(derivation: Derivation, seed: int) -> float:
    """‖H − Hᵀ‖/‖H‖ at a random point, H arranged as a square matrix of the entries."""
    problem = derivation.problem
    assert problem is not None
    rng = np.random.default_rng(seed + 1)
    sizes = random_sizes(problem, rng)
    _, symbolic, _ = draw_point(derivation, sizes, rng)
    count = int(np.prod(vector_shape(derivation.wrt_symbol, sizes) or (1,)))
    # one square per component of a vector-valued f (E×D×D), each a Hessian
    squares = np.reshape(symbolic, (-1, count, count), order="F")
    scale = max(1.0, float(np.max(np.abs(squares))))
    return float(np.max(np.abs(squares - squares.transpose(0, 2, 1)))) / scale


# A point where the derivative is 0 (relu(wᵀx) with wᵀx < 0) compares 0 with 0, which would
# pass a wrong formula for the other side: up to this many more points are drawn for one
# where the finite differences are not all 0 (a derivative that is 0 everywhere keeps 0).
ZERO_REDRAWS = 6


def informative_point(derivation: Derivation, sizes: dict[sympy.Basic, int],
                      rng: np.random.Generator) -> tuple[dict[sympy.Basic, Number], Any, Any]:
    """draw_point, drawn again while the finite differences there are all zero."""
    found = draw_point(derivation, sizes, rng)
    for _ in range(ZERO_REDRAWS):
        if np.size(found[2]) == 0 or np.any(np.asarray(found[2]) != 0):
            break
        found = draw_point(derivation, sizes, rng)
    return found


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
                count = int(np.size(values[wrt]))
                symbolic = along(symbolic, vector_shape(derivation.of_symbol, sizes), count)
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
    checked = tuple(dataclasses.replace(d, checked=check_any(d, seed=seed))
                    for d in solution.derivations)
    return dataclasses.replace(solution, derivations=checked)


def index_tensor(derivation: Derivation, values: Mapping[sympy.Basic, Number],
                 sizes: Mapping[sympy.Basic, int]) -> Any:
    """The tensor ∂F_ij/∂X_kl computed from the index formula alone (not from vec)."""
    assert derivation.views is not None and derivation.views.index is not None
    out_shape = vector_shape(derivation.of_symbol, sizes)
    in_shape = vector_shape(derivation.wrt_symbol, sizes)
    axes = derivation.views.letters
    shape = out_shape + in_shape
    grids = {}
    for position, symbol in enumerate(axes):
        view = [1] * len(shape)
        view[position] = shape[position]
        grids[symbol] = np.arange(shape[position]).reshape(view)
    known = forward(derivation, derivation.views.index, values, sizes)
    value = evaluate(derivation.views.index, {**known, **grids}, sizes)
    return np.broadcast_to(np.asarray(value, dtype=float), shape)

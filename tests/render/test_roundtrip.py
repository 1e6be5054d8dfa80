"""Print → read → same value: every expression matcalc prints for the problems in problems/
(each partial and what it differentiates, each chain product, each result), in Unicode text
and in LaTeX, read back by matcalc's own parser with the expression's names declared, has
the value of the expression that was printed, at random values and distinct sizes.

A lost bracket, a lost transpose or an ambiguous juxtaposition changes the value read back."""

from __future__ import annotations

from collections.abc import Iterator

import hypothesis.strategies as st
import numpy as np
import pytest
import sympy
from hypothesis import given

import matcalc
from matcalc.language import read_expression
from matcalc.model import Declaration, Derivation, Problem, Shape, Step
from matcalc.numeric import evaluate
from matcalc.objects import (
    AbstractPartial,
    Applied,
    AppliedVector,
    Scalar,
    UnitVector,
    is_matrix,
    shape_of,
)
from matcalc.render.printers import latex, unicode
from tests.conftest import PROBLEMS
from tests.engine.test_properties import DECLARATIONS, FAST, scalar, vector_e


def step_expressions(step: Step) -> Iterator[tuple[str, sympy.Basic]]:
    yield "differentiated", step.expr
    if step.views is None:
        yield f"∂/∂{step.wrt}", step.value
    for sub in step.substeps:
        yield from step_expressions(sub)


def printed(derivation: Derivation) -> Iterator[tuple[str, sympy.Basic]]:
    for chain in derivation.chains:
        for link in chain.links:
            yield from step_expressions(link.step)
        if derivation.views is None:
            yield "chain product", chain.product
    if derivation.views is None:
        yield "result", derivation.result
    if derivation.named_result is not None:
        yield "result in the problem's names", derivation.named_result


def bare_vectors(expr: sympy.Basic) -> list[sympy.Basic]:
    """The vectors and matrices of the expression outside its 1×1 products (xᵀe_1 is a
    number, x_1, and sizes nothing)."""
    if isinstance(expr, Scalar):
        return []
    found = [expr] if isinstance(expr, sympy.MatrixSymbol | UnitVector) else []
    return found + [m for a in expr.args for m in bare_vectors(a)]


def declarations(expr: sympy.Basic) -> list[Declaration]:
    found = []
    for symbol in expr.free_symbols:
        if isinstance(symbol, sympy.MatrixSymbol):
            found.append(Declaration(symbol.name, symbol, Shape(symbol.shape), frozenset(),
                                     None))  # type: ignore[arg-type]
        elif isinstance(symbol, sympy.Symbol) and not symbol.is_integer \
                and not isinstance(symbol, sympy.Dummy):
            found.append(Declaration(symbol.name, symbol, Shape((1, 1)), frozenset(),
                                     None))  # type: ignore[arg-type]
    return found


def value_at(expr: sympy.Basic, values: dict[sympy.Basic, object],
             sizes: dict[sympy.Basic, int]) -> np.ndarray:
    return np.asarray(evaluate(expr, values, sizes), dtype=float)


def random_point(expr: sympy.Basic, rng: np.random.Generator
                 ) -> tuple[dict[sympy.Basic, object], dict[sympy.Basic, int]]:
    positions = {u.index for u in expr.atoms(UnitVector) if not u.index.is_Integer}
    dims = sorted({s for node in sympy.preorder_traversal(expr) if is_matrix(node)
                   for size in node.shape for s in sympy.sympify(size).free_symbols}
                  | {s for s in expr.free_symbols if s.is_integer} - positions, key=str)
    sizes = {d: int(n) for d, n in zip(dims, rng.permutation(np.arange(2, 9)), strict=False)}
    values: dict[sympy.Basic, object] = dict.fromkeys(positions, 1)  # k in e_k
    for declaration in declarations(expr):
        rows, cols = (int(sympy.sympify(d).xreplace(sizes)) for d in declaration.shape.dims)
        draw = rng.uniform(0.5, 1.5, (rows, cols))
        if rows == cols and rows > 1:
            draw = draw + rows * np.eye(rows)
        values[declaration.symbol] = float(draw[0, 0]) if declaration.shape.is_scalar else draw
    return values, sizes


def cases() -> Iterator[object]:
    for path in PROBLEMS:
        for solution in matcalc.solve_file(path, check=False):
            for derivation in solution.derivations:
                for what, expr in printed(derivation):
                    if expr.atoms(Applied, AppliedVector, AbstractPartial) or isinstance(
                            expr, Applied | AppliedVector | AbstractPartial):
                        continue  # abstract functions have no values
                    if any(u.index.is_Integer for u in expr.atoms(UnitVector)) and all(
                            isinstance(m, UnitVector) for m in bare_vectors(expr)):
                        continue  # 2 e_1 e_2ᵀ: a unit vector alone says no size to read

                    name = f"{path.stem}:{derivation.target.of}/{derivation.target.wrt}:{what}"
                    yield pytest.param(expr, derivation.problem, id=name)


CASES = list(cases())


@pytest.mark.parametrize("printer", [unicode, latex], ids=["text", "latex"])
@pytest.mark.parametrize("expr, problem", CASES)
def test_printed_expression_reads_back_to_its_value(expr: sympy.Basic, problem: Problem,
                                                    printer: object) -> None:
    text = printer(expr)  # type: ignore[operator]
    names = declarations(expr) + [d for d in problem.declarations if d.name not in {
        str(s) for s in expr.free_symbols}]
    reread = read_expression(text, names, Shape(shape_of(expr)))
    values, sizes = random_point(expr, np.random.default_rng(7))
    np.testing.assert_allclose(value_at(reread, values, sizes), value_at(expr, values, sizes),
                               rtol=1e-9, atol=1e-12, err_msg=f"printed as {text!r}")


# ---- the same, over random expressions (hypothesis) -----------------------------------

def assert_reads_back(expr: sympy.Basic, problem: Problem) -> None:
    for printer in (unicode, latex):
        test_printed_expression_reads_back_to_its_value(expr, problem, printer)


def all_read_back(text: str) -> None:
    solution = matcalc.solve(DECLARATIONS + text, check=False)
    for derivation in solution.derivations:
        assert derivation.problem is not None
        for _, expr in printed(derivation):
            assert_reads_back(expr, derivation.problem)


EXTRA_SCALARS = st.one_of(
    st.sampled_from(["sum(exp(x))", "1/(x^T x)", "(x^T x)^{1/3}", "sin(log(x^T x))",
                     "sum(1 + exp(x))", "sum(1/(1 + exp(-A x)))", "||x||_1", "sum(x^2)",
                     "exp(c)/(1 + exp(c))", "x^T a/(x^T B x)", "||x||_3",
                     "sum(x .* x + c)", "log |B|", "e^{x^T a}", "sum(sigmoid(x))",
                     "sum(softplus(x))", "1/D x^T x", "||B x||_1"]),
    scalar(2))


@FAST
@given(EXTRA_SCALARS)
def test_random_scalar_by_vector_reads_back(expression: str) -> None:
    all_read_back(f"f = {expression}\nfind df/dx")


@FAST
@given(vector_e(2))
def test_random_vector_by_vector_reads_back(expression: str) -> None:
    all_read_back(f"f = {expression}\nfind df/dx")


@FAST
@given(scalar(2))
def test_random_scalar_by_matrix_reads_back(expression: str) -> None:
    all_read_back(f"f = {expression}\nfind df/dB")


def test_a_called_function_reads_back() -> None:
    all_read_back("s(t) = t^2 + sin(t)\nf = s(x^T a) + s(c)\nfind df/dx")

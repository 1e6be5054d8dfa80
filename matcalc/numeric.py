"""The numeric evaluator: the value of a sympy expression with numpy.

One small rule per kind of node, found by the node's class and its bases (``__mro__``), as
sympy's printers find their ``_print_`` methods: sympy's MatMul is a Mul, and its rule is
found first because it is the more specific class, not because of an order in a ``match``.
A rule names the children it needs (``children``) and computes the node from their values.
The walk is a loop over the nodes in post-order, not recursion, so an expression as deep as
a 400-layer network evaluates without touching Python's recursion limit; each distinct part
is computed once.

A value may be a stack of B values (a leading axis: B×r×c for a matrix, B×1×1 for a scalar),
and every value computed from it is then a stack too: that is how finite differences
evaluate all their perturbed points in one walk.

numpy is imported here and in check.py, and nowhere else; this module is loaded only when a
number is asked for.
Imports numpy, sympy, matcalc.functions, matcalc.objects, matcalc.errors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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

from matcalc import functions
from matcalc.errors import MatcalcError
from matcalc.objects import (
    Commutation,
    Delta,
    Entry,
    LogSumExp,
    Norm,
    Scalar,
    Softmax,
    UnitVector,
    Vec,
    is_matrix,
    post_order,
)

Number = Any  # float or numpy array

# the numpy form of every function in the table, by its sympy class
FUNCTIONS: dict[type, Callable[[Number], Number]] = {
    kind: partial(record.numpy, np) for kind, record in functions.BY_KIND.items()}


@dataclass
class Evaluation:
    """One walk: the values given (by symbol), the sizes, and what has been computed."""

    values: Mapping[sympy.Basic, Number]
    sizes: Mapping[sympy.Basic, int]
    computed: dict[sympy.Basic, Number]
    # the kinds of composite node given a value (an abstract p(x, z) given by a test)
    composite: tuple[type, ...] = ()

    def __post_init__(self) -> None:
        self.composite = tuple({type(k) for k in self.values if not _atomic(k)})

    def given(self, node: sympy.Basic) -> bool:
        """Whether a value is given for the node. Only names and the kinds of composite node
        given a value are looked up: a deep tree hashed from the top would recurse through
        it, whereas here each node is hashed after its parts."""
        return (_atomic(node) or isinstance(node, self.composite)) and node in self.values

    def __getitem__(self, node: sympy.Basic) -> Number:
        """The value of a child, computed before its parent."""
        return self.values[node] if self.given(node) else self.computed[node]

    def size(self, dim: sympy.Basic) -> int:
        return int(dim.xreplace(dict(self.sizes)))

    def index(self, symbol: sympy.Basic) -> Any:
        return self.values[symbol] if symbol in self.values else int(symbol)


Children = Callable[[Any], Sequence[sympy.Basic]]
Compute = Callable[[Evaluation, Any], Number]


@dataclass(frozen=True)
class Rule:
    children: Children
    compute: Compute


RULES: dict[type, Rule] = {}


def _args(node: sympy.Basic) -> Sequence[sympy.Basic]:
    return tuple(node.args)


def _none(node: sympy.Basic) -> Sequence[sympy.Basic]:
    return ()


def _arg(node: Any) -> Sequence[sympy.Basic]:
    return (node.arg,)


def rule(*kinds: type, children: Children = _args) -> Callable[[Compute], Compute]:
    """Register the rule that computes nodes of these kinds from their children."""

    def register(compute: Compute) -> Compute:
        for kind in kinds:
            RULES[kind] = Rule(children, compute)
        return compute

    return register


def rule_for(node: sympy.Basic) -> Rule:
    for kind in type(node).__mro__:
        found = RULES.get(kind)
        if found is not None:
            return found
    raise MatcalcError(f"cannot evaluate {type(node).__name__} numerically")


def _atomic(node: sympy.Basic) -> bool:
    return bool(node.is_Atom) or isinstance(node, MatrixSymbol)


def evaluate(expr: sympy.Basic, values: Mapping[sympy.Basic, Number],
             sizes: Mapping[sympy.Basic, int]) -> Number:
    """The value of ``expr`` with numpy: matrices as 2-D arrays (or stacks of them),
    scalars as floats (or B×1×1 stacks)."""
    walk = Evaluation(values, sizes, {})
    for node in _post_order(expr, walk):
        if node not in walk.computed:  # an equal part met again is computed once
            walk.computed[node] = rule_for(node).compute(walk, node)
    return walk[expr]


def _post_order(expr: sympy.Basic, walk: Evaluation) -> list[sympy.Basic]:
    """The nodes to compute, each after the children it needs; a shared part once."""
    return post_order(expr, lambda node: rule_for(node).children(node), walk.given)


# ---- the rules ---------------------------------------------------------------------------


@rule(sympy.Number, sympy.NumberSymbol, children=_none)
def _number(walk: Evaluation, node: sympy.Expr) -> Number:
    return float(node)


@rule(sympy.Symbol, MatrixSymbol, children=_none)
def _name(walk: Evaluation, node: sympy.Basic) -> Number:
    if node in walk.sizes:  # a size used as a number (1/N)
        return float(walk.sizes[node])
    raise MatcalcError(f"no value for {node}")


@rule(Scalar, children=lambda node: (node.matrix,))
def _scalar(walk: Evaluation, node: Scalar) -> Number:
    matrix = walk[node.matrix]
    return matrix if np.ndim(matrix) == 3 else float(np.reshape(matrix, -1)[0])


def _factors(node: MatMul) -> Sequence[sympy.Basic]:
    """A product's factors, a diagonal matrix by its vector (never made dense here)."""
    return tuple(arg.args[0] if isinstance(arg, DiagMatrix) else arg for arg in node.args)


@rule(MatMul, children=_factors)
def _matrix_product(walk: Evaluation, node: MatMul) -> Number:
    matrices = [Diagonal(walk[arg.args[0]]) if isinstance(arg, DiagMatrix) else walk[arg]
                for arg in node.args if is_matrix(arg)]
    scalars = [walk[arg] for arg in node.args if not is_matrix(arg)]
    product = chain_product(matrices) if matrices else None
    if isinstance(product, Diagonal):
        product = product.dense()
    return product_of([*scalars, product] if matrices else scalars)


class Diagonal:
    """diag(v) in a product, kept as its vector: diag(v) M scales M's rows, M diag(v) its
    columns, so that a data-length diagonal (N × N) is never made dense."""

    __array_ufunc__ = None  # a numpy array @ Diagonal defers to __rmatmul__ below

    def __init__(self, vector: Any) -> None:
        array = np.asarray(vector, dtype=float)
        self.entries = np.reshape(array, (*array.shape[:-2], -1, 1))  # …×n×1

    @property
    def shape(self) -> tuple[int, ...]:
        n = self.entries.shape[-2]
        return (*self.entries.shape[:-2], n, n)

    def dense(self) -> Any:
        return self.entries * np.eye(self.entries.shape[-2])

    def __matmul__(self, other: Any) -> Any:
        if isinstance(other, Diagonal):
            return Diagonal(self.entries * other.entries)
        return self.entries * other

    def __rmatmul__(self, other: Any) -> Any:
        return other * np.swapaxes(self.entries, -1, -2)


@rule(sympy.Add, MatAdd)
def _sum(walk: Evaluation, node: sympy.Basic) -> Number:
    return sum_of([walk[a] for a in node.args])


@rule(sympy.Mul, HadamardProduct)
def _product(walk: Evaluation, node: sympy.Basic) -> Number:
    return product_of([walk[a] for a in node.args])


@rule(sympy.Pow)
def _power(walk: Evaluation, node: sympy.Pow) -> Number:
    exponent = node.exp
    if exponent.is_Rational and not exponent.is_Integer and exponent.q % 2 == 1:
        # an odd root is real, as \sqrt[3]{x} means: (−8)^(1/3) = −2, not a complex number
        base = walk[node.base]
        return np.sign(base) ** int(exponent.p) * np.abs(base) ** float(exponent)
    return np.power(walk[node.base], walk[node.exp])


@rule(Transpose, children=_arg)
def _transpose(walk: Evaluation, node: Transpose) -> Number:
    return transposed(walk[node.arg])


@rule(Inverse, children=_arg)
def _inverse(walk: Evaluation, node: Inverse) -> Number:
    matrix = walk[node.arg]
    if np.any(np.linalg.cond(matrix) > 1e12):  # singular: XᵀX with m < n
        raise np.linalg.LinAlgError("the matrix to invert is singular")
    return np.linalg.inv(matrix)


@rule(MatPow, children=lambda node: (node.base,))
def _matrix_power(walk: Evaluation, node: MatPow) -> Number:
    return np.linalg.matrix_power(walk[node.base], int(node.exp))


@rule(Identity, children=_none)
def _identity(walk: Evaluation, node: Identity) -> Number:
    return np.eye(walk.size(node.rows))


@rule(ZeroMatrix, children=_none)
def _zeros(walk: Evaluation, node: ZeroMatrix) -> Number:
    return np.zeros((walk.size(node.rows), walk.size(node.cols)))


@rule(OneMatrix, children=_none)
def _ones(walk: Evaluation, node: OneMatrix) -> Number:
    return np.ones((walk.size(node.rows), walk.size(node.cols)))


@rule(Trace, children=_arg)
def _trace(walk: Evaluation, node: Trace) -> Number:
    return number(np.trace(walk[node.arg], axis1=-2, axis2=-1))


@rule(Determinant, children=_arg)
def _determinant(walk: Evaluation, node: Determinant) -> Number:
    return number(np.linalg.det(walk[node.arg]))


@rule(Norm, children=_arg)
def _norm(walk: Evaluation, node: Norm) -> Number:  # Frobenius: the 2-norm of a column
    return number(np.linalg.norm(walk[node.arg], axis=(-2, -1)))


@rule(KroneckerProduct)
def _kronecker(walk: Evaluation, node: KroneckerProduct) -> Number:
    result = walk[node.args[0]]
    for arg in node.args[1:]:
        result = kronecker(result, walk[arg])
    return result


@rule(UnitVector, children=lambda node: (node.index,))
def _unit(walk: Evaluation, node: UnitVector) -> Number:
    unit = np.zeros((walk.size(node.args[1]), 1))
    position = int(walk[node.index])
    if not 1 <= position <= unit.shape[0]:
        raise MatcalcError(f"entry {node.index} = {position} does not exist in a "
                           f"vector of length {unit.shape[0]}", hint="entries are counted from 1")
    unit[position - 1, 0] = 1.0
    return unit


@rule(Softmax, children=_arg)
def _softmax(walk: Evaluation, node: Softmax) -> Number:
    inner = walk[node.arg]
    axis: int | tuple[int, int] = (-2, -1) if node.shape[1] == 1 else -1  # a matrix: by rows
    shifted = np.exp(inner - np.max(inner, axis=axis, keepdims=True))
    return shifted / np.sum(shifted, axis=axis, keepdims=True)


@rule(LogSumExp, children=_arg)
def _logsumexp(walk: Evaluation, node: LogSumExp) -> Number:
    inner = walk[node.arg]
    top = np.max(inner, axis=(-2, -1))
    return number(top + np.log(np.sum(np.exp(inner - top[..., None, None]), axis=(-2, -1))))


@rule(Vec, children=_arg)
def _vec(walk: Evaluation, node: Vec) -> Number:  # columns stacked: vec(A)[k + l·m] = A[k, l]
    matrix = walk[node.arg]
    return np.reshape(transposed(matrix), (*np.shape(matrix)[:-2], -1, 1))


@rule(Commutation, children=_none)
def _commutation(walk: Evaluation, node: Commutation) -> Number:
    return commutation(walk.size(node.args[0]), walk.size(node.args[1]))


@rule(Entry, children=lambda node: (node.matrix,))
def _entry(walk: Evaluation, node: Entry) -> Number:
    matrix = np.asarray(walk[node.matrix])
    row, col = walk.index(node.args[1]), walk.index(node.args[2])
    return matrix[:, row, col][:, None, None] if matrix.ndim == 3 else matrix[row, col]


@rule(Delta, children=_none)
def _delta(walk: Evaluation, node: Delta) -> Number:
    return (walk.index(node.args[0]) == walk.index(node.args[1])).astype(float)


@rule(DiagMatrix, children=lambda node: (node.args[0],))
def _diag(walk: Evaluation, node: DiagMatrix) -> Number:
    return Diagonal(walk[node.args[0]]).dense()


@rule(ElementwiseApplyFunction, children=lambda node: (node.expr,))
def _entrywise(walk: Evaluation, node: ElementwiseApplyFunction) -> Number:
    (variable,) = node.function.variables
    inner = walk[node.expr]
    body = node.function.expr
    if type(body) in FUNCTIONS and body.args == (variable,):  # tanh, exp, …
        return FUNCTIONS[type(body)](inner)
    return evaluate(body, {**walk.values, variable: inner}, walk.sizes) * np.ones_like(inner)


@rule(sympy.Function)
def _function(walk: Evaluation, node: sympy.Function) -> Number:
    if type(node) not in FUNCTIONS:
        raise MatcalcError(f"cannot evaluate {type(node).__name__} numerically")
    return FUNCTIONS[type(node)](walk[node.args[0]])


# ---- numpy helpers -----------------------------------------------------------------------


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


__all__ = ["FUNCTIONS", "RULES", "Number", "chain_product", "evaluate", "rule", "transposed"]

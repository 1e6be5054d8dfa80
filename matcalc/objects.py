"""The mathematical objects sympy lacks, as sympy classes. Data only: no parsing, no
printing (render/printers.py prints each of them), no calculus.

- ``Scalar(M)``: a 1×1 matrix expression used as a number (log(1 + xᵀx)).
- ``Norm(u)``, ``Softmax(u)``, ``LogSumExp(u)``: functions of vectors sympy has not (the
  functions of a number, sigmoid among them, are in the function table, functions.py).
- ``Vec(A)``, ``Commutation(m, n)``: the vec operator and K_{m,n} of vectorized Jacobians.
- ``Entry(M, i, j)``, ``Delta(i, j)``: M_ij and δ_ij in index formulas.
- ``Diff(X)``, ``DiffScalar(u)``: dX and du in a written-out differential.
- ``Applied``, ``AppliedVector``, ``AbstractPartial``: abstract differentiable functions
  p(x, z), t(ε, ν) and their symbolic partials ∂p/∂z.
Imports sympy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sympy
from sympy import Expr
from sympy.matrices.expressions.matexpr import MatrixExpr

# The variable of every function applied entry by entry (t ↦ exp(t)): one for all, so that
# two applications of the same function are equal expressions and their terms collect.
ENTRY = sympy.Dummy("t", real=True)


class Scalar(Expr):
    """The single entry of a 1×1 matrix expression, usable wherever a number is."""

    is_commutative = True
    is_number = False

    def __new__(cls, matrix: MatrixExpr) -> Expr:
        if isinstance(matrix, Scalar):
            return matrix
        return Expr.__new__(cls, matrix)

    @property
    def matrix(self) -> MatrixExpr:
        return self.args[0]

    # sympy.latex(d.result) shows the product itself, not the wrapper
    def _latex(self, printer: sympy.printing.printer.Printer) -> str:
        own = getattr(printer, "_print_Scalar", None)  # matcalc's printers know it better
        return str(own(self) if own else printer._print(self.matrix))


    def _eval_is_real(self) -> bool:
        return True

    def _eval_is_extended_real(self) -> bool:
        return True


class _NumberOf(Expr):
    """A number made from one expression (‖u‖, lse(u), du)."""

    is_commutative = True

    def __new__(cls, arg: sympy.Basic) -> Expr:
        return Expr.__new__(cls, arg)

    @property
    def arg(self) -> sympy.Basic:
        return self.args[0]


class Norm(_NumberOf):
    """‖u‖₂ of a vector, ‖X‖_F of a matrix: the square root of the sum of squared entries."""

    def _eval_is_real(self) -> bool:
        return True

    def _eval_is_extended_real(self) -> bool:
        return True

    def _eval_is_nonnegative(self) -> bool:
        return True


def is_matrix(expr: sympy.Basic) -> bool:
    """True for a matrix expression (vectors included), False for a scalar."""
    return bool(getattr(expr, "is_Matrix", False))


def shape_of(expr: sympy.Basic) -> tuple[Expr, Expr]:
    """(rows, columns); a scalar is 1×1."""
    if is_matrix(expr):
        rows, cols = expr.shape
        return as_dimension(rows), as_dimension(cols)
    return sympy.S.One, sympy.S.One


def as_dimension(size: int | sympy.Expr) -> sympy.Expr:
    """A size as a sympy expression (sympy keeps some sizes as Python ints)."""
    return sympy.Integer(size) if isinstance(size, int) else size


class _OfOneMatrix(MatrixExpr):
    """A matrix expression built from one matrix (vec A, dX)."""

    def __new__(cls, arg: MatrixExpr) -> MatrixExpr:
        return MatrixExpr.__new__(cls, arg)

    @property
    def arg(self) -> MatrixExpr:
        return self.args[0]

    @property
    def shape(self) -> tuple[Expr, Expr]:
        return self.arg.shape  # type: ignore[no-any-return]


class Vec(_OfOneMatrix):
    """vec(A): the columns of an m×n matrix A stacked into one mn×1 column."""

    @property
    def shape(self) -> tuple[Expr, Expr]:
        rows, cols = self.arg.shape
        return (rows * cols, sympy.S.One)


class Commutation(MatrixExpr):
    """K_{m,n}: the mn×mn permutation with K vec(A) = vec(Aᵀ) for every m×n matrix A."""

    def __new__(cls, rows: Expr, cols: Expr) -> MatrixExpr:
        return MatrixExpr.__new__(cls, as_dimension(rows), as_dimension(cols))

    @property
    def shape(self) -> tuple[Expr, Expr]:
        size = self.args[0] * self.args[1]
        return (size, size)


class Entry(Expr):
    """A_ik: one entry of a matrix, at symbolic indices, in an index formula."""

    is_commutative = True

    def __new__(cls, matrix: MatrixExpr, row: Expr, col: Expr) -> Expr:
        return Expr.__new__(cls, matrix, row, col)

    @property
    def matrix(self) -> MatrixExpr:
        return self.args[0]


class Delta(Expr):
    """δ_ik: 1 when the two indices are equal, else 0 (an entry of the identity)."""

    is_commutative = True

    def __new__(cls, first: Expr, second: Expr) -> Expr:
        return Expr.__new__(cls, first, second)


class Diff(_OfOneMatrix):
    """dX: the differential of a matrix variable, shaped like it."""


class Applied(Expr):
    """p(x, z): an abstract differentiable function with a scalar value."""

    is_commutative = True

    def __new__(cls, name: sympy.Symbol, *arguments: sympy.Basic) -> Expr:
        return Expr.__new__(cls, name, *arguments)

    @property
    def name(self) -> str:
        return str(self.args[0])

    @property
    def arguments(self) -> tuple[sympy.Basic, ...]:
        return tuple(self.args[1:])


class AppliedVector(MatrixExpr):
    """t(ε, ν) ∈ ℝ^E: an abstract differentiable function with a vector value."""

    def __new__(cls, name: sympy.Symbol, rows: Expr, *arguments: sympy.Basic) -> MatrixExpr:
        return MatrixExpr.__new__(cls, name, as_dimension(rows), *arguments)

    @property
    def name(self) -> str:
        return str(self.args[0])

    @property
    def arguments(self) -> tuple[sympy.Basic, ...]:
        return tuple(self.args[2:])

    @property
    def shape(self) -> tuple[Expr, Expr]:
        return (self.args[1], sympy.S.One)


class AbstractPartial(MatrixExpr):
    """∂p/∂z: the partial derivative of an abstract function by one of its arguments,
    kept symbolic; ``parameter`` is the argument's name as the problem wrote it."""

    def __new__(cls, applied: sympy.Basic, index: Expr, parameter: sympy.Symbol) -> MatrixExpr:
        return MatrixExpr.__new__(cls, applied, as_dimension(index), parameter)

    @property
    def applied(self) -> sympy.Basic:
        return self.args[0]

    @property
    def argument(self) -> sympy.Basic:
        return self.applied.arguments[int(self.args[1])]

    @property
    def shape(self) -> tuple[Expr, Expr]:
        """1×E by a vector argument (a row, numerator layout), m×n by an m×n matrix
        (shaped like the matrix, as MML writes a scalar by a matrix), E×D for a vector
        value by a vector argument."""
        rows, cols = shape_of(self.argument)
        if cols != 1:
            return (rows, cols)
        return (shape_of(self.applied)[0], rows)


def parts_of(expr: sympy.Basic, kinds: type | tuple[type, ...]) -> set[sympy.Basic]:
    """The sub-expressions of the given kinds, each shared part visited once (sympy's atoms()
    walks a shared part every time it appears, which is exponential in a deep chain)."""
    found: set[sympy.Basic] = set()
    seen: set[sympy.Basic] = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if isinstance(node, kinds):
            found.add(node)
        stack.extend(node.args)
    return found


def post_order(expr: sympy.Basic,
               children: Callable[[sympy.Basic], Sequence[sympy.Basic]] = lambda n: n.args,
               skip: Callable[[sympy.Basic], bool] = lambda n: False) -> list[sympy.Basic]:
    """The nodes under expr, each after its children and a shared part once (by identity),
    by a loop rather than recursion (a deep network's derivative would overflow the stack);
    a node for which ``skip`` is true is left out with what is under it."""
    order: list[sympy.Basic] = []
    seen: set[int] = set()
    stack: list[tuple[sympy.Basic, bool]] = [(expr, False)]
    while stack:
        node, ready = stack.pop()
        if ready:
            order.append(node)
            continue
        if id(node) in seen or skip(node):
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(children(node)))
    return order


def is_abstract(expr: sympy.Basic) -> bool:
    """Whether an expression involves abstract functions (and so cannot be evaluated)."""
    return bool(parts_of(expr, (Applied, AppliedVector, AbstractPartial)))


class DiffScalar(_NumberOf):
    """du: the differential of a scalar variable."""


class Softmax(_OfOneMatrix):
    """softmax(u) = exp(u)/𝟏ᵀexp(u), a vector of positive entries that sum to one."""


class LogSumExp(_NumberOf):
    """lse(u) = log 𝟏ᵀexp(u), whose gradient is softmax(u)."""


class UnitVector(MatrixExpr):
    """e_k ∈ ℝ^n: 1 in entry k (counted from 1), 0 elsewhere; e_kᵀv picks v_k."""

    def __new__(cls, index: Expr, size: Expr) -> MatrixExpr:
        return MatrixExpr.__new__(cls, index, as_dimension(size))

    @property
    def index(self) -> Expr:
        return self.args[0]

    @property
    def shape(self) -> tuple[Expr, Expr]:
        return (self.args[1], sympy.S.One)


def index_symbol(name: str) -> sympy.Symbol:
    """k in softmax(z)_k: a position, counted from 1."""
    return sympy.Symbol(name, integer=True, positive=True)


def picked(expr: sympy.Basic) -> tuple[sympy.Basic, tuple[Expr, ...]] | None:
    """(v, (k,)) when expr is the entry v_k, written e_kᵀv inside a Scalar; (X, (k, l)) for
    the entry X_kl of a matrix, written e_kᵀXe_l."""
    if not isinstance(expr, Scalar) or not isinstance(expr.matrix, sympy.MatMul):
        return None
    match expr.matrix.args:
        case (sympy.Transpose(arg=unit), vector) if isinstance(unit, UnitVector):
            return vector, (unit.index,)
        case (sympy.Transpose(arg=row), matrix, column) if isinstance(
                row, UnitVector) and isinstance(column, UnitVector):
            return matrix, (row.index, column.index)
    return None

"""The derivative read off a differential, in each view a textbook uses.

- gradient: for a scalar f and an m×n matrix X, the m×n matrix of ∂f/∂X_kl
  (tr(C dX) gives Cᵀ);
- index formula: ∂F_ij/∂X_kl with Kronecker deltas
  ((H ⊙ (L dX R))_ij gives H_ij L_ik R_lj);
- vectorized Jacobian: ∂vec F/∂vec X, pq × mn, with vec stacking columns
  (vec(L dX R) = (Rᵀ ⊗ L) vec dX, vec(dXᵀ) = K_{m,n} vec dX).
Imports sympy, matcalc.model, matcalc.objects and the engine's algebra and differential.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy
from sympy import HadamardProduct, Identity, KroneckerProduct, MatMul, OneMatrix, Trace, Transpose
from sympy.matrices.expressions.diagonal import DiagMatrix

from matcalc.engine import algebra
from matcalc.engine.jacobians import row_softmax_times
from matcalc.engine.terms import Linear, Outer, RowSoftmaxed, Terms
from matcalc.errors import MatcalcError
from matcalc.model import Shape, TensorViews
from matcalc.objects import (
    Commutation,
    Delta,
    Diff,
    DiffScalar,
    Entry,
    Scalar,
    UnitVector,
    Vec,
    is_matrix,
    parts_of,
    shape_of,
)

# The index names of J_ijkl = ∂F_ij/∂X_kl, as the seed writes them.
I, J, K, L = sympy.symbols("i j k l", integer=True, nonnegative=True)  # noqa: E741


def gradient(terms: Terms) -> list[sympy.Basic]:
    """Σ c Cᵀ over the terms c tr(C dX) of a scalar's differential."""
    parts = []
    for term in terms:
        assert isinstance(term, Outer) and term.matrix is None
        parts.append(algebra.mul(term.coefficient, algebra.transpose(term.trace_with)))
    return parts


def vec_jacobian(terms: Terms, of: sympy.Basic, wrt: sympy.Basic) -> list[sympy.Basic]:
    m, n = shape_of(wrt)
    parts = []
    for term in terms:
        if isinstance(term, RowSoftmaxed):
            parts.append(row_softmax_vec(term, m, n))
            continue
        if isinstance(term, Outer):
            column = vec_of(algebra.transpose(term.trace_with)) if is_matrix(
                term.trace_with) else term.trace_with
            row = algebra.transpose(column) if is_matrix(column) else column
            matrix = term.matrix if term.matrix is not None else sympy.S.One
            left = vec_of(matrix) if is_matrix(matrix) else matrix
            parts.append(algebra.mul(term.coefficient, left, row))
            continue
        inner_rows, inner_cols = (n, m) if term.transposed else (m, n)
        left = term.left if term.left is not None else Identity(inner_rows)
        right = term.right if term.right is not None else Identity(inner_cols)
        right_t = algebra.transpose(right)
        if (shape_of(right_t) == (1, 1) and right_t == 1) or (isinstance(right_t, Identity) \
                and right_t.shape[0] == 1):
            block = left
        elif isinstance(left, Identity) and left.shape[0] == 1:  # Bᵀ ⊗ I₁ = Bᵀ
            block = right_t
        elif not is_matrix(right_t) or not is_matrix(left):  # a number: c ⊗ L = c L
            block = algebra.mul(right_t, left)
        else:
            block = KroneckerProduct(right_t, left)
        factors = [block]
        if term.transposed and 1 not in (m, n):  # K_{n,1} = K_{1,n} = I: vec(xᵀ) = vec(x)
            factors.append(Commutation(m, n))
        if term.hadamard is not None:
            factors.insert(0, DiagMatrix(Vec(term.hadamard)))
        if term.surrounded:  # vec(P M Q) = (Qᵀ ⊗ P) vec M
            outer_rows = shape_of(term.outer_left)[0] if term.outer_left is not None else (
                shape_of(term.hadamard)[0])
            outer_cols = shape_of(term.outer_right)[1] if term.outer_right is not None else (
                shape_of(term.hadamard)[1])
            p = term.outer_left if term.outer_left is not None else Identity(outer_rows)
            q = term.outer_right if term.outer_right is not None else Identity(outer_cols)
            factors.insert(0, KroneckerProduct(algebra.transpose(q), p))
        parts.append(algebra.mul(term.coefficient, *factors))
    return parts


def row_softmax_vec(term: RowSoftmaxed, m: sympy.Expr, n: sympy.Expr) -> sympy.Basic:
    """vec(P J_S(L dX R) Q) = (Qᵀ ⊗ P) J (Rᵀ ⊗ L) vec dX (K_{m,n} after it for dXᵀ), with
    J = diag(vec S) − diag(vec S)(𝟏𝟏ᵀ ⊗ I) diag(vec S) the Jacobian of softmax by rows
    (vec stacks columns, so 𝟏𝟏ᵀ ⊗ I pairs the entries of one row)."""
    rows, cols = shape_of(term.softmax)
    spread = DiagMatrix(Vec(term.softmax))
    same_row = KroneckerProduct(sympy.OneMatrix(cols, cols), Identity(rows))
    factors: list[sympy.Basic] = [sympy.MatAdd(spread, algebra.mul(-1, spread, same_row,
                                                                     spread))]
    inner_rows, inner_cols = (n, m) if term.transposed else (m, n)
    left = term.left if term.left is not None else Identity(inner_rows)
    right = term.right if term.right is not None else Identity(inner_cols)
    if not (isinstance(left, Identity) and isinstance(right, Identity)):
        factors.append(KroneckerProduct(algebra.transpose(right), left))
    if term.transposed and 1 not in (m, n):
        factors.append(Commutation(m, n))
    p = term.outer_left if term.outer_left is not None else Identity(rows)
    q = term.outer_right if term.outer_right is not None else Identity(cols)
    if term.outer_left is not None or term.outer_right is not None:
        factors.insert(0, KroneckerProduct(algebra.transpose(q), p))
    if term.flipped:  # vec(Mᵀ) = K_{r,c} vec(M) for M = P J Q, r × c
        factors.insert(0, Commutation(shape_of(p)[0], shape_of(q)[1]))
    return algebra.mul(term.coefficient, *factors)


def outer_factors(matrix: sympy.Basic) -> tuple[sympy.Expr, sympy.Basic, sympy.Basic] | None:
    """c u vᵀ for a product that passes through a single column: (c, u, vᵀ)."""
    if not isinstance(matrix, MatMul):
        return None
    scalars = [a for a in matrix.args if not is_matrix(a)]
    factors = [a for a in matrix.args if is_matrix(a)]
    for split in range(1, len(factors)):  # a product has as many columns as its last factor
        if shape_of(factors[split - 1])[1] == 1:
            return (sympy.Mul(*scalars), algebra.mul(*factors[:split]),
                    algebra.mul(*factors[split:]))
    return None


def vec_of(matrix: sympy.Basic) -> sympy.Basic:
    """vec M, with vec(u vᵀ) = v ⊗ u for an outer product and vec(u) = u for a column."""
    if shape_of(matrix)[1] == 1:
        return matrix
    outer = outer_factors(matrix)
    if outer is not None:
        scalar, column, row = outer
        return algebra.mul(scalar, KroneckerProduct(algebra.transpose(row), column))
    return Vec(matrix)


def entry(matrix: sympy.Basic | None, row: sympy.Expr, col: sympy.Expr) -> sympy.Expr:
    """M_rc, with δ for identities and one index for vectors."""
    if matrix is None or isinstance(matrix, Identity):
        return Delta(row, col)
    if not is_matrix(matrix):
        return matrix
    rows, cols = shape_of(matrix)
    if isinstance(matrix, Transpose):  # (Bᵀ)_lj is B_jl
        return entry(matrix.arg, col, row)
    if isinstance(matrix, OneMatrix):
        return sympy.S.One
    if isinstance(matrix, sympy.MatAdd):  # (A + B)_rc = A_rc + B_rc
        return sympy.Add(*(c * entry(m, row, col) for c, m in (
            algebra.split_coefficient(term) for term in matrix.args)))
    factors = algebra.factors_of(matrix)
    if len(factors) > 1 and isinstance(factors[0], DiagMatrix):  # (diag(v) M)_rc = v_r M_rc
        rest = algebra.mul(*factors[1:])
        if is_matrix(rest):
            return entry(factors[0].args[0], row, sympy.S.Zero) * entry(rest, row, col)
    if len(factors) > 1 and isinstance(factors[-1], DiagMatrix):  # (M diag(v))_rc = M_rc v_c
        rest = algebra.mul(*factors[:-1])
        if is_matrix(rest):
            return entry(rest, row, col) * entry(factors[-1].args[0], col, sympy.S.Zero)
    if len(factors) == 2 and isinstance(factors[1], OneMatrix) and cols == 1 and isinstance(
            factors[0], HadamardProduct) and any(isinstance(a, Identity)
                                                 for a in factors[0].args):
        rest = [a for a in factors[0].args if not isinstance(a, Identity)]  # ((A ⊙ I)𝟏)_k = A_kk
        return entry(rest[0] if len(rest) == 1 else HadamardProduct(*rest), row, row)
    if isinstance(matrix, DiagMatrix):  # diag(u)_kl = u_k δ_kl
        return entry(matrix.args[0], row, sympy.S.Zero) * Delta(row, col)
    if isinstance(matrix, HadamardProduct) and any(isinstance(a, Identity)
                                                    for a in matrix.args):
        rest = [a for a in matrix.args if not isinstance(a, Identity)]  # (M ⊙ I)_kl = M_kl δ_kl
        inner = rest[0] if len(rest) == 1 else HadamardProduct(*rest)
        return entry(inner, row, col) * Delta(row, col)
    outer = outer_factors(matrix)  # an outer product c u vᵀ: (c u vᵀ)_kl = c u_k v_l
    if outer is not None:
        scalar, column, row_vector = outer
        return scalar * entry(column, row, sympy.S.Zero) * entry(row_vector, sympy.S.Zero, col)
    return Entry(matrix, row if rows != 1 else sympy.S.Zero, col if cols != 1 else sympy.S.Zero)


def letters(expr: sympy.Basic, row: sympy.Symbol, col: sympy.Symbol
            ) -> tuple[sympy.Expr, sympy.Expr]:
    """The index letters of an expression's entries; an axis of length one has index 0."""
    rows, cols = shape_of(expr)
    return (row if rows != 1 else sympy.S.Zero), (col if cols != 1 else sympy.S.Zero)


def of_entry(of: sympy.Basic, row: sympy.Symbol = I, col: sympy.Symbol = J) -> sympy.Basic:
    """F_ij (f itself for a number): the left side of an index formula."""
    return entry(of, *letters(of, row, col)) if is_matrix(of) else of


def fresh_letters(*exprs: sympy.Basic, taken: frozenset[str] = frozenset()
                  ) -> tuple[sympy.Symbol, ...]:
    """i, j, k, l for ∂F_ij/∂X_kl, or other letters where the problem uses one of these as
    an index of its own (the class k in softmax(Wx)_k): never one letter for two things."""
    taken = taken | {str(unit.index) for expr in exprs for unit in parts_of(expr, UnitVector)}
    pool = [letter for letter in "ijklpqrsabcdmn" if letter not in taken]
    return tuple(sympy.Symbol(letter, integer=True, nonnegative=True) for letter in pool[:4])


def index_formula(terms: Terms, of: sympy.Basic, wrt: sympy.Basic,
                  names: Sequence[sympy.Symbol] = (I, J, K, L)) -> sympy.Expr:
    """∂F_ij/∂X_kl as a sum of products of entries and deltas."""
    i, j = letters(of, names[0], names[1])
    k, l = letters(wrt, names[2], names[3])  # noqa: E741
    total = sympy.S.Zero
    for term in terms:
        if isinstance(term, RowSoftmaxed):
            total += row_softmax_entry(term, (j, i) if term.flipped else (i, j), (k, l))
            continue
        if isinstance(term, Outer):
            scalar = entry(algebra.transpose(term.trace_with), k, l) if is_matrix(
                term.trace_with) else term.trace_with
            value = term.coefficient * scalar
            if term.matrix is not None:
                value *= entry(term.matrix, i, j)
            total += value
            continue
        a, b = (l, k) if term.transposed else (k, l)
        if term.surrounded and (term.outer_left is None) != (
                term.outer_right is None) and column_between(term, wrt):
            # diag(m) Q or P diag(m), m = L dX a column: (diag(m) Q)_ij = m_i Q_ij and
            # (P diag(m))_ij = P_ij m_j, with ∂m_r/∂x_k = L_rk
            r = i if term.outer_right is not None else j
            outer = entry(term.outer_right, r, j) if term.outer_right is not None else entry(
                term.outer_left, i, r)
            total += term.coefficient * entry(term.left, r, a) * outer
            continue
        if term.surrounded:
            raise MatcalcError(
                "no index formula yet for a product around an entrywise product of matrices",
                hint="the derivative of a scalar of it (a trace, a norm) is supported")
        value = term.coefficient * entry(term.left, i, a) * entry(term.right, b, j)
        if term.hadamard is not None:
            value *= entry(term.hadamard, i, j)
        total += value
    return total


def row_softmax_entry(term: RowSoftmaxed, of: tuple[sympy.Expr, sympy.Expr],
                      by: tuple[sympy.Expr, sympy.Expr]) -> sympy.Expr:
    """∂F_ij/∂X_kl of F = J_S(L dX R): S_ij L_ik (R_lj − (R Sᵀ)_li), since F_ij =
    S_ij (Z_ij − Σ_m S_im Z_im); a product around it would need a sum over its index."""
    if term.outer_left is not None or term.outer_right is not None:
        raise MatcalcError("no index formula for a product around a row-wise softmax")
    (i, j), (k, l) = of, by  # noqa: E741
    a, b = (l, k) if term.transposed else (k, l)
    softmax = term.softmax
    right_part = entry(term.right, b, j) - entry(
        algebra.mul(term.right, Transpose(softmax)) if term.right is not None
        else Transpose(softmax), b, i)
    return term.coefficient * entry(softmax, i, j) * entry(term.left, i, a) * right_part


def column_between(term: Linear | RowSoftmaxed, wrt: sympy.Basic) -> bool:
    """Whether the term is P diag(m) or diag(m) Q: I ⊙ (m 𝟏ᵀ) with m = L dX (L dXᵀ) a
    column."""
    return isinstance(term, Linear) and isinstance(term.hadamard, Identity) and isinstance(
        term.right, OneMatrix) and term.right.shape[0] == 1 and bool(
        shape_of(wrt)[0 if term.transposed else 1] == 1)


def differential_expr(terms: Terms, wrt: sympy.Basic, dx: sympy.Basic | None = None
                      ) -> sympy.Basic:
    """dF written out with dX, for the reader (or with ``dx`` in place of dX)."""
    if dx is None:
        dx = Diff(wrt) if is_matrix(wrt) else DiffScalar(wrt)
    parts = []
    for term in terms:
        if isinstance(term, Outer):
            with_dx = dx if term.trace_with == 1 else algebra.mul(term.trace_with, dx)
            scalar = algebra.as_scalar(with_dx) if shape_of(with_dx) == (1, 1) else Trace(with_dx)
            matrix = term.matrix if term.matrix is not None else sympy.S.One
            parts.append(algebra.mul(term.coefficient, scalar, matrix))
            continue
        middle = Transpose(dx) if term.transposed and is_matrix(dx) else dx
        if isinstance(term, RowSoftmaxed):
            inner = algebra.mul(*(f for f in (term.left, middle, term.right) if f is not None))
            product = algebra.mul(*(f for f in (
                term.outer_left, row_softmax_times(term.softmax, inner), term.outer_right)
                if f is not None))
            if term.flipped:
                product = algebra.transpose(product)
            parts.append(algebra.mul(term.coefficient, product))
            continue
        if is_matrix(dx) and column_between(term, wrt):  # I ⊙ (m𝟏ᵀ) is diag(m)
            product = DiagMatrix(algebra.mul(*(f for f in (term.left, middle)
                                               if f is not None)))
        else:
            product = algebra.mul(*(f for f in (term.left, middle, term.right)
                                    if f is not None))
        if term.hadamard is not None and not isinstance(product, DiagMatrix):
            product = sympy.HadamardProduct(term.hadamard, product)
        product = algebra.mul(*(f for f in (term.outer_left, product, term.outer_right)
                                if f is not None))
        parts.append(algebra.mul(term.coefficient, product))
    return algebra.add(*parts, rows=shape_of(parts[0])[0] if parts else 1,
                       cols=shape_of(parts[0])[1] if parts else 1)


def tensor_shape(of: sympy.Basic, wrt: sympy.Basic) -> Shape:
    """(rows F, cols F, rows X, cols X), without the axes of length one."""
    dims = [d for d in (*shape_of(of), *shape_of(wrt)) if d != 1]
    return Shape(tuple(dims)) if dims else Shape((sympy.S.One,))


def views(terms: Terms, of: sympy.Basic, wrt: sympy.Basic,
          indices: frozenset[str] = frozenset()) -> TensorViews:
    rows, cols = shape_of(of)
    m, n = shape_of(wrt)
    vec_parts = vec_jacobian(terms, of, wrt)
    vec = algebra.add(*vec_parts, rows=rows * cols, cols=m * n)
    differential = differential_expr(terms, wrt)
    names = fresh_letters(differential, taken=indices)  # as chain.named_entries reads them
    try:
        index: sympy.Basic | None = index_formula(terms, of, wrt, names)
    except MatcalcError:  # a product around a row-wise softmax: its entries need a sum
        index = None
    return TensorViews(
        differential=differential,
        index=index,
        vec=vec,
        vec_shape=Shape((rows * cols, m * n)),
        tensor=tensor_shape(of, wrt),
        of_entry=of_entry(of, names[0], names[1]),
        wrt_entry=entry(wrt, *letters(wrt, names[2], names[3])),
    )


def matrix_value(terms: Terms, of: sympy.Basic, wrt: sympy.Basic) -> sympy.Basic:
    """The value a step shows: the gradient for a scalar F, dF/dt shaped like F for a
    matrix F by a number t, else ∂vec F/∂vec X."""
    if shape_of(of) == (1, 1):
        m, n = shape_of(wrt)
        total = algebra.add(*gradient(terms), rows=m, cols=n)
        # by a vector, MML's numerator layout makes the derivative a row (1×D)
        return algebra.transpose(total) if n == 1 else total
    if by_scalar(of, wrt):
        return per_unit(terms, wrt)
    rows, cols = shape_of(of)
    m, n = shape_of(wrt)
    return algebra.add(*vec_jacobian(terms, of, wrt), rows=rows * cols, cols=m * n)


def by_scalar(of: sympy.Basic, wrt: sympy.Basic) -> bool:
    """A matrix (not a column) by a number: dF/dt is shown shaped like F, as dA/dt is."""
    return shape_of(wrt) == (1, 1) and shape_of(of)[1] != 1


def per_unit(terms: Terms, wrt: sympy.Basic) -> sympy.Basic:
    """M in dF = M dt: the differential with 1 for dt."""
    return differential_expr(terms, wrt, sympy.S.One)


MAX_WRITTEN_ENTRIES = 36  # a result with unit vectors, at sizes that are numbers: 6×6 at most


def entry_by_entry(result: sympy.Basic, variables: Sequence[sympy.Basic]
                   ) -> sympy.ImmutableMatrix | None:
    """The result as an explicit matrix of the variables' entries (x_1, x_2) when it is
    written with unit vectors e_k at sizes that are numbers (MML Example 5.15 with x ∈ ℝ²:
    2e₁e₁ᵀ + 2e₁e₂ᵀ + 2e₂e₁ᵀ + 6x₂e₂e₂ᵀ is [[2, 2], [2, 6x₂]]); None otherwise."""
    if not is_matrix(result) or not parts_of(result, UnitVector):
        return None
    rows, cols = shape_of(result)
    if not (rows.is_Integer and cols.is_Integer) or rows * cols > MAX_WRITTEN_ENTRIES:
        return None
    named: dict[sympy.Basic, sympy.Basic] = {}
    for variable in variables:
        if not is_matrix(variable):
            continue
        m, n = shape_of(variable)
        if not (m.is_Integer and n.is_Integer):
            return None
        name = variable.name
        labels = [[f"{name}_{i + 1}" if n == 1 else f"{name}_{i + 1}{j + 1}"
                   for j in range(int(n))] for i in range(int(m))]
        named[variable] = sympy.ImmutableMatrix([[sympy.Symbol(label) for label in row]
                                                 for row in labels])

    def written(expr: sympy.Basic) -> sympy.Basic:
        if expr in named:
            return named[expr]
        if isinstance(expr, UnitVector):
            size, position = int(expr.args[1]), expr.index
            if not position.is_Integer:
                raise TypeError("a unit vector at a position that is a letter")
            return sympy.ImmutableMatrix(size, 1, lambda i, _: int(i == int(position) - 1))
        if isinstance(expr, Scalar):
            return sympy.ImmutableMatrix(written(expr.matrix).doit())[0, 0]
        if not expr.args or isinstance(expr, sympy.Lambda):
            return expr
        return expr.func(*(written(a) for a in expr.args))

    try:
        value = written(result).doit()
        explicit = sympy.ImmutableMatrix(value)
    except (TypeError, ValueError, AttributeError, NotImplementedError):
        return None  # a construct sympy does not write out entry by entry
    if explicit.shape != (int(rows), int(cols)) or explicit.atoms(sympy.MatrixExpr):
        return None
    return explicit.applyfunc(sympy.expand)

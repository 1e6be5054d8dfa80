"""Simplification to textbook form; every use of a declared property leaves a remark.

The table below is the whole list of property identities the engine applies, one line
each. ``simplify`` returns the simplified expression and the remarks to state.
Imports sympy, matcalc.model, matcalc.objects and engine.algebra.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise

import sympy
from sympy import HadamardProduct, Identity, Inverse, MatAdd, MatMul, OneMatrix, Transpose
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.diagonal import DiagMatrix

from matcalc.engine import algebra
from matcalc.functions import sigmoid
from matcalc.model import Math, Sentence
from matcalc.objects import ENTRY, Scalar, UnitVector, Vec, is_matrix, shape_of

Rewrite = Callable[[sympy.Basic, frozenset[sympy.Basic]], sympy.Basic | None]

IDENTITIES: tuple[Rewrite, ...] = (
    # A symmetric S equals its transpose: Sᵀ = S
    lambda e, sym: e.arg if isinstance(e, Transpose) and e.arg in sym else None,
    # so its inverse is symmetric too: S⁻ᵀ = S⁻¹
    lambda e, sym: e.arg if isinstance(e, Transpose) and isinstance(e.arg, Inverse)
    and e.arg.arg in sym else None,
    # and (Sᵀ)⁻¹ = S⁻¹
    lambda e, sym: Inverse(e.arg.arg) if isinstance(e, Inverse)
    and isinstance(e.arg, Transpose) and e.arg.arg in sym else None,
)


def use_properties(expr: sympy.Basic,
                   symmetric: frozenset[sympy.Basic]) -> tuple[sympy.Basic, list[Sentence]]:
    """Apply the identities everywhere; one remark per identity used."""
    remarks: list[Sentence] = []

    def rewrite(node: sympy.Basic) -> sympy.Basic:
        if not node.args or isinstance(node, sympy.Lambda):
            return node
        rebuilt = node.func(*(rewrite(a) for a in node.args))
        for identity in IDENTITIES:
            replaced = identity(rebuilt, symmetric)
            if replaced is not None:
                (symbol,) = replaced.free_symbols & symmetric
                remark = ("since ", Math(symbol), " is symmetric, ", Math(rebuilt), " = ",
                          Math(replaced))
                if remark not in remarks:
                    remarks.append(remark)
                return replaced
        return rebuilt

    return rewrite(expr), remarks


def use_orthogonality(expr: sympy.Basic, orthogonal: frozenset[sympy.Basic]
                      ) -> tuple[sympy.Basic, list[Sentence]]:
    """QᵀQ = QQᵀ = I and Q⁻¹ = Qᵀ for a declared orthogonal Q, wherever they meet in a
    product: 2(Qx)ᵀQ is 2xᵀ. A transposed product is opened only where that lets a pair
    cancel; one remark per matrix."""
    remarks: list[Sentence] = []

    def note(q: sympy.Basic) -> None:
        remark = ("since ", Math(q), " is orthogonal, ", Math(MatMul(Transpose(q), q)), " = ",
                  Math(MatMul(q, Transpose(q))), " = ", Math(Identity(q.shape[0])))
        if remark not in remarks:
            remarks.append(remark)

    def rewrite(node: sympy.Basic) -> sympy.Basic:
        if not node.args or isinstance(node, sympy.Lambda):
            return node
        rebuilt = node.func(*(rewrite(a) for a in node.args))
        if isinstance(rebuilt, Inverse) and rebuilt.arg in orthogonal:
            note(rebuilt.arg)
            return Transpose(rebuilt.arg)
        if isinstance(rebuilt, Transpose) and isinstance(rebuilt.arg, Transpose):
            return rebuilt.arg.arg  # (Q⁻¹)ᵀ became (Qᵀ)ᵀ
        if not isinstance(rebuilt, MatMul):
            return rebuilt
        factors: list[sympy.Basic] = []
        for factor in rebuilt.args:  # (Qx)ᵀ → xᵀQᵀ, so that Qᵀ can meet Q
            opened = isinstance(factor, Transpose) and isinstance(factor.arg, MatMul)
            factors.extend(algebra.factors_of(algebra.transpose(factor.arg)) if opened
                           else [factor])
        kept: list[sympy.Basic] = []
        for factor in factors:
            pair = (kept[-1], factor) if kept else None
            q = next((m for m in orthogonal if pair in {(Transpose(m), m), (m, Transpose(m))}),
                     None)
            if q is None:
                kept.append(factor)
                continue
            kept.pop()
            note(q)
        if len(kept) == len(factors):
            return rebuilt
        if not any(is_matrix(k) for k in kept):
            rows, cols = shape_of(rebuilt)
            return algebra.mul(*kept, Identity(rows)) if rows == cols else rebuilt
        return algebra.mul(*kept)

    return (rewrite(expr), remarks) if orthogonal else (expr, remarks)


def use_sums_to_one(expr: sympy.Basic, summing: frozenset[sympy.Basic]
                    ) -> tuple[sympy.Basic, list[Sentence]]:
    """𝟏ᵀy = yᵀ𝟏 = 1 for a declared y that sums to one (one-hot or a probability vector):
    −yᵀ(I − 𝟏sᵀ) is sᵀ − yᵀ, as cross-entropy by the logits gives softmax(z) − y. A product
    is opened over a sum beside yᵀ (or y) only where that lets such a pair cancel. For a
    matrix Y whose rows sum to one, Y𝟏 = 𝟏 (softmax regression: Xᵀ(softmax(XW) − Y))."""
    remarks: list[Sentence] = []

    def note(y: sympy.Basic) -> None:
        rows, cols = y.shape
        remark: Sentence
        if cols == 1:
            ones = OneMatrix(rows, 1)
            remark = ("since ", Math(y), " sums to one, ", Math(MatMul(Transpose(ones), y)),
                      " = ", Math(MatMul(Transpose(y), ones)), " = 1")
        else:  # a matrix: each of its rows
            remark = ("since each row of ", Math(y), " sums to one, ",
                      Math(MatMul(y, OneMatrix(cols, 1))), " = ", Math(OneMatrix(rows, 1)))
        if remark not in remarks:
            remarks.append(remark)

    def cancelled(product: sympy.Basic) -> sympy.Basic | None:
        factors = list(algebra.factors_of(product))
        for at, (a, b) in enumerate(pairwise(factors)):
            for y in summing:
                rows, cols = y.shape
                if cols == 1 and ((a == Transpose(y) and is_ones(b, row=False)) or (
                        is_ones(a, row=True) and b == y)):
                    replaced: list[sympy.Basic] = []  # yᵀ𝟏 = 𝟏ᵀy = 1
                elif cols != 1 and a == y and is_ones(b, row=False):
                    replaced = [OneMatrix(rows, 1)]  # Y𝟏 = 𝟏, row by row
                elif cols != 1 and is_ones(a, row=True) and b == Transpose(y):
                    replaced = [OneMatrix(1, rows)]
                else:
                    continue
                note(y)
                rest = factors[:at] + replaced + factors[at + 2:]
                return algebra.mul(*rest) if rest else sympy.S.One
        return None

    def opened(product: MatMul) -> sympy.Basic | None:
        factors = list(product.args)
        vectors = {y for y in summing if y.shape[1] == 1}
        for at, (a, b) in enumerate(pairwise(factors)):
            y_row = any(a == Transpose(y) for y in vectors) and isinstance(b, MatAdd)
            y_column = isinstance(a, MatAdd) and b in vectors
            if not (y_row or y_column):
                continue
            total, inner = (b, at + 1) if y_row else (a, at)
            terms = [algebra.mul(*factors[:inner], term, *factors[inner + 1:])
                     for term in total.args]
            found = [cancelled(term) for term in terms]
            if all(f is None for f in found):
                continue
            rows, cols = shape_of(product)
            kept = [f if f is not None else t for f, t in zip(found, terms, strict=True)]
            return algebra.add(*kept, rows=rows, cols=cols)
        return cancelled(product)

    def rewrite(node: sympy.Basic) -> sympy.Basic:
        if not node.args or isinstance(node, sympy.Lambda):
            return node
        rebuilt = node.func(*(rewrite(a) for a in node.args))
        if isinstance(rebuilt, MatMul):
            return opened(rebuilt) or rebuilt
        return rebuilt

    return (rewrite(expr), remarks) if summing else (expr, remarks)


def tidy(expr: sympy.Basic) -> sympy.Basic:
    """Rebuild products and sums with the algebra helpers: identities out, terms collected,
    scalar coefficients cancelled."""
    if isinstance(expr, Transpose):  # (2v)ᵀ = 2vᵀ, so that it collects with 2vᵀ
        inner = tidy(expr.arg)
        if isinstance(inner, MatAdd):  # (s_k e_kᵀ − s_k sᵀ)ᵀ = s_k (e_kᵀ − sᵀ)ᵀ = s_k (e_k − s)
            common, rest = common_scalar(inner)
            if common != 1:
                return algebra.mul(common, tidy(Transpose(rest)))
            split = [algebra.split_coefficient(term) for term in inner.args]
            if all(isinstance(m, Transpose) for _, m in split):
                rows, cols = shape_of(inner)
                return algebra.add(*(algebra.mul(c, m.arg) for c, m in split),
                                   rows=cols, cols=rows)
        coefficient, matrix = algebra.split_coefficient(inner)
        if coefficient != 1 and not isinstance(matrix, MatMul):
            return algebra.mul(coefficient, algebra.transpose(matrix))
        return Transpose(inner)
    if isinstance(expr, MatMul):
        parts = [tidy(a) for a in expr.args]
        picked = pick_through_sum(parts)
        if picked is not None:
            return positive_sum(tidy(picked))
        coefficient = sympy.Mul(*(p for p in parts if not is_matrix(p)))
        matrices = []
        for part in (p for p in parts if is_matrix(p)):
            if isinstance(part, MatAdd):  # a factor all terms share comes out: s(a − b)
                common, part = common_scalar(part)
                coefficient *= common
            matrices.append(part)
        coefficient, matrices = number_in_front(coefficient, simplified_factors(matrices))
        return algebra.mul(simplify_scalar(coefficient), *matrices)
    if isinstance(expr, MatAdd):
        terms = collected_entrywise([tidy(a) for a in expr.args])
        total = algebra.add(*combined_rows(terms), rows=expr.shape[0], cols=expr.shape[1])
        return factor_common(total) if isinstance(total, MatAdd) else total
    if isinstance(expr, Scalar):
        return Scalar(tidy(expr.matrix)) if is_matrix(tidy(expr.matrix)) else tidy(expr.matrix)
    if isinstance(expr, Vec):
        return Vec(tidy(expr.args[0]))
    if isinstance(expr, HadamardProduct):
        parts = [tidy(a) for a in expr.args]
        return diagonal_of_outer(parts) or entrywise_cancelled(parts)
    if isinstance(expr, DiagMatrix):
        vector = tidy(expr.args[0])
        return diagonal_part(vector) or DiagMatrix(vector)
    if not is_matrix(expr):
        return simplify_scalar(expr)
    return expr


def entrywise_cancelled(parts: list[sympy.Basic]) -> sympy.Basic:
    """An entrywise product with M and 1/M among its factors, in brackets or not, without
    both: P ⊙ (Y ⊙ (1/P)) is Y; over a sum, P ⊙ (Y ⊙ (1/P) − B) is Y − P ⊙ B, as the
    cross-entropy of a softmax taken row by row gives."""
    flat = [f for part in parts for f in (
        part.args if isinstance(part, HadamardProduct) else (part,))]
    ones = [f for f in flat if all(isinstance(m, OneMatrix) for m in algebra.factors_of(f))]
    if ones and len(ones) < len(flat):  # P ⊙ (𝟏𝟏ᵀ) is P
        flat = [f for f in flat if f not in ones]
        if len(flat) == 1:
            return flat[0]
        parts = flat
    for at, factor in enumerate(flat):
        partner = _reciprocal(factor)
        if partner in flat:
            rest = [f for i, f in enumerate(flat) if i not in (at, flat.index(partner))]
            if not rest:
                return OneMatrix(*shape_of(factor))
            return rest[0] if len(rest) == 1 else HadamardProduct(*rest)
    for at, factor in enumerate(flat):
        if not isinstance(factor, MatAdd):
            continue
        others = flat[:at] + flat[at + 1:]
        terms = [entrywise_cancelled([*others, term]) for term in factor.args]
        if any(_reciprocal(o) is not None and not term.has(_reciprocal(o))
               and algebra.split_coefficient(original)[1].has(_reciprocal(o))
               for term, original in zip(terms, factor.args, strict=True) for o in others):
            rows, cols = shape_of(factor)
            return algebra.add(*terms, rows=rows, cols=cols)
    split = [algebra.split_coefficient(part) for part in parts]  # P ⊙ (−B) is −(P ⊙ B)
    coefficient = sympy.Mul(*(c for c, _ in split))
    product = HadamardProduct(*(m for _, m in split))
    return product if coefficient == 1 else algebra.mul(coefficient, product)


def _reciprocal(matrix: sympy.Basic) -> sympy.Basic | None:
    """1/M entry by entry for M (and M for 1/M), or None when that is not written so."""
    if isinstance(matrix, ElementwiseApplyFunction):
        t, = matrix.function.variables
        if matrix.function.expr == 1 / t:
            return matrix.expr
        return None
    if is_matrix(matrix):
        return ElementwiseApplyFunction(sympy.Lambda(ENTRY, 1 / ENTRY), matrix)
    return None


def diagonal_of_outer(parts: list[sympy.Basic]) -> sympy.Basic | None:
    """(u 𝟏ᵀ) ⊙ I = (𝟏 uᵀ) ⊙ I = diag(u): what d(wᵀ diag(A)) reads off; None otherwise."""
    if len(parts) != 2 or not any(isinstance(p, Identity) for p in parts):
        return None
    other = parts[1] if isinstance(parts[0], Identity) else parts[0]
    coefficient, matrix = algebra.split_coefficient(other)
    factors = list(algebra.factors_of(matrix))
    if len(factors) < 2:
        return None
    if is_ones(factors[-1], row=True):  # u 𝟏ᵀ
        column = algebra.mul(*factors[:-1])
    elif is_ones(factors[0], row=False):  # 𝟏 uᵀ
        column = algebra.transpose(algebra.mul(*factors[1:]))
    else:
        return None
    if shape_of(column)[1] != 1:
        return None
    return algebra.mul(coefficient, diagonal_part(column) or DiagMatrix(column))


def diagonal_part(vector: sympy.Basic) -> sympy.Basic | None:
    """diag((A ⊙ I) 𝟏) = A ⊙ I: the diagonal matrix of a matrix's diagonal; None otherwise."""
    coefficient, matrix = algebra.split_coefficient(vector)
    factors = algebra.factors_of(matrix)
    if len(factors) == 2 and is_ones(factors[1], row=False) and isinstance(
            factors[0], HadamardProduct) and any(isinstance(a, Identity)
                                                 for a in factors[0].args):
        return algebra.mul(coefficient, factors[0])
    return None


def is_ones(matrix: sympy.Basic, *, row: bool) -> bool:
    """𝟏 as a column (row=False) or 𝟏ᵀ as a row (row=True)."""
    if isinstance(matrix, Transpose):
        matrix, row = matrix.arg, not row
    return isinstance(matrix, OneMatrix) and matrix.shape[0 if row else 1] == 1


def simplified_factors(matrices: list[sympy.Basic]) -> list[sympy.Basic]:
    """The factors of a product with neighbours combined as a textbook does:
    diag(f(x)) diag(g(x)) = diag(f(x) ⊙ g(x)) (the chain rule through log(1 + exp(x)) gives
    two); diag(1/s)(diag(s) − ssᵀ) = I − 𝟏sᵀ and its mirror (log softmax); Aᵀ(AX)⁻ᵀ = X⁻ᵀ
    and its kin (cancelled_inverses); 𝟏ᵀ diag(v) = vᵀ; f(x)ᵀ diag(g(x)) = (f(x) ⊙ g(x))ᵀ."""
    out: list[sympy.Basic] = []
    for matrix in matrices:
        previous = out[-1] if out else None
        left = entrywise_of(previous.args[0]) if isinstance(previous, DiagMatrix) else None
        right = entrywise_of(matrix.args[0]) if isinstance(matrix, DiagMatrix) else None
        if left is not None and right is not None and left[1] == right[1]:
            body = left[0] * right[0]
            out[-1] = DiagMatrix(ElementwiseApplyFunction(sympy.Lambda(ENTRY, body), left[1]))
        elif left is not None and left[0] == 1 / ENTRY and isinstance(matrix, MatAdd) and (
                divided := divided_terms(left[1], matrix)) is not None:
            out[-1] = divided  # diag(1/s) (diag(s) − s sᵀ) = I − 𝟏sᵀ
        elif right is not None and right[0] == 1 / ENTRY and previous is not None and (
                divided := divided_terms(right[1], previous, from_right=True)) is not None:
            out[-1] = divided  # (diag(s) − s sᵀ)ᵀ diag(1/s) = I − s𝟏ᵀ
        else:
            out.append(matrix)
    out = cancelled_inverses(out)
    picked: list[sympy.Basic] = []
    for matrix in out:
        if (picked and isinstance(picked[-1], OneMatrix) and picked[-1].shape[0] == 1
                and isinstance(matrix, DiagMatrix)):  # 𝟏ᵀ diag(v) = vᵀ
            found = entrywise_of(matrix.args[0])
            picked[-1] = algebra.transpose(matrix.args[0] if found is None else
                                           applied(*found))
            continue
        row = entrywise_of(picked[-1].arg, plain=True) if picked and isinstance(
            picked[-1], Transpose) else None
        diagonal = entrywise_of(matrix.args[0], plain=True) if isinstance(
            matrix, DiagMatrix) else None
        if row is not None and diagonal is not None and row[1] == diagonal[1]:
            # f(x)ᵀ diag(g(x)) = (f(x) ⊙ g(x))ᵀ: exp(x)ᵀ diag(exp(x)) = exp(2x)ᵀ
            picked[-1] = algebra.transpose(applied(row[0] * diagonal[0], row[1]))
        else:
            picked.append(matrix)
    return picked


def collected_entrywise(terms: list[sympy.Basic]) -> list[sympy.Basic]:
    """Entrywise functions of one vector, summed, are one: cos(x)²ᵀ − sin(x)²ᵀ is
    (cos(x)² − sin(x)²)ᵀ, exp(x)ᵀ + (x ⊙ exp(x))ᵀ is (exp(x) + x ⊙ exp(x))ᵀ."""
    groups: dict[tuple[sympy.Basic, bool], sympy.Expr] = {}
    others: list[sympy.Basic] = []
    for term in terms:
        coefficient, matrix = algebra.split_coefficient(term)
        row = isinstance(matrix, Transpose)
        found = entrywise_of(matrix.arg if row else matrix)
        if found is None or not is_matrix(matrix) or shape_of(found[1])[1] != 1:
            others.append(term)
            continue
        body, vector = found
        groups[(vector, row)] = groups.get((vector, row), sympy.S.Zero) + coefficient * body
    if not groups or (len(groups) + len(others) == len(terms)):
        return terms  # nothing to collect
    for (vector, row), body in groups.items():
        column = applied(body, vector)
        others.append(algebra.transpose(column) if row else column)
    return others


def combined_rows(terms: list[sympy.Basic]) -> list[sympy.Basic]:
    """Rows aᵀ diag(b) ⋯ of entrywise functions of several vectors, summed, as one row when
    that is simpler, by the algebra of their entries: (1 − y)ᵀ diag(σ(u)) − yᵀ diag(1 − σ(u))
    is (σ(u) − y)ᵀ, since (1 − yᵢ)σ(uᵢ) − yᵢ(1 − σ(uᵢ)) = σ(uᵢ) − yᵢ for every entry i."""
    if len(terms) < 2:
        return terms
    entries: dict[sympy.Basic, sympy.Dummy] = {}
    total = sympy.S.Zero
    for term in terms:
        product = row_entry(term, entries)
        if product is None:
            return terms
        total += product
    expanded = sympy.expand(total)
    if len(entries) < 2 or sympy.count_ops(expanded) >= sympy.count_ops(total):
        return terms
    bodies: dict[sympy.Basic, sympy.Expr] = {}
    for part in sympy.Add.make_args(expanded):
        used = [vector for vector, entry in entries.items() if part.has(entry)]
        if len(used) != 1:
            return terms  # a constant, or a product of entries of two vectors
        (vector,) = used
        bodies[vector] = bodies.get(vector, sympy.S.Zero) + part.xreplace(
            {entries[vector]: ENTRY})
    column = algebra.add(*(applied(body, vector) for vector, body in bodies.items()),
                         rows=shape_of(terms[0])[1], cols=1)
    return [algebra.transpose(column)]


def row_entry(term: sympy.Basic, entries: dict[sympy.Basic, sympy.Dummy]) -> sympy.Expr | None:
    """Entry i of a row c · aᵀ diag(b) diag(c) ⋯ as a number: c aᵢ bᵢ cᵢ ⋯, each vector that
    is not made entry by entry of others standing for its entry (a symbol), or None."""
    coefficient, matrix = algebra.split_coefficient(term)
    factors = matrix.args if isinstance(matrix, MatMul) else (matrix,)
    if not factors or not isinstance(factors[0], Transpose) or not coefficient.is_number:
        return None
    product = entry_of_vector(factors[0].arg, entries)
    for factor in factors[1:]:
        entry = entry_of_vector(factor.args[0], entries) if isinstance(
            factor, DiagMatrix) else None
        if entry is None or product is None:
            return None
        product *= entry
    return None if product is None else coefficient * product


def entry_of_vector(vector: sympy.Basic, entries: dict[sympy.Basic, sympy.Dummy]
                    ) -> sympy.Expr | None:
    """Entry i of a column vector made entry by entry (sums, multiples, ⊙, 𝟏, f(·)) of
    other vectors, each of which stands for its entry; None for anything else."""
    if not is_matrix(vector) or shape_of(vector)[1] != 1:
        return None
    if isinstance(vector, OneMatrix):
        return sympy.S.One
    if isinstance(vector, ElementwiseApplyFunction):
        inner = entry_of_vector(vector.expr, entries)
        (variable,) = vector.function.variables
        return None if inner is None else vector.function.expr.xreplace({variable: inner})
    if isinstance(vector, MatAdd | HadamardProduct):
        parts = [entry_of_vector(a, entries) for a in vector.args]
        if any(p is None for p in parts):
            return None
        return (sympy.Add if isinstance(vector, MatAdd) else sympy.Mul)(*parts)
    coefficient, matrix = algebra.split_coefficient(vector)
    if coefficient != 1:
        inner = entry_of_vector(matrix, entries)
        return None if inner is None or not coefficient.is_number else coefficient * inner
    return entries.setdefault(vector, sympy.Dummy(f"e{len(entries)}"))


def applied(body: sympy.Expr, vector: sympy.Basic) -> sympy.Basic:
    """The entrywise function t ↦ body applied to the vector (c·x for t ↦ c·t)."""
    coefficient, rest = body.as_coeff_Mul() if isinstance(body, sympy.Expr) else (1, body)
    if rest == ENTRY:
        return algebra.mul(coefficient, vector)
    return ElementwiseApplyFunction(sympy.Lambda(ENTRY, body), vector)


def cancelled_inverses(matrices: list[sympy.Basic]) -> list[sympy.Basic]:
    """Aᵀ(AX)⁻ᵀ = X⁻ᵀ, (XA)⁻ᵀAᵀ = X⁻ᵀ and (XA)⁻¹A = X⁻¹ for square A and X: where (AX)⁻¹
    exists, so do A⁻¹ and X⁻¹ (the derivative of log det(AX) by X)."""
    out: list[sympy.Basic] = []
    for matrix in matrices:
        if out:
            cancelled = cancel_pair(out[-1], matrix)
            if cancelled is not None:
                out[-1] = cancelled
                continue
        out.append(matrix)
    return out


def cancel_pair(left: sympy.Basic, right: sympy.Basic) -> sympy.Basic | None:
    def inverted_product(node: sympy.Basic, transposed: bool) -> tuple[sympy.Basic, ...]:
        if transposed:
            if not isinstance(node, Transpose):
                return ()
            node = node.arg
        if isinstance(node, Inverse) and isinstance(node.arg, MatMul) and all(
                shape_of(a)[0] == shape_of(a)[1] for a in node.arg.args):
            return tuple(node.arg.args)
        return ()

    def inverse(factors: tuple[sympy.Basic, ...], transposed: bool) -> sympy.Basic:
        inner = Inverse(factors[0] if len(factors) == 1 else MatMul(*factors))
        return Transpose(inner) if transposed else inner

    after = inverted_product(right, transposed=True)  # Aᵀ (AX)⁻ᵀ
    if after and isinstance(left, Transpose) and left.arg == after[0]:
        return inverse(after[1:], transposed=True)
    before = inverted_product(left, transposed=True)  # (XA)⁻ᵀ Aᵀ
    if before and isinstance(right, Transpose) and right.arg == before[-1]:
        return inverse(before[:-1], transposed=True)
    plain = inverted_product(left, transposed=False)  # (XA)⁻¹ A
    if plain and right == plain[-1]:
        return inverse(plain[:-1], transposed=False)
    return None


def divided_terms(vector: sympy.Basic, total: sympy.Basic, from_right: bool = False
                  ) -> sympy.Basic | None:
    """diag(1/s) times a sum whose terms each start with diag(s) or s: diag(1/s) diag(s) = I
    and diag(1/s) s = 𝟏, so diag(1/s)(diag(s) − s sᵀ) = I − 𝟏sᵀ (log softmax); from the
    right, a sum (or its transpose) whose terms end in diag(s) or sᵀ: (…) diag(1/s) = I − s𝟏ᵀ.
    None otherwise."""
    if from_right and isinstance(total, Transpose) and isinstance(total.arg, MatAdd):
        total = MatAdd(*(algebra.transpose(t) for t in total.arg.args))
    if not isinstance(total, MatAdd):
        return None
    rows = shape_of(vector)[0]
    terms = []
    for term in total.args:
        coefficient, matrix = algebra.split_coefficient(term)
        factors = list(matrix.args) if isinstance(matrix, MatMul) else [matrix]
        end = -1 if from_right else 0
        near = factors[end]
        if isinstance(near, DiagMatrix) and near.args[0] == vector:
            factors[end] = Identity(rows)
        elif near == (algebra.transpose(vector) if from_right else vector):
            factors[end] = OneMatrix(1, rows) if from_right else OneMatrix(rows, 1)
        else:
            return None
        terms.append(algebra.mul(coefficient, *factors))
    return algebra.add(*terms, rows=shape_of(total)[0], cols=shape_of(total)[1])


def entrywise_of(vector: sympy.Basic, plain: bool = False
                 ) -> tuple[sympy.Expr, sympy.Basic] | None:
    """f(g(h(x))) applied entry by entry as one function of ENTRY and the vector x (with
    ``plain``, a column vector x itself is t ↦ t of x)."""
    if not isinstance(vector, ElementwiseApplyFunction):
        if plain and is_matrix(vector) and shape_of(vector)[1] == 1 and not isinstance(
                vector, MatAdd | MatMul):
            return ENTRY, vector
        return None
    body: sympy.Expr = ENTRY
    while isinstance(vector, ElementwiseApplyFunction):
        (variable,) = vector.function.variables
        body = body.xreplace({ENTRY: vector.function.expr.xreplace({variable: ENTRY})})
        vector = vector.expr
    return body, vector


def number_in_front(coefficient: sympy.Expr, matrices: list[sympy.Basic]
                    ) -> tuple[sympy.Expr, list[sympy.Basic]]:
    """vᵀv vᵀ = (vᵀv) vᵀ: a leading product that is a number joins the coefficient, so that
    3vᵀvvᵀ and (vᵀv)vᵀ are seen to be like terms."""
    for end in range(len(matrices) - 1, 1, -1):
        head = matrices[:end]
        if shape_of(head[0])[0] == 1 and shape_of(head[-1])[1] == 1:
            return coefficient * Scalar(MatMul(*head)), matrices[end:]
    return coefficient, matrices


def pick(row: Transpose, matrix: sympy.Basic) -> sympy.Basic | None:
    """e_kᵀ M for the forms whose k-th row is known: e_kᵀ diag(v) = v_k e_kᵀ,
    e_kᵀ (c u vᵀ) = c u_k vᵀ, e_kᵀ I = e_kᵀ."""
    unit = row.arg
    if isinstance(matrix, Identity):
        return row
    if isinstance(matrix, DiagMatrix):
        return algebra.mul(Scalar(MatMul(row, matrix.args[0])), row)
    coefficient, product = algebra.split_coefficient(matrix)
    factors = list(product.args) if isinstance(product, MatMul) else [product]
    if len(factors) == 2 and shape_of(factors[0])[1] == 1:
        return algebra.mul(coefficient, Scalar(MatMul(Transpose(unit), factors[0])),
                           factors[1])
    return None


def pick_through_sum(parts: list[sympy.Basic]) -> sympy.Basic | None:
    """e_kᵀ(diag(s) − s sᵀ) W = (s_k e_kᵀ − s_k sᵀ) W: the k-th row of a sum, term by term,
    when every term's k-th row is known (as for the Jacobian of softmax)."""
    for index, (first, second) in enumerate(pairwise(parts)):
        if isinstance(first, Transpose) and isinstance(first.arg, UnitVector) and isinstance(
                second, MatAdd):
            row, total, column = first, second, False
        elif isinstance(first, Transpose) and isinstance(first.arg, MatAdd) and isinstance(
                second, UnitVector):  # (diag(s) − s sᵀ)ᵀ e_k: the k-th row, transposed
            row, total, column = Transpose(second), first.arg, True
        else:
            continue
        rows = [pick(row, term) for term in total.args]
        if any(r is None for r in rows):
            return None
        summed = MatAdd(*rows)
        picked = Transpose(summed) if column else summed
        return MatMul(*parts[:index], picked, *parts[index + 2:])
    return None


def positive_sum(product: sympy.Basic) -> sympy.Basic:
    """−(a − b) as (b − a), for a sum the simplification made (the user's stay as written)."""
    if not isinstance(product, MatMul):
        return product
    coefficient, matrix = algebra.split_coefficient(product)
    factors = list(matrix.args) if isinstance(matrix, MatMul) else [matrix]
    sums = [f for f in factors if isinstance(f, MatAdd)]
    if len(sums) != 1 or not (coefficient.is_number and coefficient < 0):
        return product
    flipped = MatAdd(*(algebra.mul(-1, term) for term in sums[0].args))
    return algebra.mul(-coefficient, *(flipped if f is sums[0] else f for f in factors))


def common_scalar(total: MatAdd) -> tuple[sympy.Expr, sympy.Basic]:
    """(s, a − b) for s a − s b: the scalar factor every term has."""
    split = [algebra.split_coefficient(term) for term in total.args]
    shared = set(sympy.Mul.make_args(split[0][0]))
    for coefficient, _ in split[1:]:
        shared &= set(sympy.Mul.make_args(coefficient))
    shared = {f for f in shared if not f.is_number}
    if not shared:
        return sympy.S.One, total
    common = sympy.Mul(*shared)
    return common, MatAdd(*(algebra.mul(c / common, m) for c, m in split))


def factor_common(total: MatAdd) -> sympy.Basic:
    """AX + AᵀX = (A + Aᵀ)X, s xᵀ − y xᵀ = (s − y)xᵀ: a factor every term ends (or begins)
    with comes out once, as a textbook writes it."""
    split = [algebra.split_coefficient(term) for term in total.args]
    products = [(c, list(m.args) if isinstance(m, MatMul) else [m]) for c, m in split]
    for side in (-1, 0):
        factors = {tuple(p[1][side:] if side == -1 else p[1][:1]) for p in products}
        if len(factors) != 1 or any(len(p[1]) < 2 for p in products):
            continue
        (common,) = factors
        rest = [algebra.mul(c, *(m[:-1] if side == -1 else m[1:])) for c, m in products]
        if not all(is_matrix(r) for r in rest):
            continue  # a scalar left over (2 vᵀw wᵀ + …): nothing to factor as a matrix
        combined = combined_rows(rest)
        inner = combined[0] if len(combined) == 1 else MatAdd(*rest)
        return algebra.mul(inner, *common) if side == -1 else algebra.mul(*common, inner)
    return total


# Fractions in a scalar coefficient are brought together (sympy's cancel) only when the
# coefficient has at most this many operations and distinct denominators; a larger one is
# shown as derived. Measured: a sum of 5 fractions (24 operations) takes 0.25 s, of 7
# (34 operations) 4 s, of 30 more than two minutes. A bound on size, not on time, so that
# the output never depends on the machine's speed.
MAX_CANCEL_OPS = 60
MAX_CANCEL_DENOMINATORS = 4


def simplify_scalar(expr: sympy.Expr) -> sympy.Expr:
    """Cancel a scalar coefficient, treating each matrix sub-expression as a symbol
    (sympy's scalar simplification cannot look inside matrix expressions)."""
    if not isinstance(expr, sympy.Expr) or expr.is_Atom:
        return expr
    stand_ins: dict[sympy.Basic, sympy.Dummy] = {}

    def hide(node: sympy.Basic) -> sympy.Basic:
        if any(a.is_Matrix for a in node.args) or isinstance(node, Scalar):
            return stand_ins.setdefault(node, sympy.Dummy(real=True))
        if not node.args:
            return node
        return node.func(*(hide(a) for a in node.args))

    hidden = hide(expr)
    if not any(isinstance(p, sympy.Pow) and p.exp.is_negative for p in
               sympy.preorder_traversal(hidden)) or not hidden.has(sympy.Add):
        return expr  # no fractions to bring together: sympy's polys (slow to load) not needed
    size = sympy.count_ops(hidden)
    denominators = {p.base for p in sympy.preorder_traversal(hidden)
                    if isinstance(p, sympy.Pow) and p.exp.is_negative}
    if size > MAX_CANCEL_OPS or len(denominators) > MAX_CANCEL_DENOMINATORS:
        return expr  # polynomial cancellation takes exponential time in these
    candidate = sympy.factor_terms(sympy.cancel(hidden))
    if sympy.count_ops(candidate) > size:
        return expr
    return candidate.xreplace({d: node for node, d in stand_ins.items()})


def known_functions(expr: sympy.Basic) -> tuple[sympy.Basic, list[Sentence]]:
    """Name the functions a textbook names: exp(a)/(1 + exp(a)) is the logistic sigmoid(a)
    (the derivative of softplus log(1 + exp(a))) and 1/(1 + exp(a)) is sigmoid(−a); one
    remark each. Products are looked at before their factors, so that the exp(a) above a
    fraction is seen with it."""
    remarks: list[Sentence] = []

    def rewrite(node: sympy.Basic) -> sympy.Basic:
        if not node.args:
            return node
        named = logistic(node)
        if named is not None:
            replaced, rest, seen = named
            remark: Sentence = ("the logistic function: ", Math(seen), " = ", Math(replaced))
            if remark not in remarks:
                remarks.append(remark)
            rest = [rewrite(f) for f in rest]
            return algebra.mul(replaced, *rest) if isinstance(node, MatMul) else sympy.Mul(
                replaced, *rest)
        return node.func(*(rewrite(a) for a in node.args))

    return rewrite(expr), remarks


def logistic(node: sympy.Basic) -> tuple[sympy.Expr, list[sympy.Basic], sympy.Basic] | None:
    """(sigmoid(±a), the other factors, what it replaces) for a product with a factor
    1/(1 + exp(a)), or None."""
    if not isinstance(node, sympy.Mul | sympy.Pow | MatMul) or (
            is_matrix(node) and not isinstance(node, MatMul)):
        return None
    factors = list(node.args) if isinstance(node, sympy.Mul | MatMul) else [node]
    for index, factor in enumerate(factors):
        if not (isinstance(factor, sympy.Pow) and factor.exp == -1
                and isinstance(factor.base, sympy.Add) and len(factor.base.args) == 2
                and sympy.S.One in factor.base.args):
            continue
        (tail,) = [a for a in factor.base.args if a != 1]
        if not isinstance(tail, sympy.exp):
            continue
        argument = tail.args[0]
        rest = factors[:index] + factors[index + 1:]
        if sympy.exp(argument) in rest:  # exp(a)/(1 + exp(a)) = sigmoid(a)
            rest.remove(sympy.exp(argument))
            return sigmoid(argument), rest, sympy.Mul(sympy.exp(argument), factor,
                                                     evaluate=False)
        return sigmoid(-argument), rest, factor  # 1/(1 + exp(a)) = sigmoid(−a)
    return None


def simplify(expr: sympy.Basic, symmetric: frozenset[sympy.Basic],
             orthogonal: frozenset[sympy.Basic] = frozenset(),
             summing: frozenset[sympy.Basic] = frozenset(),
             ) -> tuple[sympy.Basic, tuple[Sentence, ...]]:
    """The expression as a textbook writes it, with a remark for each declared property or
    named function it used: symmetric and orthogonal matrices, vectors that sum to one,
    identities, collected terms, sigmoid."""
    cancelled, used = use_orthogonality(expr, orthogonal)
    with_properties, remarks = use_properties(cancelled, symmetric)
    tidied = tidy(with_properties)
    summed, sums = use_sums_to_one(tidied, summing)
    if sums:
        tidied = tidy(summed)
    named, recognised = known_functions(tidied)
    return named, (*used, *remarks, *sums, *recognised)

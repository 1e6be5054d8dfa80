"""A sum over data points, Σ_n g(wᵀx_n, y_n), read as the vector expression it is.

ML notes write the loss of a data set as a sum over its points: ``\\sum_{n=1}^{N}
(y_n - w^T x_n)^2``, ``sum_n log(1 + exp(-y_n w^T x_n))``. Inside the sum, ``y_n`` is the
n-th entry of a declared y ∈ ℝ^N and ``x_n`` is the n-th data point of a declared matrix X
(its n-th row when X ∈ ℝ^{N×D}, its n-th column when X ∈ ℝ^{D×N}), met in an inner product
with a vector (wᵀx_n, x_nᵀw) — the n-th entry of Xw (or Xᵀw). The summand is rewritten, node
by node, into the vector of its N values: wᵀx_n becomes (Xw), y_n becomes y, a product of
two such vectors is ⊙, and a function acts entry by entry; the sum is then 𝟏ᵀ of that
vector, which the rest of matcalc reads, derives and prints (the echo shows the reading).

Anything else that varies with n (x_n alone, ‖x_n‖, x_nᵀAx_n, an index used outside its
sum) is refused at its place, with the form to write instead. Imports the syntax tree only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import sympy

from matcalc.errors import MatcalcError, Span
from matcalc.language.nodes import bracketed, children, descendants, exponent_mark
from matcalc.language.scope import Scope
from matcalc.language.transformer import (
    AbsOf,
    BinOp,
    Call,
    DotPower,
    Font,
    Frac,
    Group,
    Juxt,
    Name,
    Neg,
    Node,
    Number,
    Postfix,
    Power,
    Subscript,
    SumOver,
)

WRITE_INSTEAD = ("a data point x_n may appear in an inner product with a vector (w^T x_n or "
                 "x_n^T w); write other sums with the data matrix, e.g. ||X||_F^2")


@dataclass(frozen=True)
class DataPoint(Node):
    """x_n, the n-th data point (a row or a column of X), before its inner product."""

    name: str  # "x"
    transposed: bool


@dataclass
class Summed:
    """What a sum's summand is read with: its index, its number of terms, its data."""

    sum: SumOver
    scope: Scope  # the names declared, the sizes, the text, the function words
    count: sympy.Expr | None = None  # N, once known

    # ---- what the summand's names are ----------------------------------------------------

    def indexed(self, node: Node) -> str | None:
        """b for b_n with n the sum's index (y_n, x_{n}, \\mathbf{x}_n), or None."""
        if isinstance(node, Font):
            node = node.inner
        if isinstance(node, Name) and node.text not in self.scope.declared:
            base, _, index = node.text.rpartition("_")
            return base if base and index == self.sum.index else None
        if isinstance(node, Subscript) and node.index == self.sum.index:
            base_node = node.base.inner if isinstance(node.base, Font) else node.base
            return base_node.text if isinstance(base_node, Name) else None
        return None

    def is_point(self, node: Node) -> str | None:
        """x for x_n, where x is not declared and X is a declared matrix (the data)."""
        base = self.indexed(node)
        if base is None or base in self.scope.declared:
            return None
        data = self.scope.declared.get(base.upper())
        if data is None or len(data.shape.dims) != 2 or 1 in data.shape.dims:
            raise MatcalcError(
                f"{base}_{self.sum.index} is a data point, but no data matrix "
                f"{base.upper()} is declared", node.span,
                hint=f"declare the data, e.g. '{base.upper()} in R^{{N x D}}' with "
                     f"{base}_{self.sum.index} its {self.sum.index}-th row")
        return base

    def entry_of(self, node: Node) -> str | None:
        """y for y_n, where y is a declared vector of N entries."""
        base = self.indexed(node)
        if base is None or base not in self.scope.declared:
            return None
        dims = self.scope.declared[base].shape.dims
        rows, cols = (dims[0], dims[1]) if len(dims) == 2 else (1, 1)
        if cols != 1 or rows == 1:
            raise MatcalcError(f"{base}_{self.sum.index}: {base} is not a vector of the "
                               "data's length", node.span)
        self.counted(rows, node.span)
        return base

    def bound(self) -> sympy.Expr | None:
        """N of \\sum_{n=1}^{N} as a size, or None when the bound is not written."""
        written = self.sum.upper
        if written is None:
            return None
        size = sympy.Integer(int(written)) if written.isdigit() else self.scope.dims.get(written)
        if size is None:
            raise MatcalcError(f"the sum's bound {written} is not a declared size",
                               self.sum.span, hint=f"declare the data with the size "
                                                   f"{written}, e.g. 'y in R^{written}'")
        return size

    def terms(self) -> sympy.Expr:
        """N, the number of terms: the bound, or the length of the data met."""
        count = self.count if self.count is not None else self.bound()
        if count is None:
            raise MatcalcError(f"the number of terms of {self.scope.text(self.sum.span)} is not "
                               "clear", self.sum.span,
                               hint=f"write its bound, \\sum_{{{self.sum.index}=1}}^{{N}}")
        return count

    def counted(self, size: sympy.Expr, span: Span) -> None:
        """The number of terms is N: the sum's bound, and every length that meets it."""
        if self.count is None:
            self.count = self.bound()
        if self.count is None:
            self.count = size
        elif size != self.count:
            raise MatcalcError(f"this has {size} entries, but the sum has {self.count} terms",
                               span)

    def layout(self, name: str, vector_size: sympy.Expr, span: Span) -> bool:
        """Whether x_n is a row of X (True) or a column (False), from the sizes."""
        rows, cols = self.scope.declared[name.upper()].shape.dims
        if self.count is None:
            self.count = self.bound()
        by_rows = cols == vector_size and (self.count is None or rows == self.count)
        by_cols = rows == vector_size and (self.count is None or cols == self.count)
        if not by_rows and not by_cols:
            terms = f"the sum has {self.count} terms" if self.count is not None else (
                f"{name}_{self.sum.index} has {vector_size} entries")
            raise MatcalcError(f"{terms}, but the data {name.upper()} is {rows}×{cols}", span,
                               hint=f"declare {name.upper()} in R^{{N x D}}, with x_n its "
                                    "n-th row of D entries and N the number of terms")
        if by_rows == by_cols:
            raise MatcalcError(
                f"it is not clear whether {name}_{self.sum.index} is a row or a column of "
                f"{name.upper()}, which is {rows}×{cols}", span,
                hint=f"write the sum's bound (\\sum_{{{self.sum.index}=1}}^{{N}}) with "
                     f"{name.upper()} in R^{{N x D}} for rows")
        self.counted(rows if by_rows else cols, span)
        return by_rows

    # ---- the summand as a vector ---------------------------------------------------------

    def vector(self, node: Node, size_of: Callable[[Node], sympy.Expr]) -> tuple[Node, bool]:
        """The node as the vector of its N values, and whether it varies with n at all."""
        if (entry := self.entry_of(node)) is not None:
            return Name(node.span, entry), True
        if self.is_point(node) is not None:
            return DataPoint(node.span, self.is_point(node) or "", False), False
        match node:
            case Postfix(base=base, mark="transpose") | Power(base=base) if (
                    self.is_point(base) is not None and (
                        isinstance(node, Postfix) or exponent_mark(node.exponent)
                        == "transpose")):
                return DataPoint(node.span, self.is_point(base) or "", True), False
            case Juxt(items=items):
                return self.product(node.span, items, size_of)
            case Group(inner=inner):
                inner_vector, varies = self.vector(inner, size_of)
                return Group(node.span, inner_vector), varies
            case BinOp():
                return self.operations(node, size_of)
            case Frac(numerator=top, denominator=bottom):
                return self.vector(BinOp(node.span, "/", Group(top.span, top),
                                         Group(bottom.span, bottom)), size_of)
            case Neg(arg=arg):
                inner_vector, varies = self.vector(arg, size_of)
                return Neg(node.span, inner_vector), varies
            case Power(base=base, exponent=exponent) | DotPower(base=base, exponent=exponent):
                base_vector, varies = self.vector(base, size_of)
                if self.varies(exponent):
                    raise MatcalcError("a power whose exponent varies with "
                                       f"{self.sum.index} is not read", node.span)
                if varies and exponent_mark(exponent) == "transpose":
                    return base_vector, True  # a number is its own transpose
                # a power of a vector is a power of each entry, as the language reads it
                return replace(node, base=base_vector), varies
            case AbsOf(arg=arg):
                inner_vector, varies = self.vector(arg, size_of)
                if varies:
                    return Call(node.span, Name(node.span, "abs"), (inner_vector,)), True
                return AbsOf(node.span, inner_vector), False
            case Call(name=name, args=(arg,)) if self.indexed(name) is not None:
                # y_n(x_n^T w) is the product y_n · (x_nᵀw), as the builder reads it
                return self.vector(Juxt(node.span, (name, Group(arg.span, arg))), size_of)
            case Call(name=name, args=args):
                vectors = [self.vector(a, size_of) for a in args]
                varies = any(v for _, v in vectors)
                return Call(node.span, name, tuple(v for v, _ in vectors)), varies
            case SumOver():
                raise MatcalcError("a sum inside a sum is not read", node.span)
        if self.varies(node):
            raise MatcalcError(f"{self.scope.text(node.span)} varies with {self.sum.index} in "
                               "a way matcalc does not read", node.span, hint=WRITE_INSTEAD)
        return node, False

    def operations(self, node: BinOp,
                   size_of: Callable[[Node], sympy.Expr]) -> tuple[Node, bool]:
        """a + b − c …: the operations down the left side by a loop (a sum of a thousand
        terms is a thousand levels deep), each on the vectors of its two sides."""
        spine = [node]
        while isinstance(spine[-1].left, BinOp):
            spine.append(spine[-1].left)
        a, left_varies = self.vector(spine[-1].left, size_of)
        for operation in reversed(spine):
            b, right_varies = self.vector(operation.right, size_of)
            if left_varies != right_varies:
                self.scalar_beside(b if left_varies else a, size_of)
            op = operation.op
            if op in ("*", "⊙") and left_varies and right_varies:
                op = "⊙"
            if op == "/" and right_varies:  # a/v: a ⊙ (1/v), entry by entry
                one = Number(operation.right.span, "1")
                a = BinOp(operation.span, "⊙", a, BinOp(operation.right.span, "/", one, b))
            else:
                a = BinOp(operation.span, op, a, b)
            left_varies = left_varies or right_varies
        return a, left_varies

    def product(self, span: Span, items: tuple[Node, ...],
                size_of: Callable[[Node], sympy.Expr]) -> tuple[Node, bool]:
        """A run of factors: wᵀ x_n and x_nᵀ w become X w (or Xᵀ w), the factors that vary
        with n are joined by ⊙, the others multiply as written."""
        vectors = self.factors(span, items, size_of)
        joined: list[tuple[Node, bool]] = []
        at = 0
        while at < len(vectors):
            node, varies = vectors[at]
            if isinstance(node, DataPoint):
                joined.append(self.inner_product(vectors, at, joined, size_of))
                at += 1 if not node.transposed else 2
                continue
            joined.append((node, varies))
            at += 1
        if not any(varies for _, varies in joined):
            fixed_only = [node for node, _ in joined]
            return Juxt(span, tuple(fixed_only)) if len(fixed_only) > 1 else fixed_only[0], False
        runs: list[list[Node]] = []  # y_n wᵀw: the factors between those that vary, as one
        varying = []
        for node, varies in joined:
            if varies:
                varying.append(node)
                runs.append([])
            elif runs and runs[-1]:
                runs[-1].append(node)
            else:
                runs.append([node])
        fixed = [run[0] if len(run) == 1 else Juxt(run[0].span | run[-1].span, tuple(run))
                 for run in runs if run]
        for node in fixed:
            self.scalar_beside(node, size_of)
        combined = varying[0]
        for node in varying[1:]:
            combined = BinOp(span, "⊙", combined, node)
        if not fixed:
            return combined, True
        return Juxt(span, (*fixed, Group(combined.span, combined))), True

    def factors(self, span: Span, items: tuple[Node, ...],
                size_of: Callable[[Node], sympy.Expr]) -> list[tuple[Node, bool]]:
        """The items of a product as vectors; a function word takes the bracket right after
        it, or else the rest of the product, as the builder reads it (\\exp(−y_n wᵀx_n))."""
        found: list[tuple[Node, bool]] = []
        at = 0
        while at < len(items):
            item = items[at]
            after = items[at + 1:]
            head = self.scope.function_head(item) is not None or self.scope.is_sigmoid(item)
            if not (head and after):
                found.append(self.vector(item, size_of))
                at += 1
                continue
            if bracketed(after[0]) is not None:
                argument, varies = self.vector(after[0], size_of)
                found.append((Juxt(item.span | after[0].span, (item, argument)), varies))
                at += 2
                continue
            rest = after[0].span | after[-1].span
            argument, varies = self.product(rest, after, size_of)
            found.append((Juxt(item.span | rest, (item, Group(rest, argument))), varies))
            at = len(items)
        return found

    def inner_product(self, vectors: list[tuple[Node, bool]], at: int,
                      joined: list[tuple[Node, bool]],
                      size_of: Callable[[Node], sympy.Expr]) -> tuple[Node, bool]:
        """wᵀx_n (the row before x_n, already in ``joined``) or x_nᵀw (the column after
        it) as the vector X w of its N values."""
        point = vectors[at][0]
        assert isinstance(point, DataPoint)
        if point.transposed:
            if at + 1 >= len(vectors) or vectors[at + 1][1]:
                raise MatcalcError(f"{point.name}_{self.sum.index}ᵀ needs a vector after it",
                                   point.span, hint=WRITE_INSTEAD)
            other = vectors[at + 1][0]
        else:
            if not joined or joined[-1][1] or transposed_base(joined[-1][0]) is None:
                raise MatcalcError(f"{point.name}_{self.sum.index} is a data point, met "
                                   "here outside an inner product", point.span,
                                   hint=WRITE_INSTEAD)
            row, _ = joined.pop()
            other = transposed_base(row) or row
        column = Group(other.span, other)
        by_rows = self.layout(point.name, size_of(other), point.span)
        data: Node = Name(point.span, point.name.upper())
        if not by_rows:
            data = Postfix(point.span, data, "transpose")
        return Group(point.span, Juxt(point.span, (data, column))), True

    def scalar_beside(self, node: Node, size_of: Callable[[Node], sympy.Expr]) -> None:
        """What a term of the sum meets must be a number: wᵀ y_n or w + y_n would be a
        vector for each n, which the vector of the terms cannot hold."""
        if size_of(node) != 1:
            raise MatcalcError(
                f"{self.scope.text(node.span)} is not a number, so its product or sum with what "
                f"varies with {self.sum.index} is not a number for each term", node.span,
                hint="the summand must be a number for each n: w^T x_n, y_n, (y_n - w^T x_n)^2")

    def varies(self, node: Node) -> bool:
        """Whether the index of the sum appears anywhere in the node."""
        return any(self.indexed(part) is not None for part in descendants(node))


def transposed_base(node: Node) -> Node | None:
    """w for wᵀ (w' , w^T, w^\\top), or None."""
    if isinstance(node, Postfix) and node.mark == "transpose":
        return node.base
    if isinstance(node, Power) and exponent_mark(node.exponent) == "transpose":
        return node.base
    return None


def index_outside(node: Node, index: str) -> Node | None:
    """A use of a sum's index outside that sum (y_n + Σ_n …), or None."""
    stack: list[tuple[Node, bool]] = [(node, False)]
    while stack:  # a loop: a sum of a thousand terms is a thousand levels deep
        current, inside = stack.pop()
        if not inside and ((isinstance(current, Subscript) and current.index == index) or (
                isinstance(current, Name) and current.text.rpartition("_")[0]
                and current.text.rpartition("_")[2] == index)):
            return current
        if isinstance(current, Juxt):
            found_sum = False
            items: list[tuple[Node, bool]] = []
            for item in current.items:
                head = item.arg if isinstance(item, Neg) else item  # −Σ_n …
                if isinstance(head, SumOver) and head.index == index:
                    found_sum = True
                    continue
                items.append((item, inside or found_sum))
            stack.extend(reversed(items))
            continue
        stack.extend((child, inside) for child in reversed(children(current)))
    return None


def sums_in(node: Node) -> list[SumOver]:
    return [part for part in descendants(node) if isinstance(part, SumOver)]

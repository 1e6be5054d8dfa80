"""Questions asked of the transformer's nodes, with no names in scope: what is inside
brackets and fonts, the index written after a name, a transpose or inverse mark, a number
written alone, how deep an expression nests.

Imports matcalc.errors and the transformer's records.
"""

from __future__ import annotations

from collections.abc import Iterator

from matcalc.errors import MatcalcError
from matcalc.language.spelling import TRANSPOSE_MARKS
from matcalc.language.transformer import (
    BinOp,
    Command,
    Font,
    Frac,
    Group,
    Juxt,
    Name,
    Neg,
    Node,
    Number,
    Ones,
    Postfix,
    Power,
    Subscript,
)


def numbered_parts(node: Node) -> tuple[str, str] | None:
    """(W, 1) of W_1, h_1 (lexed as one word), W_{1} or \\mathbf{W}_1: a name and the index
    written after it, which may make one name (W1) or an entry (W_1 of a declared W)."""
    match node:
        case Name(text=text) if "_" in text:
            base, _, index = text.partition("_")
            return base, index
        case Subscript(base=Name(text=text), index=index):
            return text, index
        case Subscript(base=Font(font=font, inner=Name(text=text)), index=index) if (
                font not in ACCENTS):
            return text, index
    return None


def bare_number(node: Node) -> str | None:
    """The digits of a number written alone, in brackets or not: 1, (1), {2}."""
    while isinstance(node, Group):
        node = node.inner
    return node.text if isinstance(node, Number) else None


def is_ones(node: Node) -> bool:
    """𝟏, 1 or \\mathbf{1} before a subscript: the ones vector."""
    if isinstance(node, Font) and node.font in {"mathbf", "boldsymbol", "bm", "mathbb"}:
        node = node.inner
    return isinstance(node, Ones) or (isinstance(node, Number) and node.text == "1")


# \hat{y}, \bar{x}, \tilde{x}: one name each, spelled yhat, xbar, xtilde
ACCENTS = {"hat": "hat", "widehat": "hat", "bar": "bar", "overline": "bar", "tilde": "tilde",
           "widetilde": "tilde"}


def unwrapped(node: Node) -> Node:
    """The node inside brackets and fonts: x in (x), {x}, \\mathbf{x}."""
    while isinstance(node, Group | Font):
        node = node.inner
    return node


def bracketed(node: Node) -> Group | None:
    """The bracket a node starts with: (x) in (x), (x)^2, (x)_k, (x)ᵀ."""
    while isinstance(node, Power | Subscript | Postfix):
        node = node.base
    return node if isinstance(node, Group) else None


def exponent_mark(node: Node) -> str | None:
    """^T, ^{T}, ^\\top → transpose; ^{-1} → inverse; ^{-T} → inverse transpose."""
    if isinstance(node, Font):
        node = node.inner
    if isinstance(node, Name | Command) and node.text in TRANSPOSE_MARKS:
        return "transpose"
    if isinstance(node, Neg):
        inner = node.arg
        if isinstance(inner, Number) and inner.text == "1":
            return "inverse"
        if isinstance(inner, Name | Command) and inner.text in TRANSPOSE_MARKS:
            return "inverse transpose"
    return None


def children(node: Node) -> list[Node]:
    found: list[Node] = []
    for value in vars(node).values():
        if isinstance(value, Node):
            found.append(value)
        elif isinstance(value, tuple):
            found.extend(item for item in value if isinstance(item, Node))
    return found


def descendants(node: Node) -> Iterator[Node]:
    """The node and every node inside it, by a loop: a sum of a thousand terms is a
    thousand levels deep, past Python's recursion limit."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))


def fraction_parts(node: Node) -> tuple[Node, Node] | None:
    """(top, bottom) of df/dx, \\frac{df}{dx}; "df / d x" reads as (df / d) x and is
    regrouped as df / (d x)."""
    if isinstance(node, Juxt) and isinstance(node.items[0], BinOp) and \
            node.items[0].op == "/":
        ratio = node.items[0]
        node = BinOp(node.span, "/", ratio.left,
                     Juxt(ratio.right.span | node.span, (ratio.right, *node.items[1:])))
    if isinstance(node, BinOp) and node.op == "/":
        return node.left, node.right
    if isinstance(node, Frac):
        return node.numerator, node.denominator
    return None


def is_differential_mark(node: Node) -> bool:
    """d, \\partial, \\mathrm{d}, ∂: the mark of a differential in a derivative's name."""
    if isinstance(node, Font) and node.font in {"mathrm", "operatorname", "text"}:
        node = node.inner
    return (isinstance(node, Name) and node.text in {"d", "∂"}) or (
        isinstance(node, Command) and node.text == "partial")


def is_vec(node: Node) -> bool:
    """vec, \\operatorname{vec} or \\mathrm{vec}."""
    if isinstance(node, Font):
        node = node.inner
    return isinstance(node, Name) and node.text == "vec"


MAX_NESTING = 60  # brackets, functions and operators inside one another (README, Limits)
# a product written with one of these, a * b * c, is a list of factors, not a nesting
PRODUCT_OPERATORS = {"*", "·", "@", "⊙", "⊗"}


def check_nesting(node: Node) -> None:
    """Refuse an expression nested deeper than MAX_NESTING; the terms of a sum and the factors
    of a product (side by side, or joined by one operator: a * b * c) do not nest."""
    stack = [(node, 0)]
    while stack:
        current, depth = stack.pop()
        if depth > MAX_NESTING:
            raise MatcalcError(f"this expression nests deeper than {MAX_NESTING} levels",
                               current.span, hint="name the inner parts with definitions, "
                                                  "as in 'u = ...'")
        for child in children(current):
            sum_chain = isinstance(current, BinOp) and isinstance(child, BinOp) and (
                child is current.left and {current.op, child.op} <= {"+", "-"})
            product_chain = _product(current) and _product(child) and child is (
                current.items[0] if isinstance(current, Juxt) else getattr(current, "left", None))
            stack.append((child, depth if sum_chain or product_chain else depth + 1))


def _product(node: Node) -> bool:
    """Factors side by side, or joined by a product's operator (x^T x * x^T x alternates
    the two in the tree)."""
    return isinstance(node, Juxt) or (isinstance(node, BinOp) and node.op in PRODUCT_OPERATORS)
